import type { EnvoyOptions, Spec } from './types';
import { hostAndPort, parseUrl } from './util';
import type { SpecIssue } from '../spec';

/**
 * What a valid spec can still ask for that Envoy cannot do as asked. The Envoy layer refuses it
 * (with the field path, like any spec error) rather than generate a gateway that does something
 * else. Paths start at the resource ("spec.…").
 */
export function translationIssues(spec: Spec, _options?: EnvoyOptions): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const outOfRange = (text: string) => `port ${text} is out of range: a port is 1-65535`;

  spec.endpoints.forEach((endpoint, i) => {
    if (endpoint.url && parseUrl(endpoint.url).port === undefined) {
      issues.push({ path: ['spec', 'endpoints', i, 'url'], message: outOfRange(parseUrl(endpoint.url).portText) });
    }
    const prefix = endpoint.credentialsRef?.prefix;
    if (prefix !== undefined && /[\x00-\x1f\x7f]/.test(prefix)) {
      issues.push({
        path: ['spec', 'endpoints', i, 'credentialsRef', 'prefix'],
        message: 'must not contain control characters (it is sent at the start of a header value)',
      });
    }
  });
  const tracing = spec.observability.tracing;
  if (tracing && hostAndPort(tracing.endpoint).port === undefined) {
    issues.push({ path: ['spec', 'observability', 'tracing', 'endpoint'], message: outOfRange(tracing.endpoint.slice(tracing.endpoint.lastIndexOf(':') + 1)) });
  }
  const jwt = spec.authentication.type === 'JWT' ? spec.authentication.jwtSpec : undefined;
  if (jwt && parseUrl(jwt.jwksUri).port === undefined) {
    issues.push({ path: ['spec', 'authentication', 'jwtSpec', 'jwksUri'], message: outOfRange(parseUrl(jwt.jwksUri).portText) });
  }
  return issues;
}
