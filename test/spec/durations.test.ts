import { validateSpec } from '../../src/spec';
import { durationSeconds } from '../../src/spec/primitives';

const withTimeout = (timeout: string) => ({
  gatewayClassName: 'envoy',
  endpoints: [{ name: 'llm', serviceRef: { name: 'llm' }, timeout }],
});
const messageFor = (timeout: string) => {
  const result = validateSpec(withTimeout(timeout));
  return result.ok ? undefined : result.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('durations', () => {
  it.each([
    ['30s', 30],
    ['500ms', 0.5],
    ['2m', 120],
    ['1m30s', 90],
    ['1h30m', 5400],
    ['0.1s', 0.1],
    ['24h', 86400],
  ])('accepts %s (%d s), Go-style compound forms included', (text, seconds) => {
    expect(messageFor(text)).toBeUndefined();
    expect(durationSeconds(text)).toBe(seconds);
  });

  it('fails on a zero duration, which Envoy refuses as a connect timeout', () => {
    expect(messageFor('0s')).toEqual(['spec.endpoints.0.timeout: must be longer than 0']);
    expect(messageFor('0m0s')).toEqual(['spec.endpoints.0.timeout: must be longer than 0']);
  });

  it('fails on more than a day, and on what is not a duration', () => {
    expect(messageFor('25h')).toEqual(['spec.endpoints.0.timeout: must be at most 24h']);
    expect(messageFor('90')).toEqual(['spec.endpoints.0.timeout: must be a duration such as "30s", "500ms", "2m" or "1m30s", found "90"']);
    expect(messageFor('1m 30s')).toEqual(['spec.endpoints.0.timeout: must be a duration such as "30s", "500ms", "2m" or "1m30s", found "1m 30s"']);
  });
});
