export { AIGateway, type AIGatewayProps, type GatewayIngressOptions } from './ai-gateway';
export { DEFAULT_CPU_UTILIZATION_PERCENT, type GatewayAutoscaling } from './availability';
export { type DrainPlan, drainPlan, drainScript } from './drain';
export { ENVOY_IMAGE, ENVOY_UID } from './envoy-image';
export { DEFAULT_CONCURRENCY, DEFAULT_RESOURCES, EnvoyWorkload, type EnvoyWorkloadOptions, type EnvoyWorkloadProps } from './envoy-workload';
export { labelsFor, objectMetadata, selectorLabels, type GatewayObjectContext } from './labels';
export { renderGateway, type GatewayDocument, type RenderedManifest } from './manifests';
export { NON_PUBLIC_CIDRS, type GatewayNetworkPolicyOptions } from './network-policy';
export { SECRET_FILE_MODE, secretMounts, secretVolumeName, type SecretMount } from './secret-volumes';
export { explainText, explainSteps, explainMermaid, type ExplainInput } from './explain';
export { DEFAULT_REPLICAS } from '../envoy/rate-limit';
export {
  ReconcileJob,
  type ReconcileJobProps,
  RECONCILE_JOB_IMAGE,
  RECONCILE_JOB_UID,
  reconcileJobRules,
  upstreamNamespaceRules,
  renderReconcileJob,
} from './reconcile-job';
