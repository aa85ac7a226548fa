import { k8s } from 'cdk8s-plus-28';
import { AIGateway, type AIGatewayProps, NON_PUBLIC_CIDRS } from '../src';
import { ENVOY_PORTS } from '../src/envoy';
import { expectValidManifests } from './support/k8s-schema';
import { readFileSync } from 'fs';
import { join } from 'path';
import { byKind, EXAMPLES, objectsOf, synthChart, yamlExamples } from './support/synth';

const IN_CLUSTER = {
  gatewayClassName: 'envoy',
  endpoints: [
    { name: 'openai-gpt4', serviceRef: { name: 'openai-proxy-service' } },
    { name: 'anthropic-claude3', serviceRef: { name: 'anthropic-proxy-service', namespace: 'models', port: 8080 } },
    { name: 'mistral', serviceRef: { name: 'mistral', namespace: 'models', port: 9000 } },
  ],
  modelRouting: { strategy: 'Header' as const, rules: [{ match: 'X-AI-Model: gpt-4', targetEndpoint: 'openai-gpt4' }], defaultTargetEndpoint: 'openai-gpt4' },
};
const EXTERNAL = {
  gatewayClassName: 'envoy',
  endpoints: [
    { name: 'openai', url: 'https://api.openai.com' },
    { name: 'self-hosted', url: 'http://llm.example.com:8081/v1' },
  ],
  modelRouting: { strategy: 'Path' as const, rules: [{ match: '/openai/', targetEndpoint: 'openai' }], defaultTargetEndpoint: 'self-hosted' },
  observability: { tracing: { endpoint: 'otel-collector.observability:4317' } },
};

function policy(props: Partial<AIGatewayProps>): any {
  const objects = synthChart((chart) => new AIGateway(chart, 'gw', { metadata: { name: 'gw' }, spec: IN_CLUSTER, networkPolicy: {}, ...props }));
  expectValidManifests(objects);
  const [np] = byKind(objects, 'NetworkPolicy');
  return np;
}
const ns = (name: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } } });
const tcp = (port: number) => ({ protocol: 'TCP', port });

describe('NetworkPolicy', () => {
  test('is not generated unless asked for', () => {
    const objects = synthChart((chart) => new AIGateway(chart, 'gw', { metadata: { name: 'gw' }, spec: IN_CLUSTER }));
    expect(byKind(objects, 'NetworkPolicy')).toEqual([]);
  });

  test('default: selects the gateway pods and denies everything but what the spec needs', () => {
    const np = policy({});
    expect(np.spec.podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'aigateway', 'app.kubernetes.io/instance': 'gw' } });
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec.ingress).toEqual([
      { from: [ns('ingress-nginx')], ports: [tcp(ENVOY_PORTS.http)] },
      { from: [ns('monitoring')], ports: [tcp(ENVOY_PORTS.ops)] },
    ]);
    expect(np.spec.egress).toEqual([
      { to: [{ ...ns('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, tcp(53)] },
      { to: [ns('ai-apps')], ports: [tcp(80)] },
      { to: [ns('models')], ports: [tcp(8080), tcp(9000)] },
    ]);
  });

  test('external providers: their ports to public addresses only (no private ranges, no cloud metadata); OTLP port when tracing', () => {
    const np = policy({ spec: EXTERNAL });
    const egress = np.spec.egress;
    const publicPeers = [
      { ipBlock: { cidr: '0.0.0.0/0', except: NON_PUBLIC_CIDRS.filter((c) => !c.includes(':')) } },
      { ipBlock: { cidr: '::/0', except: NON_PUBLIC_CIDRS.filter((c) => c.includes(':')) } },
    ];
    expect(egress[1]).toEqual({ to: publicPeers, ports: [tcp(443), tcp(8081)] });
    expect(egress[2]).toEqual({ to: [{ namespaceSelector: {} }, ...publicPeers], ports: [tcp(4317)] });
    expect(egress).toHaveLength(3);
    const excluded = publicPeers[0].ipBlock.except;
    for (const cidr of ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16']) expect(excluded).toContain(cidr);
  });

  test('no metrics rule when metrics are off (probes from the node need none)', () => {
    const np = policy({ spec: { ...IN_CLUSTER, observability: { metrics: false } } });
    expect(np.spec.ingress).toEqual([{ from: [ns('ingress-nginx')], ports: [tcp(ENVOY_PORTS.http)] }]);
  });

  test('every peer, port and range can be replaced, and rules added', () => {
    const np = policy({
      spec: { ...IN_CLUSTER, endpoints: [...IN_CLUSTER.endpoints, { name: 'openai-direct', url: 'https://api.openai.com' }] },
      networkPolicy: {
        ingressFrom: [ns('traefik')],
        metricsFrom: [{ podSelector: { matchLabels: { app: 'prometheus' } } }],
        dnsPeers: [{ ipBlock: { cidr: '169.254.20.10/32' } }],
        endpointPodPorts: { 'openai-gpt4': [8000, 8001] },
        nonPublicCidrs: ['10.0.0.0/8'],
        extraEgress: [{ to: [ns('vault')], ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(8200) }] }],
      },
    });
    expect(np.spec.ingress[0].from).toEqual([ns('traefik')]);
    expect(np.spec.ingress[1].from).toEqual([{ podSelector: { matchLabels: { app: 'prometheus' } } }]);
    expect(np.spec.egress[0].to).toEqual([{ ipBlock: { cidr: '169.254.20.10/32' } }]);
    expect(np.spec.egress[1]).toEqual({ to: [ns('ai-apps')], ports: [tcp(8000), tcp(8001)] });
    expect(np.spec.egress[3].to[0]).toEqual({ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } });
    expect(np.spec.egress.at(-1)).toEqual({ to: [ns('vault')], ports: [tcp(8200)] });
  });

  test('fails on pod ports for an endpoint the spec does not have', () => {
    expect(() => policy({ networkPolicy: { endpointPodPorts: { 'no-such': [80] } } })).toThrow(
      'networkPolicy.endpointPodPorts.no-such: not an endpoint of the spec [openai-gpt4, anthropic-claude3, mistral]',
    );
  });

  test('fails on a pod port out of range', () => {
    expect(() => policy({ networkPolicy: { endpointPodPorts: { mistral: [70000] } } })).toThrow(
      'networkPolicy.endpointPodPorts.mistral[0]: must be a port between 1 and 65535, found 70000',
    );
  });
});

