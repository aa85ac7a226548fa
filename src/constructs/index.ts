export { AIGateway, type AIGatewayProps, type GatewayIngressOptions } from './ai-gateway';
export { ENVOY_IMAGE, ENVOY_UID } from './envoy-image';
export { labelsFor, selectorLabels } from './labels';
export { renderGateway, type GatewayDocument, type RenderedManifest } from './manifests';
export { explainText, explainSteps, explainMermaid, type ExplainInput } from './explain';
export { DEFAULT_REPLICAS } from './defaults';
