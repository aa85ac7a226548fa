// A TypeScript cdk8s app: `npm run synth` (cdk8s synth) writes its manifests to dist/manifests.
// Two gateways in one chart share endpoint definitions: typed objects, written once.
import { App, Chart } from 'cdk8s';
import { AIGateway, ReconcileJob, type AIGatewaySpecInput } from '../src';

type Endpoint = AIGatewaySpecInput['endpoints'][number];

const openai: Endpoint = {
  name: 'openai-gpt4',
  serviceRef: { name: 'openai-proxy-service' },
  provider: 'OpenAI',
  costPerToken: { inputTokens: '0.00003', outputTokens: '0.00006' },
};
const claude: Endpoint = { name: 'anthropic-claude3', serviceRef: { name: 'anthropic-proxy-service' }, provider: 'Anthropic' };
const embeddings: Endpoint = {
  name: 'embeddings',
  serviceRef: { name: 'tei-embeddings', namespace: 'inference' },
  modelType: 'Embedding',
  provider: 'HuggingFace',
  timeout: '10s',
};

const app = new App();
const chart = new Chart(app, 'llm-gateway', { namespace: 'ai-apps' });

// The team's chat gateway: header routing between two providers.
new AIGateway(chart, 'llm', {
  metadata: { name: 'team-llm' },
  spec: {
    gatewayClassName: 'envoy',
    endpoints: [openai, claude],
    modelRouting: {
      strategy: 'Header',
      rules: [
        { header: { name: 'X-AI-Model', value: 'gpt-4' }, targetEndpoint: openai.name },
        { header: { name: 'X-AI-Model', value: 'claude-3' }, targetEndpoint: claude.name },
      ],
      defaultTargetEndpoint: openai.name,
    },
  },
  // Production defaults apply without props; these add an autoscaler and a default-deny NetworkPolicy.
  autoscaling: { maxReplicas: 6 },
  networkPolicy: {},
});

// A second gateway for batch jobs in the same chart: path routing, its own rate limit, reusing
// the chat endpoint defined above, and exposed through an Ingress.
const batch = new AIGateway(chart, 'batch', {
  metadata: { name: 'team-batch', labels: { 'team.example.com/owner': 'data' } },
  replicas: 3,
  spec: {
    gatewayClassName: 'envoy',
    endpoints: [openai, embeddings],
    modelRouting: {
      strategy: 'Path',
      rules: [{ pathPrefix: '/v1/embeddings', targetEndpoint: embeddings.name }],
      defaultTargetEndpoint: openai.name,
    },
    rateLimiting: { requestsPerMinute: 3000 },
  },
});
batch.addIngress({ host: 'batch-llm.example.com', className: 'nginx' });

// One reconcile job per namespace writes the status of every gateway in it.
new ReconcileJob(chart, 'reconcile');

app.synth();
