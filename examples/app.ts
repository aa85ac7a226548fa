// A TypeScript cdk8s app: `npm run synth` (cdk8s synth) writes its manifests to dist/manifests.
import { App, Chart } from 'cdk8s';
import { AIGateway, ReconcileJob } from '../src';

const app = new App();
const chart = new Chart(app, 'llm-gateway', { namespace: 'ai-apps' });

new AIGateway(chart, 'llm', {
  metadata: { name: 'team-llm' },
  spec: {
    gatewayClassName: 'envoy',
    endpoints: [
      { name: 'openai-gpt4', serviceRef: { name: 'openai-proxy-service' }, provider: 'OpenAI', costPerToken: { inputTokens: '0.00003', outputTokens: '0.00006' } },
      { name: 'anthropic-claude3', serviceRef: { name: 'anthropic-proxy-service' }, provider: 'Anthropic' },
    ],
    modelRouting: {
      strategy: 'Header',
      rules: [
        { header: { name: 'X-AI-Model', value: 'gpt-4' }, targetEndpoint: 'openai-gpt4' },
        { header: { name: 'X-AI-Model', value: 'claude-3' }, targetEndpoint: 'anthropic-claude3' },
      ],
      defaultTargetEndpoint: 'openai-gpt4',
    },
  },
  // Production defaults apply without props; these add an autoscaler and a default-deny NetworkPolicy.
  autoscaling: { maxReplicas: 6 },
  networkPolicy: {},
});

// One reconcile job per namespace writes the status of every gateway in it.
new ReconcileJob(chart, 'reconcile');

app.synth();
