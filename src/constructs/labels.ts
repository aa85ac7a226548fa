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
