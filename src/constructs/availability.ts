import type { ApiObjectMetadata } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';

/** Horizontal autoscaling of the Envoy pods on CPU. */
export interface GatewayAutoscaling {
  /**
   * Fewest pods.
   * @default the gateway's `replicas` (2)
   */
  readonly minReplicas?: number;
  /** Most pods. */
  readonly maxReplicas: number;
  /**
   * Average CPU use, in percent of the CPU request, that the autoscaler keeps the pods at.
   * @default 70
   */
  readonly cpuUtilizationPercent?: number;
}

export const DEFAULT_CPU_UTILIZATION_PERCENT = 70;

function wholeNumber(field: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`;
    throw new Error(`${field}: must be a whole number ${range}, found ${value}`);
  }
  return value;
}

/** Checks `replicas` (1 or more; 0 would make the PodDisruptionBudget and probes meaningless). */
export function checkReplicas(replicas: number): number {
  return wholeNumber('replicas', replicas, 1);
}

/** A CPU HorizontalPodAutoscaler for the Deployment (which must have been built without `replicas`). */
export function gatewayAutoscaler(
  scope: Construct,
  deployment: kplus.Deployment,
  options: GatewayAutoscaling,
  defaultMinReplicas: number,
  metadata: ApiObjectMetadata,
): kplus.HorizontalPodAutoscaler {
  const minReplicas = wholeNumber('autoscaling.minReplicas', options.minReplicas ?? defaultMinReplicas, 1);
  const maxReplicas = wholeNumber('autoscaling.maxReplicas', options.maxReplicas, 1);
  if (maxReplicas < minReplicas) {
    throw new Error(`autoscaling.maxReplicas: must be at least minReplicas (${minReplicas}), found ${maxReplicas}`);
  }
  const cpu = wholeNumber('autoscaling.cpuUtilizationPercent', options.cpuUtilizationPercent ?? DEFAULT_CPU_UTILIZATION_PERCENT, 1, 1000);
  return new kplus.HorizontalPodAutoscaler(scope, 'Autoscaler', {
    metadata,
    target: deployment,
    minReplicas,
    maxReplicas,
    metrics: [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(cpu))],
  });
}

/**
 * At most one pod evicted at a time (node drains, cluster upgrades). maxUnavailable rather than
 * minAvailable, so a single-replica gateway never blocks a node drain; pods that are not Ready may
 * always be evicted, so a crash-looping pod cannot block one either.
 */
export function gatewayDisruptionBudget(scope: Construct, selector: Record<string, string>, metadata: ApiObjectMetadata): k8s.KubePodDisruptionBudget {
  return new k8s.KubePodDisruptionBudget(scope, 'DisruptionBudget', {
    metadata,
    spec: {
      maxUnavailable: k8s.IntOrString.fromNumber(1),
      selector: { matchLabels: selector },
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  });
}

/**
 * Spread across nodes (required: two replicas on one node share its fate) and zones (preferred:
 * single-zone clusters must still schedule). A one-node cluster still runs every replica, since
 * skew is measured between nodes that exist. `pod-template-hash` keeps a rollout's new pods from
 * being counted against the old ones.
 */
export function topologySpread(selector: Record<string, string>): k8s.TopologySpreadConstraint[] {
  const common = { maxSkew: 1, labelSelector: { matchLabels: selector }, matchLabelKeys: ['pod-template-hash'] };
  return [
    { ...common, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule' },
    { ...common, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' },
  ];
}

/**
 * Each replica enforces its share of the rate limit (requestsPerMinute / replicas), sized for
 * `replicas`; an autoscaler changes the pod count but not the shares, so the gateway-wide limit
 * moves with it. Until a fleet-wide limiter exists this is said, never silently accepted.
 */
export function autoscaledRateLimitWarning(requestsPerMinute: number, replicas: number, autoscaling: GatewayAutoscaling): string {
  const min = autoscaling.minReplicas ?? replicas;
  const max = autoscaling.maxReplicas;
  const admitted = Math.round((requestsPerMinute * max) / replicas);
  return (
    `rateLimiting: each replica enforces 1/${replicas} of ${requestsPerMinute} requests per minute (sized for replicas: ${replicas}), ` +
    `but autoscaling runs ${min} to ${max} replicas, so the gateway admits up to ${admitted} per minute at ${max}; ` +
    'set replicas to the count you expect or drop autoscaling until a fleet-wide limiter exists'
  );
}
