import { AIGateway, ENVOY_UID, RECONCILE_JOB_UID } from '../src';
import { expectRestrictedPods, podTemplatesIn, restrictedViolations, type PodTemplate } from './support/pod-security';
import { byKind, synthChart, synthExample, synthExampleApp, yamlExamples } from './support/synth';

const SPEC = {
  gatewayClassName: 'envoy',
  endpoints: [
    { name: 'openai', url: 'https://api.openai.com', credentialsRef: { name: 'provider-keys', key: 'openai' } },
    { name: 'local', serviceRef: { name: 'llama', namespace: 'models', port: 8000 } },
  ],
  modelRouting: { strategy: 'Header' as const, rules: [{ match: 'X-AI-Model: gpt-4', targetEndpoint: 'openai' }], defaultTargetEndpoint: 'local' },
};

/**
 * What this project asks beyond the standard: the image's fixed user, a read-only root, no API
 * token (but for the reconcile job, which calls the API as the node image's uid), bounded resources.
 */
function hardeningProblems(objects: any[]): string[] {
  const problems: string[] = [];
  for (const { owner, template } of podTemplatesIn(objects)) {
    const spec = template.spec;
    const job = owner === 'CronJob/aigate-reconcile';
    const uid = job ? RECONCILE_JOB_UID : ENVOY_UID;
    if (spec.automountServiceAccountToken !== job) problems.push(`${owner}: automountServiceAccountToken is not ${job}`);
    if (spec.securityContext?.runAsUser !== uid || spec.securityContext?.runAsGroup !== uid) problems.push(`${owner}: pod does not run as ${uid}:${uid}`);
    for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
      const sc = c.securityContext ?? {};
      if (sc.readOnlyRootFilesystem !== true) problems.push(`${owner}: ${c.name}: root filesystem is writable`);
      if (sc.runAsUser !== undefined && sc.runAsUser !== uid) problems.push(`${owner}: ${c.name}: runAsUser ${sc.runAsUser}`);
      for (const kind of ['requests', 'limits']) {
        if (!c.resources?.[kind]?.cpu && kind === 'requests') problems.push(`${owner}: ${c.name}: no CPU request`);
        if (!c.resources?.[kind]?.memory) problems.push(`${owner}: ${c.name}: no memory ${kind}`);
      }
    }
  }
  return problems;
}

describe('every generated pod meets the restricted Pod Security Standard', () => {
  test.each(yamlExamples())('examples/%s via the CLI', async (file) => {
    const objects = await synthExample(file);
    expectRestrictedPods(objects);
    expect(hardeningProblems(objects)).toEqual([]);
  });

  test('examples/app.ts', () => {
    const objects = synthExampleApp();
    expectRestrictedPods(objects);
    expect(hardeningProblems(objects)).toEqual([]);
  });

  test('with every option set (autoscaler, NetworkPolicy, scheduling, pod labels)', () => {
    const objects = synthChart(
      (chart) =>
        new AIGateway(chart, 'gw', {
          metadata: { name: 'gw' },
          spec: SPEC,
          autoscaling: { maxReplicas: 5 },
          networkPolicy: {},
          nodeSelector: { pool: 'gateways' },
          tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gateways', effect: 'NoSchedule' }],
          podLabels: { team: 'ml' },
          podAnnotations: { owner: 'ml-platform' },
        }),
    );
    expectRestrictedPods(objects);
    expect(hardeningProblems(objects)).toEqual([]);
  });
});

