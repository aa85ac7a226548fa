/**
 * A checker for the "restricted" Pod Security Standard (which includes "baseline"), written
 * control by control from https://kubernetes.io/docs/concepts/security/pod-security-standards/
 * (current version, Kubernetes 1.34). Each control names the fields it restricts and the values
 * allowed; a violation names the control, the field path and the value found.
 */

type Json = any;

export interface PssViolation {
  readonly control: string;
  readonly path: string;
  readonly found: string;
}

export interface PodTemplate {
  readonly metadata?: { readonly annotations?: Record<string, string> };
  readonly spec: Json;
}

const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE',
  'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
]);
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
const RESTRICTED_VOLUME_TYPES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);
const GOOD_SECCOMP = new Set(['RuntimeDefault', 'Localhost']);

const show = (value: unknown) => (value === undefined ? 'undefined' : JSON.stringify(value));

/** Every container of the pod (regular, init, ephemeral) with its path. */
function containersOf(spec: Json): [string, Json][] {
  return (['containers', 'initContainers', 'ephemeralContainers'] as const).flatMap((field) =>
    ((spec[field] ?? []) as Json[]).map((c, i): [string, Json] => [`spec.${field}[${i}]`, c]),
  );
}

/** Violations of the baseline and restricted controls by one pod template. */
export function restrictedViolations(template: PodTemplate): PssViolation[] {
  const out: PssViolation[] = [];
  const flag = (control: string, path: string, found: unknown) => out.push({ control, path, found: show(found) });
  const spec = template.spec ?? {};
  const podSc = spec.securityContext ?? {};
  const annotations = template.metadata?.annotations ?? {};
  const containers = containersOf(spec);

  // --- Baseline ---
  // HostProcess: Windows HostProcess pods are privileged on the host.
  if (![undefined, false].includes(podSc.windowsOptions?.hostProcess)) flag('HostProcess', 'spec.securityContext.windowsOptions.hostProcess', podSc.windowsOptions.hostProcess);
  // Host Namespaces
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC']) {
    if (![undefined, false].includes(spec[field])) flag('Host Namespaces', `spec.${field}`, spec[field]);
  }
  // HostPath Volumes (restricted's Volume Types covers this too; baseline lists it on its own)
  (spec.volumes ?? []).forEach((v: Json, i: number) => {
    if (v.hostPath !== undefined) flag('HostPath Volumes', `spec.volumes[${i}].hostPath`, v.hostPath);
  });
  // AppArmor (annotations and, from 1.30, fields)
  for (const [key, value] of Object.entries(annotations)) {
    if (key.startsWith('container.apparmor.security.beta.kubernetes.io/') && value !== 'runtime/default' && !value.startsWith('localhost/')) {
      flag('AppArmor', `metadata.annotations['${key}']`, value);
    }
  }
  const appArmor = (path: string, sc: Json) => {
    const type = sc?.appArmorProfile?.type;
    if (![undefined, 'RuntimeDefault', 'Localhost'].includes(type)) flag('AppArmor', `${path}.appArmorProfile.type`, type);
  };
  appArmor('spec.securityContext', podSc);
  // SELinux
  const seLinux = (path: string, sc: Json) => {
    const options = sc?.seLinuxOptions;
    if (!options) return;
    if (!SELINUX_TYPES.has(options.type ?? '')) flag('SELinux', `${path}.seLinuxOptions.type`, options.type);
    for (const field of ['user', 'role']) {
      if (![undefined, ''].includes(options[field])) flag('SELinux', `${path}.seLinuxOptions.${field}`, options[field]);
    }
  };
  seLinux('spec.securityContext', podSc);
  // Seccomp (baseline): never Unconfined
  if (podSc.seccompProfile?.type === 'Unconfined') flag('Seccomp', 'spec.securityContext.seccompProfile.type', 'Unconfined');
  // Sysctls
  (podSc.sysctls ?? []).forEach((s: Json, i: number) => {
    if (!SAFE_SYSCTLS.has(s.name)) flag('Sysctls', `spec.securityContext.sysctls[${i}].name`, s.name);
  });

  // --- Restricted ---
  // Volume Types
  (spec.volumes ?? []).forEach((v: Json, i: number) => {
    const types = Object.keys(v).filter((k) => k !== 'name');
    if (types.length !== 1 || !RESTRICTED_VOLUME_TYPES.has(types[0])) flag('Volume Types', `spec.volumes[${i}]`, types.join(','));
  });
  // Running as Non-root: pod-level true, or every container true; nobody may say false.
  const podNonRoot = podSc.runAsNonRoot;
  if (podNonRoot === false) flag('Running as Non-root', 'spec.securityContext.runAsNonRoot', false);
  // Running as Non-root user
  if (podSc.runAsUser === 0) flag('Running as Non-root user', 'spec.securityContext.runAsUser', 0);
  // Seccomp (restricted): RuntimeDefault or Localhost at pod level, or on every container.
  const podSeccomp = podSc.seccompProfile?.type;
  if (podSeccomp !== undefined && !GOOD_SECCOMP.has(podSeccomp) && podSeccomp !== 'Unconfined') {
    flag('Seccomp', 'spec.securityContext.seccompProfile.type', podSeccomp);
  }

  for (const [path, c] of containers) {
    const sc = c.securityContext ?? {};
    const at = `${path}.securityContext`;
    if (![undefined, false].includes(sc.windowsOptions?.hostProcess)) flag('HostProcess', `${at}.windowsOptions.hostProcess`, sc.windowsOptions.hostProcess);
    if (![undefined, false].includes(sc.privileged)) flag('Privileged Containers', `${at}.privileged`, sc.privileged);
    (sc.capabilities?.add ?? []).forEach((cap: string, i: number) => {
      if (!BASELINE_CAPABILITIES.has(cap)) flag('Capabilities', `${at}.capabilities.add[${i}]`, cap);
    });
    (c.ports ?? []).forEach((p: Json, i: number) => {
      if (![undefined, 0].includes(p.hostPort)) flag('Host Ports', `${path}.ports[${i}].hostPort`, p.hostPort);
    });
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
      for (const kind of ['httpGet', 'tcpSocket']) {
        const host = c[probe]?.[kind]?.host;
        if (![undefined, ''].includes(host)) flag('Host Probes / Lifecycle Hooks', `${path}.${probe}.${kind}.host`, host);
      }
    }
    for (const hook of ['postStart', 'preStop']) {
      for (const kind of ['httpGet', 'tcpSocket']) {
        const host = c.lifecycle?.[hook]?.[kind]?.host;
        if (![undefined, ''].includes(host)) flag('Host Probes / Lifecycle Hooks', `${path}.lifecycle.${hook}.${kind}.host`, host);
      }
    }
    appArmor(at, sc);
    seLinux(at, sc);
    if (![undefined, 'Default'].includes(sc.procMount)) flag('/proc Mount Type', `${at}.procMount`, sc.procMount);

    if (sc.allowPrivilegeEscalation !== false) flag('Privilege Escalation', `${at}.allowPrivilegeEscalation`, sc.allowPrivilegeEscalation);
    if (sc.runAsNonRoot === false || (sc.runAsNonRoot === undefined && podNonRoot !== true)) {
      flag('Running as Non-root', `${at}.runAsNonRoot`, sc.runAsNonRoot);
    }
    if (sc.runAsUser === 0) flag('Running as Non-root user', `${at}.runAsUser`, 0);
    const seccomp = sc.seccompProfile?.type;
    if (seccomp === undefined ? !GOOD_SECCOMP.has(podSeccomp) : !GOOD_SECCOMP.has(seccomp)) {
      flag('Seccomp', `${at}.seccompProfile.type`, seccomp);
    }
    const drop: string[] = sc.capabilities?.drop ?? [];
    if (!drop.includes('ALL')) flag('Capabilities', `${at}.capabilities.drop`, sc.capabilities?.drop);
    (sc.capabilities?.add ?? []).forEach((cap: string, i: number) => {
      if (cap !== 'NET_BIND_SERVICE' && BASELINE_CAPABILITIES.has(cap)) flag('Capabilities', `${at}.capabilities.add[${i}]`, cap);
    });
  }
  return out;
}

