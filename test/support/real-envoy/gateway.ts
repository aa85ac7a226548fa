/** Synthesized objects of one gateway, for the real-Envoy tests. */
import { Chart, Testing } from 'cdk8s';
import { AIGateway, type AIGatewayProps } from '../../../src/constructs';
import type { AIGatewaySpecInput } from '../../../src/spec';

type Json = any;

/** The objects `new AIGateway(chart, 'gw', { metadata: { name }, spec, ...props })` synthesizes. */
export function gatewayObjects(spec: AIGatewaySpecInput, props: Partial<AIGatewayProps> = {}, name = 'gw', namespace = 'ai'): Json[] {
  const chart = new Chart(Testing.app(), 'e2e', { namespace });
  new AIGateway(chart, 'gw', { metadata: { name }, spec, ...props });
  return Testing.synth(chart);
}
