import { fullResults, mergeResults, sectionBlock } from '../bench/results';

const when = new Date('2026-01-02T03:04:05Z');
const block = (name: string, body: string) => sectionBlock(name, `### ${name}\n\n${body}`, when, 12, 0.5);
const full = fullResults('# Benchmark results\n\nNode v20', [block('synth', 'synth figures'), block('envoy', 'old envoy figures')], 200);

describe('bench/results.md: a run of some sections replaces only theirs', () => {
  it('replaces the block of the section run and keeps every other line', () => {
    const merged = mergeResults(full, new Map([['envoy', block('envoy', 'new envoy figures')]]));
    expect(merged).toContain('new envoy figures');
    expect(merged).not.toContain('old envoy figures');
    expect(merged.replace('new envoy figures', 'old envoy figures')).toBe(full);
  });

  it('adds a section the file lacks before the total line (a file written before the markers)', () => {
    const legacy = '# Benchmark results\n\n### Synth scaling\n\n| a |\n\nTotal time: 231 s\n';
    const merged = mergeResults(legacy, new Map([['envoy', block('envoy', 'envoy figures')]]));
    expect(merged.indexOf('### Synth scaling')).toBeLessThan(merged.indexOf('envoy figures'));
    expect(merged.indexOf('envoy figures')).toBeLessThan(merged.indexOf('Total time: 231 s'));
    expect(merged.endsWith('Total time: 231 s\n')).toBe(true);
  });

  it('says when each section was measured and under what load', () => {
    expect(block('envoy', 'x')).toContain('_envoy: measured 2026-01-02T03:04:05.000Z in 12 s, load average 0.5 at the start_');
  });
});
