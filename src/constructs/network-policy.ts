import type { ApiObjectMetadata } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { ENVOY_PORTS, upstreamTargets } from '../envoy';
import { clusterName } from '../envoy/names';
import type { AIGatewaySpec } from '../spec';

/**
 * Who may talk to the gateway pods and whom they may call. NetworkPolicy selects pods and IP
 * ranges, never host names: external providers are allowed as "any public address" on their ports.
 */
export interface GatewayNetworkPolicyOptions {
  /**
   * Peers allowed to call the public port. The default admits ONLY the ingress controller's
   * namespace: apps in the cluster calling the gateway's Service are blocked unless listed here.
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

/** Where a host is, for a NetworkPolicy: a Service's namespace, an IP literal, a public name, or either. */
type Place = { readonly namespace: string } | { readonly ip: string } | 'public' | 'cluster-or-public';

/**
 * `name.namespace.svc[.domain]` is a Service; `name` or `name.namespace` may be a Service (through
 * the pod's DNS search path) or an outside host; a longer name is an outside host.
 */
function placeOf(host: string): Place {
  const service = /^[^.]+\.([^.]+)\.svc(\.|$)/.exec(host);
  if (service) return { namespace: service[1] };
  if (/^[\d.]+$/.test(host) || host.includes(':')) return { ip: host };
  return host.split('.').length <= 2 ? 'cluster-or-public' : 'public';
}

const sortedPorts = (ports: Iterable<number>) => [...new Set(ports)].sort((a, b) => a - b).map(tcp);

/**
 * Egress rules for what Envoy connects to (every upstream cluster of its bootstrap: endpoints,
 * fallbacks, the JWKS host, the tracing collector) plus DNS: in-cluster Services by namespace,
 * outside hosts as public addresses on their ports.
 */
export function egressRules(spec: AIGatewaySpec, bootstrap: Record<string, unknown>, options: GatewayNetworkPolicyOptions): k8s.NetworkPolicyEgressRule[] {
  const dns = options.dnsPeers ?? [{ ...namespacePeer('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }];
  const rules: k8s.NetworkPolicyEgressRule[] = [
    { to: dns, ports: [{ protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) }, tcp(53)] },
  ];
  const names = new Set(spec.endpoints.map((e) => e.name));
  const podPorts = new Map<string, number[]>();
  for (const [name, ports] of Object.entries(options.endpointPodPorts ?? {})) {
    if (!names.has(name)) throw new Error(`networkPolicy.endpointPodPorts.${name}: not an endpoint of the spec [${[...names].join(', ')}]`);
    podPorts.set(clusterName(name), ports.map((p, i) => checkPort(`networkPolicy.endpointPodPorts.${name}[${i}]`, p)));
  }
  const inCluster = new Map<string, number[]>();
  const ips = new Map<string, number[]>();
  const external: number[] = [];
  const either: number[] = [];
  for (const target of upstreamTargets(bootstrap)) {
    const place = placeOf(target.host);
    // A policy sees the pod's port after the Service translated it.
    const ports = podPorts.get(target.cluster) ?? [target.port];
    if (place === 'public') external.push(...ports);
    else if (place === 'cluster-or-public') either.push(...ports);
    else if ('ip' in place) ips.set(place.ip, [...(ips.get(place.ip) ?? []), ...ports]);
    else inCluster.set(place.namespace, [...(inCluster.get(place.namespace) ?? []), ...ports]);
  }
  for (const [ns, ports] of inCluster) rules.push({ to: [namespacePeer(ns)], ports: sortedPorts(ports) });
  for (const [ip, ports] of ips) rules.push({ to: [{ ipBlock: { cidr: ip.includes(':') ? `${ip}/128` : `${ip}/32` } }], ports: sortedPorts(ports) });
  const publicAddresses = publicPeers(options.nonPublicCidrs ?? NON_PUBLIC_CIDRS);
  if (external.length > 0) rules.push({ to: publicAddresses, ports: sortedPorts(external) });
  // "host" or "host.namespace" may name a Service in any namespace or an outside host: allow the port to both.
  if (either.length > 0) rules.push({ to: [{ namespaceSelector: {} }, ...publicAddresses], ports: sortedPorts(either) });
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
  bootstrap: Record<string, unknown>,
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
      egress: egressRules(spec, bootstrap, options),
    },
  });
}
