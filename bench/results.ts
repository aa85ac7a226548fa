/**
 * bench/results.md: a header, one block per section (opened by a marker comment), the total time
 * of the last full run. A run of some sections replaces only their blocks, so `npm run bench --
 * envoy` does not wipe what the other sections measured.
 */
const marker = (name: string) => `<!-- bench:${name} -->`;
const MARKER = /^<!-- bench:([A-Za-z0-9_-]+) -->$/;
const TOTAL = 'Total time:';

/** A section's block: marker, its markdown, and when and under what load it was measured. */
export function sectionBlock(name: string, markdown: string, when: Date, seconds: number, loadAverage: number): string {
  return [marker(name), markdown, '', `_${name}: measured ${when.toISOString()} in ${seconds.toFixed(0)} s, load average ${loadAverage.toFixed(1)} at the start_`, ''].join('\n');
}

/** The file a full run writes. */
export function fullResults(header: string, blocks: readonly string[], totalSeconds: number): string {
  return [header, '', ...blocks, `${TOTAL} ${totalSeconds.toFixed(0)} s`, ''].join('\n');
}

/**
 * `existing` with the block of each section in `blocks` (name -> block) put where that section's
 * marker was (up to the next marker or the total line), or before the total line when it had
 * none; every other line kept as it was.
 */
export function mergeResults(existing: string, blocks: ReadonlyMap<string, string>): string {
  const pending = new Map(blocks);
  const out: string[] = [];
  const flushPending = () => {
    for (const block of pending.values()) out.push(...block.split('\n'));
    pending.clear();
  };
  let replacing = false;
  for (const line of existing.replace(/\n$/, '').split('\n')) {
    const name = MARKER.exec(line)?.[1];
    if (name !== undefined || line.startsWith(TOTAL)) replacing = false;
    if (name !== undefined && pending.has(name)) {
      out.push(...pending.get(name)!.split('\n'));
      pending.delete(name);
      replacing = true;
    } else if (line.startsWith(TOTAL)) {
      flushPending();
      out.push(line);
    } else if (!replacing) {
      out.push(line);
    }
  }
  flushPending();
  return `${out.join('\n')}\n`;
}
