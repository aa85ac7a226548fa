import { canonicalJson, hashOf, hashOfFiles } from '../src/spec';

describe('canonicalJson / hashOf', () => {
  const samples: unknown[] = [
    { b: 1, a: [1, { d: undefined, c: 'x\u00e9"\n' }], e: null },
    [undefined, 1, 'two'],
    { z: { y: { x: [true, false, 1.5, -0, 1e21] } } },
    'plain',
    42,
    null,
  ];

  test.each(samples.map((s) => [s]))('%j means the same as JSON.stringify', (sample) => {
    expect(JSON.parse(canonicalJson(sample))).toEqual(JSON.parse(JSON.stringify(sample)));
  });

  test('key order does not change the text or the hash; values do', () => {
    expect(canonicalJson({ a: 1, b: { d: 2, c: 3 } })).toBe('{"a":1,"b":{"c":3,"d":2}}');
    expect(hashOf({ b: { c: 3, d: 2 }, a: 1 })).toBe(hashOf({ a: 1, b: { d: 2, c: 3 } }));
    expect(hashOf({ a: 1 })).not.toBe(hashOf({ a: 2 }));
    expect(hashOf({ a: 1 })).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('hashOfFiles', () => {
  test('depends on every name and content, not on key order, and cannot be fooled by moving text between files', () => {
    const base = hashOfFiles({ 'envoy.json': '{"a":1}', 'sds.yaml': 'x' });
    expect(hashOfFiles({ 'sds.yaml': 'x', 'envoy.json': '{"a":1}' })).toBe(base);
    expect(hashOfFiles({ 'envoy.json': '{"a":2}', 'sds.yaml': 'x' })).not.toBe(base);
    expect(hashOfFiles({ 'envoy.json': '{"a":1}', 'sds.yml': 'x' })).not.toBe(base);
    expect(hashOfFiles({ 'envoy.json': '{"a":1}x', 'sds.yaml': '' })).not.toBe(base);
  });
});
