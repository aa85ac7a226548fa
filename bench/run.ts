/**
 * `npm run bench [-- SECTION...]`: measures what the library costs, each figure as a ratio against a
 * baseline measured in the same run, prints a table and writes it to bench/results.md. Not part of
 * `npm test`: timings on shared machines are noisy, ratios much less so.
 */
import { existsSync, readFileSync, writeFileSync } from 'fs';
import { cpus, loadavg } from 'os';
import { join } from 'path';
import { cliBenchmark } from './cli';
import { envoyBenchmark } from './envoy';
import { luaBenchmark } from './lua';
import { reconcileBenchmark } from './reconcile';
import { fullResults, mergeResults, sectionBlock } from './results';
import { synthBenchmark } from './synth';

interface Section {
  readonly name: string;
  readonly run: () => { markdown: string; passed: boolean } | Promise<{ markdown: string; passed: boolean }>;
}

const SECTIONS: Section[] = [
  { name: 'synth', run: () => synthBenchmark() },
  { name: 'cli', run: () => cliBenchmark() },
  { name: 'lua', run: () => luaBenchmark() },
  { name: 'reconcile', run: () => reconcileBenchmark() },
  { name: 'envoy', run: () => envoyBenchmark() },
];

/** Section names from the command line (`envoy lua`, `--only envoy,lua`); none means all. */
function selected(args: string[]): Section[] {
  const names = args.filter((a) => a !== '--only').flatMap((a) => a.split(','));
  const unknown = names.filter((n) => !SECTIONS.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`bench: no section ${unknown.join(', ')} (sections: ${SECTIONS.map((s) => s.name).join(', ')})`);
  return SECTIONS.filter((s) => names.length === 0 || names.includes(s.name));
}

const RESULTS = join(__dirname, '..', '..', '..', 'bench', 'results.md');

async function main(): Promise<void> {
  const sections = selected(process.argv.slice(2));
  const started = Date.now();
  const header = ['# Benchmark results', '', `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${new Date().toISOString()}`].join('\n');
  const blocks = new Map<string, string>();
  let passed = true;
  for (const section of sections) {
    process.stderr.write(`bench: ${section.name}…\n`);
    const [when, load] = [new Date(), loadavg()[0]];
    const result = await section.run();
    passed &&= result.passed;
    const block = sectionBlock(section.name, result.markdown, when, (Date.now() - when.getTime()) / 1000, load);
    blocks.set(section.name, block);
    process.stdout.write(`${block}\n`);
  }
  const all = sections.length === SECTIONS.length;
  const text = all || !existsSync(RESULTS) ? fullResults(header, [...blocks.values()], (Date.now() - started) / 1000) : mergeResults(readFileSync(RESULTS, 'utf8'), blocks);
  writeFileSync(RESULTS, text);
  const what = all ? '' : ` (sections ${[...blocks.keys()].join(', ')} only; the others kept)`;
  process.stdout.write(`${passed ? 'All targets met.' : 'Some targets missed (MISS above).'}\nwritten to bench/results.md${what}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