/** Every address Envoy connects to, read from the bootstrap in the ConfigMap (loopback and internal listeners aside). */
function bootstrapUpstreams(objects: any[]): { cluster: string; host: string; port: number }[] {
  const [cm] = byKind(objects, 'ConfigMap').filter((o) => o.data?.['envoy.json']);
  const clusters = JSON.parse(cm.data['envoy.json']).static_resources.clusters as any[];
  return clusters.flatMap((c) =>
    (c.load_assignment?.endpoints ?? []).flatMap((e: any) =>
      e.lb_endpoints.map((l: any) => l.endpoint.address.socket_address).filter((a: any) => a && a.address !== '127.0.0.1').map((a: any) => ({ cluster: c.name, host: a.address, port: a.port_value })),
    ),
  );
}

/** Whether an egress rule admits TCP to host:port: a Service name by its namespace, any other name as a public address. */
function admits(egress: any[], host: string, port: number): boolean {
  const svc = /^[^.]+\.([^.]+)\.svc(\.|$)/.exec(host)?.[1];
  return egress.some((rule) =>
    (rule.ports ?? []).some((p: any) => p.protocol === 'TCP' && p.port === port) &&
    rule.to.some((peer: any) =>
      svc
        ? peer.namespaceSelector && (Object.keys(peer.namespaceSelector).length === 0 || peer.namespaceSelector.matchLabels?.['kubernetes.io/metadata.name'] === svc)
        : peer.ipBlock?.cidr === '0.0.0.0/0',
    ),
  );
}

describe('NetworkPolicy egress follows what Envoy connects to', () => {
  test.each(yamlExamples())('example %s: every upstream cluster of the bootstrap is allowed, and DNS', (file) => {
    const docs = objectsOf(readFileSync(join(EXAMPLES, file), 'utf8')).filter((d) => d?.kind === 'AIGatewayResource');
    for (const doc of docs) {
      const objects = synthChart((chart) => new AIGateway(chart, doc.metadata.name, { metadata: doc.metadata, spec: doc.spec, networkPolicy: {} }));
      const [np] = byKind(objects, 'NetworkPolicy');
      const upstreams = bootstrapUpstreams(objects);
      expect(upstreams.length).toBeGreaterThan(0);
      const blocked = upstreams.filter((u) => !admits(np.spec.egress, u.host, u.port));
      expect(blocked).toEqual([]);
      expect(np.spec.egress[0].ports).toEqual([{ protocol: 'UDP', port: 53 }, tcp(53)]);
    }
  });

  test('JWT: the JWKS host gets an egress rule (public address, its port)', () => {
    const objects = synthChart((chart) =>
      new AIGateway(chart, 'gw', {
        metadata: { name: 'gw' },
        spec: { ...IN_CLUSTER, authentication: { type: 'JWT', jwtSpec: { issuer: 'https://auth.example.com/', jwksUri: 'https://auth.example.com:8443/.well-known/jwks.json' } } },
        networkPolicy: {},
      }),
    );
    const [np] = byKind(objects, 'NetworkPolicy');
    expect(bootstrapUpstreams(objects).filter((u) => u.cluster === 'jwt-jwks')).toEqual([{ cluster: 'jwt-jwks', host: 'auth.example.com', port: 8443 }]);
    expect(admits(np.spec.egress, 'auth.example.com', 8443)).toBe(true);
  });

  test('JWT with an in-cluster JWKS Service: its namespace and port, not the public internet', () => {
    const objects = synthChart((chart) =>
      new AIGateway(chart, 'gw', {
        metadata: { name: 'gw' },
        spec: { ...IN_CLUSTER, authentication: { type: 'JWT', jwtSpec: { issuer: 'https://keycloak/', jwksUri: 'https://keycloak.auth.svc.cluster.local:8443/certs' } } },
        networkPolicy: {},
      }),
    );
    const [np] = byKind(objects, 'NetworkPolicy');
    expect(np.spec.egress).toContainEqual({ to: [ns('auth')], ports: [tcp(8443)] });
  });
});