describe('the restricted-profile checker', () => {
  const base = (): PodTemplate => {
    const [deployment] = byKind(synthChart((chart) => new AIGateway(chart, 'gw', { metadata: { name: 'gw' }, spec: SPEC })), 'Deployment');
    return JSON.parse(JSON.stringify(deployment.spec.template));
  };
  const container = (t: any) => t.spec.containers[0];
  const sc = (t: any) => container(t).securityContext;
  const C = 'spec.containers[0]';
  const CSC = `${C}.securityContext`;

  test('passes the generated pod template as it is', () => {
    expect(restrictedViolations(base())).toEqual([]);
  });

  const cases: [string, (t: any) => void, string, string][] = [
    ['host network', (t) => (t.spec.hostNetwork = true), 'Host Namespaces', 'spec.hostNetwork'],
    ['host PID namespace', (t) => (t.spec.hostPID = true), 'Host Namespaces', 'spec.hostPID'],
    ['host IPC namespace', (t) => (t.spec.hostIPC = true), 'Host Namespaces', 'spec.hostIPC'],
    ['a privileged container', (t) => (sc(t).privileged = true), 'Privileged Containers', `${CSC}.privileged`],
    ['a capability outside the baseline set', (t) => (sc(t).capabilities.add = ['SYS_ADMIN']), 'Capabilities', `${CSC}.capabilities.add[0]`],
    ['an added capability other than NET_BIND_SERVICE', (t) => (sc(t).capabilities.add = ['CHOWN']), 'Capabilities', `${CSC}.capabilities.add[0]`],
    ['capabilities not dropped', (t) => delete sc(t).capabilities, 'Capabilities', `${CSC}.capabilities.drop`],
    ['a hostPath volume', (t) => t.spec.volumes.unshift({ name: 'h', hostPath: { path: '/' } }), 'HostPath Volumes', 'spec.volumes[0].hostPath'],
    ['a non-core volume type', (t) => t.spec.volumes.unshift({ name: 'n', nfs: { server: 'x', path: '/' } }), 'Volume Types', 'spec.volumes[0]'],
    ['a host port', (t) => (container(t).ports[0].hostPort = 8080), 'Host Ports', `${C}.ports[0].hostPort`],
    ['a probe host', (t) => (container(t).readinessProbe.httpGet.host = '10.0.0.1'), 'Host Probes / Lifecycle Hooks', `${C}.readinessProbe.httpGet.host`],
    ['a lifecycle hook host', (t) => (container(t).lifecycle.postStart = { httpGet: { host: 'evil', port: 80 } }), 'Host Probes / Lifecycle Hooks', `${C}.lifecycle.postStart.httpGet.host`],
    ['an AppArmor annotation other than runtime/default', (t) => (t.metadata.annotations['container.apparmor.security.beta.kubernetes.io/envoy'] = 'unconfined'), 'AppArmor', "metadata.annotations['container.apparmor.security.beta.kubernetes.io/envoy']"],
    ['an unconfined AppArmor profile', (t) => (sc(t).appArmorProfile = { type: 'Unconfined' }), 'AppArmor', `${CSC}.appArmorProfile.type`],
    ['a custom SELinux type', (t) => (sc(t).seLinuxOptions = { type: 'spc_t' }), 'SELinux', `${CSC}.seLinuxOptions.type`],
    ['a custom SELinux user', (t) => (t.spec.securityContext.seLinuxOptions = { user: 'system_u' }), 'SELinux', 'spec.securityContext.seLinuxOptions.user'],
    ['an unmasked /proc', (t) => (sc(t).procMount = 'Unmasked'), '/proc Mount Type', `${CSC}.procMount`],
    ['an unconfined pod seccomp profile', (t) => (t.spec.securityContext.seccompProfile.type = 'Unconfined'), 'Seccomp', 'spec.securityContext.seccompProfile.type'],
    ['an unconfined container seccomp profile', (t) => (sc(t).seccompProfile.type = 'Unconfined'), 'Seccomp', `${CSC}.seccompProfile.type`],
    [
      'no seccomp profile at all',
      (t) => {
        delete t.spec.securityContext.seccompProfile;
        delete sc(t).seccompProfile;
      },
      'Seccomp',
      `${CSC}.seccompProfile.type`,
    ],
    ['an unsafe sysctl', (t) => (t.spec.securityContext.sysctls = [{ name: 'kernel.msgmax', value: '1' }]), 'Sysctls', 'spec.securityContext.sysctls[0].name'],
    ['a Windows HostProcess container', (t) => (sc(t).windowsOptions = { hostProcess: true }), 'HostProcess', `${CSC}.windowsOptions.hostProcess`],
    ['privilege escalation allowed', (t) => (sc(t).allowPrivilegeEscalation = true), 'Privilege Escalation', `${CSC}.allowPrivilegeEscalation`],
    ['privilege escalation left unset', (t) => delete sc(t).allowPrivilegeEscalation, 'Privilege Escalation', `${CSC}.allowPrivilegeEscalation`],
    ['runAsNonRoot false on a container', (t) => (sc(t).runAsNonRoot = false), 'Running as Non-root', `${CSC}.runAsNonRoot`],
    ['runAsNonRoot false on the pod', (t) => (t.spec.securityContext.runAsNonRoot = false), 'Running as Non-root', 'spec.securityContext.runAsNonRoot'],
    [
      'runAsNonRoot set nowhere',
      (t) => {
        delete t.spec.securityContext.runAsNonRoot;
        delete sc(t).runAsNonRoot;
      },
      'Running as Non-root',
      `${CSC}.runAsNonRoot`,
    ],
    ['uid 0 on the pod', (t) => (t.spec.securityContext.runAsUser = 0), 'Running as Non-root user', 'spec.securityContext.runAsUser'],
    ['uid 0 on a container', (t) => (sc(t).runAsUser = 0), 'Running as Non-root user', `${CSC}.runAsUser`],
    ['an init container without a security context', (t) => (t.spec.initContainers = [{ name: 'init', image: 'busybox' }]), 'Privilege Escalation', 'spec.initContainers[0].securityContext.allowPrivilegeEscalation'],
    ['an ephemeral container that keeps its capabilities', (t) => (t.spec.ephemeralContainers = [{ name: 'debug', image: 'busybox', securityContext: { allowPrivilegeEscalation: false } }]), 'Capabilities', 'spec.ephemeralContainers[0].securityContext.capabilities.drop'],
  ];

  test.each(cases)('fails on %s', (_name, mutate, control, path) => {
    const template = base();
    mutate(template);
    const violations = restrictedViolations(template);
    expect(violations).toContainEqual(expect.objectContaining({ control, path }));
    expect(() => expectRestrictedPods([{ kind: 'Deployment', metadata: { name: 'gw' }, spec: { template } }])).toThrow(control);
  });

  test('fails when the output has no pod template, so nothing would be checked', () => {
    expect(() => expectRestrictedPods([{ kind: 'Service', metadata: { name: 'gw' }, spec: {} }])).toThrow('no pod template found');
  });

  test('finds pod templates of Pods, workloads and CronJobs', () => {
    const template = { metadata: {}, spec: { containers: [] } };
    const found = podTemplatesIn([
      { kind: 'Pod', metadata: { name: 'p' }, spec: template.spec },
      { kind: 'StatefulSet', metadata: { name: 's' }, spec: { template } },
      { kind: 'CronJob', metadata: { name: 'c' }, spec: { jobTemplate: { spec: { template } } } },
      { kind: 'ConfigMap', metadata: { name: 'm' }, data: {} },
    ]);
    expect(found.map((f) => f.owner)).toEqual(['Pod/p', 'StatefulSet/s', 'CronJob/c']);
  });
});
