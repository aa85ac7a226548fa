export { AIGateway, type AIGatewayProps, type GatewayIngressOptions } from './ai-gateway';
export { ENVOY_IMAGE, ENVOY_UID } from './envoy-image';
export { labelsFor, selectorLabels } from './labels';
export { renderGateway, type GatewayDocument, type RenderedManifest } from './manifests';
export {
  ReconcileJob,
  type ReconcileJobProps,
  RECONCILE_JOB_IMAGE,
  RECONCILE_JOB_UID,
  reconcileJobRules,
  upstreamNamespaceRules,
  renderReconcileJob,
} from './reconcile-job';
