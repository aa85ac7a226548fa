import { App, Chart, Yaml } from 'cdk8s';
import { AIGateway } from './ai-gateway';
import type { AIGatewaySpecInput } from '../spec';

/** A gateway document to synthesize: metadata and spec as written by the user. */
export interface GatewayDocument {
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  readonly spec: AIGatewaySpecInput;
  /** Named in validation errors. */
  readonly source?: string;
  /** Envoy replicas (the rate limit is split over them). @default DEFAULT_REPLICAS */
  readonly replicas?: number;
}

export interface RenderedManifest {
  /** Suggested file name: "<namespace>.<name>.k8s.yaml" (or "<name>.k8s.yaml" without a namespace). */
  readonly fileName: string;
  /** Multi-document YAML of every object of the gateway. */
  readonly yaml: string;
  readonly objects: unknown[];
  readonly gateway: AIGateway;
}

/**
 * Synthesizes one gateway in memory (no files written), as `cdk8s synth` would for a chart
 * holding just that gateway.
 */
export function renderGateway(document: GatewayDocument): RenderedManifest {
  const { name, namespace, labels, annotations } = document.metadata;
  const app = new App({ outdir: '.unused' });
  const chart = new Chart(app, name, { ...(namespace && { namespace }), disableResourceNameHashes: true });
  const gateway = new AIGateway(chart, name, {
    spec: document.spec,
    metadata: { name, ...(namespace && { namespace }), ...(labels && { labels }), ...(annotations && { annotations }) },
    ...(document.source && { source: document.source }),
    ...(document.replicas !== undefined && { replicas: document.replicas }),
  });
  const objects = chart.toJson();
  return {
    fileName: `${namespace ? `${namespace}.` : ''}${name}.k8s.yaml`,
    yaml: Yaml.stringify(...objects),
    objects,
    gateway,
  };
}
