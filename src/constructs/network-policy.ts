import type { ApiObjectMetadata } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { ENVOY_PORTS } from '../envoy';
import type { AIGatewaySpec } from '../spec';

/**
 * Who may talk to the gateway pods and whom they may call. NetworkPolicy selects pods and IP
 * ranges, never host names: external providers are allowed as "any public address" on their ports.
 */
export interface GatewayNetworkPolicyOptions {
  /**
   * Peers allowed to call the public port.
   * @default pods in the namespace "ingress-nginx"
   */
  readonly ingressFrom?: k8s.NetworkPolicyPeer[];
  /**
   * Peers allowed to scrape metrics on the ops port (only when `spec.observability.metrics`).
   * Kubelet probes need no rule: traffic from a pod's own node is always allowed.
   * @default pods in the namespace "monitoring"
   */
  readonly metricsFrom?: k8s.NetworkPolicyPeer[];
  /**
   * Where DNS is answered.
   * @default kube-dns pods (label k8s-app=kube-dns) in kube-system
   */
  readonly dnsPeers?: k8s.NetworkPolicyPeer[];
  /**
   * Pod ports of in-cluster endpoints, by endpoint name. A policy sees the pod's port after the
   * Service translated it, so give them when a Service's targetPort differs from its port.
   * @default the port of each endpoint's serviceRef
   */
  readonly endpointPodPorts?: Record<string, number[]>;
  /**
   * Address ranges never allowed as "public", for external providers and the OTLP collector.
   * @default NON_PUBLIC_CIDRS (private, shared, loopback and link-local ranges, including the
   * cloud metadata address 169.254.169.254)
   */
  readonly nonPublicCidrs?: string[];
  /**
   * More egress rules, appended as they are.
   * @default none
   */
  readonly extraEgress?: k8s.NetworkPolicyEgressRule[];
}

/** RFC 1918, carrier-grade NAT, loopback, link-local (cloud metadata), IPv6 unique-local, loopback and link-local. */
export const NON_PUBLIC_CIDRS = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  'fc00::/7',
  'fe80::/10',
  '::1/128',
];

const namespacePeer = (name: string): k8s.NetworkPolicyPeer => ({
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } },
});

const tcp = (port: number): k8s.NetworkPolicyPort => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) });

/** ipBlocks for "any public address": everything but the non-public ranges of the same family. */
export function publicPeers(nonPublic: readonly string[]): k8s.NetworkPolicyPeer[] {
  const v4 = nonPublic.filter((c) => !c.includes(':'));
  const v6 = nonPublic.filter((c) => c.includes(':'));
  return [
    { ipBlock: { cidr: '0.0.0.0/0', except: v4 } },
    { ipBlock: { cidr: '::/0', except: v6 } },
  ];
}

function checkPort(field: string, port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${field}: must be a port between 1 and 65535, found ${port}`);
  return port;
}

/** Egress rules the spec needs: DNS, in-cluster endpoints by namespace, provider ports, OTLP. */
export function egressRules(spec: AIGatewaySpec, namespace: string | undefined, options: GatewayNetworkPolicyOptions): k8s.NetworkPolicyEgressRule[] {
  const dns = options.dnsPeers ?? [{ ...namespacePeer('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }];
  const rules: k8s.NetworkPolicyEgressRule[] = [
    { to: dns, ports: [{ protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) }, tcp(53)] },
  ];
  const names = new Set(spec.endpoints.map((e) => e.name));
  for (const name of Object.keys(options.endpointPodPorts ?? {})) {
    if (!names.has(name)) throw new Error(`networkPolicy.endpointPodPorts.${name}: not an endpoint of the spec [${[...names].join(', ')}]`);
  }
  const inCluster = new Map<string, Set<number>>();
  const external = new Set<number>();
  for (const e of spec.endpoints) {
    if (e.serviceRef) {
      const ns = e.serviceRef.namespace ?? namespace ?? 'default';
      const ports = options.endpointPodPorts?.[e.name] ?? [e.serviceRef.port];
      const set = inCluster.get(ns) ?? new Set<number>();
      ports.forEach((p, i) => set.add(checkPort(`networkPolicy.endpointPodPorts.${e.name}[${i}]`, p)));
      inCluster.set(ns, set);
    } else if (e.url) {
      const url = new URL(e.url);
      external.add(url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80);
    }
  }
  for (const [ns, ports] of inCluster) rules.push({ to: [namespacePeer(ns)], ports: [...ports].sort((a, b) => a - b).map(tcp) });
  const publicAddresses = publicPeers(options.nonPublicCidrs ?? NON_PUBLIC_CIDRS);
  if (external.size > 0) rules.push({ to: publicAddresses, ports: [...external].sort((a, b) => a - b).map(tcp) });
  const tracing = spec.observability.tracing;
  if (tracing) {
    // "host:port" may name a Service in any namespace or an outside collector: allow the port to both.
    const port = Number(tracing.endpoint.slice(tracing.endpoint.lastIndexOf(':') + 1));
    rules.push({ to: [{ namespaceSelector: {} }, ...publicAddresses], ports: [tcp(port)] });
  }
  return [...rules, ...(options.extraEgress ?? [])];
}

/** Ingress rules: the public port from `ingressFrom`, the ops port from `metricsFrom` when metrics are on. */
export function ingressRules(spec: AIGatewaySpec, options: GatewayNetworkPolicyOptions): k8s.NetworkPolicyIngressRule[] {
  const rules: k8s.NetworkPolicyIngressRule[] = [{ from: options.ingressFrom ?? [namespacePeer('ingress-nginx')], ports: [tcp(ENVOY_PORTS.http)] }];
  if (spec.observability.metrics) rules.push({ from: options.metricsFrom ?? [namespacePeer('monitoring')], ports: [tcp(ENVOY_PORTS.ops)] });
  return rules;
}

/** Default-deny NetworkPolicy for the gateway pods with exactly the traffic the spec needs. */
export function gatewayNetworkPolicy(
  scope: Construct,
  spec: AIGatewaySpec,
  namespace: string | undefined,
  selector: Record<string, string>,
  options: GatewayNetworkPolicyOptions,
  metadata: ApiObjectMetadata,
): k8s.KubeNetworkPolicy {
  return new k8s.KubeNetworkPolicy(scope, 'NetworkPolicy', {
    metadata,
    spec: {
      podSelector: { matchLabels: selector },
      policyTypes: ['Ingress', 'Egress'],
      ingress: ingressRules(spec, options),
      egress: egressRules(spec, namespace, options),
    },
  });
}