export interface FoundPodTemplate {
  /** "Kind/name" of the object holding the template. */
  readonly owner: string;
  readonly template: PodTemplate;
}

/** Every pod template in a list of objects: Pods themselves, workloads' spec.template, CronJobs' job template. */
export function podTemplatesIn(objects: readonly Json[]): FoundPodTemplate[] {
  const out: FoundPodTemplate[] = [];
  for (const o of objects) {
    const owner = `${o?.kind}/${o?.metadata?.name}`;
    if (o?.kind === 'Pod') out.push({ owner, template: { metadata: o.metadata, spec: o.spec } });
    else if (o?.spec?.template?.spec) out.push({ owner, template: o.spec.template });
    else if (o?.spec?.jobTemplate?.spec?.template?.spec) out.push({ owner, template: o.spec.jobTemplate.spec.template });
  }
  return out;
}

/** Throws listing every violation of every pod template, or when there is no pod template at all. */
export function expectRestrictedPods(objects: readonly Json[]): void {
  const templates = podTemplatesIn(objects);
  if (templates.length === 0) throw new Error('no pod template found: nothing was checked');
  const problems = templates.flatMap(({ owner, template }) =>
    restrictedViolations(template).map((v) => `${owner}: ${v.control}: ${v.path} is ${v.found}`),
  );
  if (problems.length > 0) throw new Error(`pods violate the restricted Pod Security Standard:\n  ${problems.join('\n  ')}`);
}
