/**
 * `aigate explain` must tell a reviewer what Envoy does: its routing table (text and Mermaid) is
 * compared, row by row, with the route table of the generated bootstrap, for every example and
 * every configuration of the feature matrix and the golden catalogue.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { parseAllDocuments } from 'yaml';
import { explainMermaid, explainText, renderGateway } from '../src/constructs';
import { routeRows } from '../src/constructs/explain-model';
import { endpointNode } from '../src/constructs/explain-mermaid';
import { parseSpec } from '../src/spec';
import { hcmOf } from './support/envoy-config';
import { catalogueGateways, matrixGateways } from './support/feature-matrix';
import { parseFlowchart } from './support/mermaid';
import { EXAMPLES, synthExampleApp, yamlExamples } from './support/synth';

type Json = any;
interface Row {
  readonly label: string;
  readonly target?: string;
}
interface Case {
  readonly label: string;
  readonly name: string;
  readonly namespace?: string;
  readonly spec: Json;
  readonly bootstrap: Json;
}

const MODEL_HEADER = 'x-ai-gateway-model';
const endpointOf = (cluster: string) => cluster.replace(/^(endpoint|fallback|via)-/, '');

/** The percentage explain prints for a weight (integer shares only, as in the examples). */
const percent = (weight: number, total: number) => {
  const hundredths = weight * 10000;
  return hundredths % total === 0 ? `${hundredths / total / 100}%` : `~${Math.round(hundredths / total) / 100}%`;
};

/** The route table of a bootstrap as explain's rows would state it: matcher text and endpoint. */
function envoyRows(bootstrap: Json): Row[] {
  const routes: Json[] = hcmOf(bootstrap).route_config.virtual_hosts[0].routes;
  const rows: Row[] = [];
  for (const route of routes) {
    const weighted = route.route.weighted_clusters?.clusters as Json[] | undefined;
    if (weighted) {
      const total = weighted.reduce((sum, c) => sum + c.weight, 0);
      rows.push(...weighted.map((c) => ({ label: percent(c.weight, total), target: endpointOf(c.name) })));
      continue;
    }
    const target = endpointOf(route.route.cluster);
    const headers: Json[] = route.match.headers ?? [];
    if (headers.length > 0) {
      const [h] = headers;
      rows.push({ label: h.name === MODEL_HEADER ? `model ${h.string_match.exact}` : `${h.name}: ${h.string_match.exact}`, target });
    } else if (route.match.path_separated_prefix !== undefined || route.match.prefix !== '/') {
      rows.push({ label: route.match.path_separated_prefix ?? route.match.prefix, target });
    } else {
      rows.push({ label: routes.length === 1 ? 'every request' : 'default', target });
    }
  }
  const catchAll = routes.some((r) => r.match.prefix === '/' && !r.match.headers);
  if (!catchAll) rows.push({ label: 'no match' });
  return rows;
}

/** Envoy lower-cases header names; explain keeps the spelling of the spec. */
const comparable = (row: Row): Row => {
  const header = /^(?!model )([^/:][^:]*): (.*)$/s.exec(row.label);
  return { label: header ? `${header[1].toLowerCase()}: ${header[2]}` : row.label, ...(row.target !== undefined && { target: row.target }) };
};

function casesOf(objects: Json[], label: string): Case[] {
  return objects
    .filter((o) => o.kind === 'AIGatewayResource')
    .map((cr) => {
      const map = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === `${cr.metadata.name}-envoy` && o.metadata.namespace === cr.metadata.namespace);
      return {
        label: objects.filter((o) => o.kind === 'AIGatewayResource').length > 1 ? `${label} ${cr.metadata.name}` : label,
        name: cr.metadata.name,
        ...(cr.metadata.namespace && { namespace: cr.metadata.namespace }),
        spec: cr.spec,
        bootstrap: JSON.parse(map.data['envoy.json']),
      };
    });
}

function exampleCases(): Case[] {
  const fromYaml = yamlExamples().flatMap((file) =>
    parseAllDocuments(readFileSync(join(EXAMPLES, file), 'utf8')).map((doc) => {
      const { metadata, spec } = doc.toJS();
      const { gateway } = renderGateway({ metadata, spec });
      return { label: `examples/${file} ${metadata.name}`, name: metadata.name, namespace: metadata.namespace, spec, bootstrap: gateway.envoy.bootstrap };
    }),
  );
  return [...fromYaml, ...casesOf(synthExampleApp(), 'examples/app.ts')];
}

const CASES: Case[] = [
  ...exampleCases(),
  ...matrixGateways().flatMap((g) => casesOf(g.objects, g.label)),
  ...catalogueGateways().flatMap((g) => casesOf(g.objects, g.label)),
];

describe('explain states the route table Envoy gets', () => {
  test('every example, matrix row and catalogue spec is compared, RequestBody included', () => {
    expect(CASES.length).toBeGreaterThan(40);
    expect(CASES.filter((c) => c.spec.modelRouting?.strategy === 'RequestBody').length).toBeGreaterThan(3);
  });

  test.each(CASES.map((c) => [c.label, c] as const))('%s: explain\'s routing rows are the Envoy routes, in order', (_, c) => {
    const spec = parseSpec(c.spec);
    expect(routeRows(spec).map((r) => comparable({ label: r.label, ...(r.target !== undefined && { target: r.target }) }))).toEqual(
      envoyRows(c.bootstrap).map(comparable),
    );
  });

  test.each(CASES.map((c) => [c.label, c] as const))('%s: the text and the Mermaid chart carry every route', (_, c) => {
    const input = { name: c.name, ...(c.namespace && { namespace: c.namespace }), spec: parseSpec(c.spec) };
    const rows = envoyRows(c.bootstrap);
    const text = explainText(input).split('\n');
    const start = text.findIndex((l) => /^\d\. Routing by /.test(l));
    const table = text.slice(start + 1).filter((l) => / -> /.test(l)).slice(0, rows.length);
    expect(table.map((l) => l.trim().split(/\s+->\s+/)[1].replace(/ \(default\)$/, ''))).toEqual(
      rows.map((r) => r.target ?? '404 with a JSON error body (no default endpoint)'),
    );
    const edges = parseFlowchart(explainMermaid(input)).edges.filter((e) => e.from === 'route');
    expect(edges.map((e) => comparable({ label: e.label!, target: e.to }))).toEqual(
      rows.map((r) => comparable({ label: r.label, target: r.target === undefined ? 'notfound' : endpointNode(r.target) })),
    );
  });
});
