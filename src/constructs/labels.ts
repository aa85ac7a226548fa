import type { ApiObjectMetadata } from 'cdk8s';
import { LABEL_GATEWAY } from '../spec/names';

/** Labels that select the gateway's pods; stable for the life of the gateway (selectors are immutable). */
export function selectorLabels(gatewayName: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'aigateway',
    'app.kubernetes.io/instance': gatewayName,
  };
}

/** Labels on every object of a gateway: recommended app.kubernetes.io labels plus the ownership label. */
export function labelsFor(gatewayName: string, component: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...extra,
    ...selectorLabels(gatewayName),
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': 'cdk8s-ai-gateway',
    'app.kubernetes.io/managed-by': 'cdk8s-ai-gateway',
    [LABEL_GATEWAY]: gatewayName,
  };
}

/** What every generated object of one gateway shares: its name, namespace, extra labels and annotations. */
export interface GatewayObjectContext {
  readonly gatewayName: string;
  readonly namespace?: string;
  /** Extra labels for every object (never on the pod template, so changing them rolls no pods). */
  readonly labels?: Record<string, string>;
  /** Extra annotations for every object. */
  readonly annotations?: Record<string, string>;
}

/** Metadata of one generated object: `name` defaults to the gateway name. */
export function objectMetadata(context: GatewayObjectContext, component: string, name = context.gatewayName): ApiObjectMetadata {
  const annotations = context.annotations ?? {};
  return {
    name,
    ...(context.namespace && { namespace: context.namespace }),
    labels: labelsFor(context.gatewayName, component, context.labels),
    ...(Object.keys(annotations).length > 0 && { annotations: { ...annotations } }),
  };
}
