/**
 * The "restricted" Pod Security Standard (Kubernetes 1.32), as the pod-security admission
 * controller checks it: the baseline controls plus the restricted ones. Returns a message per
 * violation (empty = the pod would be admitted in a namespace enforcing "restricted").
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/
 */
type Obj = Record<string, any>;

const RESTRICTED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);
const SAFE_SYSCTLS = new Set(['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes']);

/** The pod spec inside a Pod, a workload's template, or a CronJob's job template. */
export function podSpecOf(object: Obj): Obj {
  if (object.kind === 'Pod') return object.spec;
  if (object.kind === 'CronJob') return object.spec.jobTemplate.spec.template.spec;
  return object.spec.template.spec;
}

export function restrictedViolations(pod: Obj): string[] {
  const out: string[] = [];
  const psc: Obj = pod.securityContext ?? {};
  const containers: Obj[] = [...(pod.initContainers ?? []), ...(pod.containers ?? []), ...(pod.ephemeralContainers ?? [])];
  for (const host of ['hostNetwork', 'hostPID', 'hostIPC']) if (pod[host]) out.push(`${host} must not be true`);
  for (const s of psc.sysctls ?? []) if (!SAFE_SYSCTLS.has(s.name)) out.push(`sysctl ${s.name} is not allowed`);
  if (psc.seLinuxOptions?.user || psc.seLinuxOptions?.role) out.push('pod seLinuxOptions user/role must not be set');
  for (const v of pod.volumes ?? []) {
    const type = Object.keys(v).find((k) => k !== 'name');
    if (!type || !RESTRICTED_VOLUMES.has(type)) out.push(`volume ${v.name} of type ${type} is not allowed`);
  }
  const podSeccomp = psc.seccompProfile?.type;
  if (podSeccomp !== undefined && !['RuntimeDefault', 'Localhost'].includes(podSeccomp)) out.push(`pod seccompProfile ${podSeccomp} is not allowed`);
  if (psc.runAsUser === 0) out.push('pod runAsUser must not be 0');
  for (const c of containers) {
    const sc: Obj = c.securityContext ?? {};
    const id = `container ${c.name}`;
    if (sc.privileged) out.push(`${id}: privileged must not be true`);
    // Restricted allows adding only NET_BIND_SERVICE.
    for (const cap of sc.capabilities?.add ?? []) if (cap !== 'NET_BIND_SERVICE') out.push(`${id}: capability ${cap} must not be added`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) out.push(`${id}: capabilities must drop ALL`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${id}: allowPrivilegeEscalation must be false`);
    if (!(sc.runAsNonRoot === true || (sc.runAsNonRoot === undefined && psc.runAsNonRoot === true))) out.push(`${id}: runAsNonRoot must be true (container or pod)`);
    if (sc.runAsUser === 0) out.push(`${id}: runAsUser must not be 0`);
    const seccomp = sc.seccompProfile?.type ?? podSeccomp;
    if (!['RuntimeDefault', 'Localhost'].includes(seccomp)) out.push(`${id}: seccompProfile must be RuntimeDefault or Localhost (container or pod)`);
    if (sc.procMount && sc.procMount !== 'Default') out.push(`${id}: procMount must be Default`);
    if (sc.seLinuxOptions?.user || sc.seLinuxOptions?.role) out.push(`${id}: seLinuxOptions user/role must not be set`);
    if (sc.appArmorProfile?.type === 'Unconfined') out.push(`${id}: appArmorProfile must not be Unconfined`);
    for (const p of c.ports ?? []) if (p.hostPort) out.push(`${id}: hostPort ${p.hostPort} is not allowed`);
  }
  return out;
}
