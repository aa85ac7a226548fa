/**
 * Golden in/out fixtures: for each converter, a table of small specs (test/support/envoy-specs.ts)
 * with the Envoy JSON it must produce, kept in test/fixtures/envoy/<converter>.json. Each case
 * holds its spec as written, so a fixture reads on its own. After an intended change, regenerate
 * with UPDATE_GOLDEN=1 and review the diff like code.
 */
import { existsSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { clustersFor, internalListeners } from '../src/envoy/topology';
import { credentialFilters } from '../src/envoy/credentials';
import { httpFilters } from '../src/envoy/http-filters';
import { jwksCluster, jwtFilter } from '../src/envoy/jwt';
import { localReplyConfig, upstreamFailureReplies } from '../src/envoy/local-reply';
import { accessLogs, tracingCluster, tracingConfig } from '../src/envoy/observability';
import { rateLimitFilter } from '../src/envoy/rate-limit';
import { routesFor } from '../src/envoy/routes';
import type { AIGatewaySpecInput } from '../src/spec';
import { canonical, OPTIONS, SPECS, type SpecName } from './support/envoy-specs';

type Converter = (spec: ReturnType<typeof canonical>) => unknown;

/**
 * A Lua filter's script (its ConfigMap file) keeps only its generated CONFIG table here: the rest
 * is the .lua files, verbatim (test/lua-config.test.ts checks both), so editing a script does not
 * churn this golden.
 */
function luaConfigOnly(chain: ReturnType<typeof httpFilters>): unknown {
  const configOnly = (source: string) => `${source.slice(0, source.indexOf('\n}\n') + 2)}\n-- (json.lua, common.lua and the feature's .lua file follow)`;
  return { ...chain, files: Object.fromEntries(Object.entries(chain.files).map(([key, source]) => [key, configOnly(source)])) };
}

const CONVERTERS: Record<string, { convert: Converter; cases: SpecName[] }> = {
  routesFor: {
    convert: (spec) => routesFor(spec, OPTIONS),
    cases: ['single', 'header', 'headerNoDefault', 'path', 'weighted', 'weightedMixed', 'requestBody', 'external', 'fallback', 'pathFallback'],
  },
  clustersFor: { convert: (spec) => clustersFor(spec, OPTIONS), cases: ['header', 'external', 'fallback', 'weightedMixed'] },
  internalListeners: {
    convert: (spec) => internalListeners(spec, OPTIONS, upstreamFailureReplies(spec)),
    cases: ['header', 'fallback', 'weightedMixed'],
  },
  credentialFilters: {
    convert: (spec) => Object.fromEntries(spec.endpoints.filter((e) => e.credentialsRef).map((e) => [e.name, credentialFilters(e.credentialsRef!)])),
    cases: ['external'],
  },
  rateLimitFilter: { convert: (spec) => rateLimitFilter(spec, OPTIONS) ?? null, cases: ['rateLimited', 'everything', 'single'] },
  jwtFilter: { convert: (spec) => ({ filter: jwtFilter(spec) ?? null, cluster: jwksCluster(spec) ?? null }), cases: ['jwt', 'single'] },
  observability: {
    convert: (spec) => ({ accessLog: accessLogs(spec), tracing: tracingConfig(spec, OPTIONS) ?? null, cluster: tracingCluster(spec) ?? null }),
    cases: ['tracing', 'quiet'],
  },
  localReplyConfig: { convert: (spec) => localReplyConfig(spec), cases: ['header', 'headerNoDefault', 'path', 'requestBody', 'everything'] },
  httpFilters: { convert: (spec) => luaConfigOnly(httpFilters(spec, OPTIONS)), cases: ['single', 'everything'] },
};

interface GoldenCase {
  readonly spec: AIGatewaySpecInput;
  readonly expected: unknown;
}

const FIXTURES = join(__dirname, 'fixtures', 'envoy');
const update = process.env.UPDATE_GOLDEN === '1';

describe.each(Object.entries(CONVERTERS))('%s', (converter, { convert, cases }) => {
  const file = join(FIXTURES, `${converter}.json`);
  const golden: Record<string, GoldenCase> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  if (update) {
    const fresh = Object.fromEntries(cases.map((name) => [name, { spec: SPECS[name], expected: convert(canonical(name)) }]));
    writeFileSync(file, `${JSON.stringify(fresh, null, 2)}\n`);
    Object.assign(golden, fresh);
  }

  test('has a golden case for every spec in its table, and no other', () => {
    expect(Object.keys(golden).sort()).toEqual([...cases].sort());
  });

  test.each(cases)('%s gives the golden output', (name) => {
    const fixture = golden[name];
    expect(fixture).toBeDefined();
    expect(convert(canonical(fixture.spec))).toEqual(fixture.expected);
  });
});
