import { execFileSync } from 'child_process';
import { join } from 'path';
import { fixed, median, table, timeMs, verdict } from './stats';

const ROOT = join(__dirname, '..', '..', '..');
const CLI = join(ROOT, 'dist', 'lib', 'src', 'cli', 'main.js');
const SEED = join(ROOT, 'examples', 'basic-gateway.yaml');

/** CLI cold start: `aigate synth` of one gateway vs the import floor `require('cdk8s-plus-28')`. */
export function cliBenchmark(runs = 9): { markdown: string; passed: boolean } {
  const node = (args: string[]) => timeMs(() => execFileSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'ignore'] }));
  const floor: number[] = [];
  const synth: number[] = [];
  node(['-e', "require('cdk8s-plus-28')"]);
  node([CLI, 'synth', SEED]);
  for (let i = 0; i < runs; i++) {
    floor.push(node(['-e', "require('cdk8s-plus-28')"]));
    synth.push(node([CLI, 'synth', SEED]));
  }
  const f = median(floor);
  const s = median(synth);
  const ratio = s / f;
  return {
    markdown: [
      '### CLI cold start (median of ' + runs + ' runs)',
      '',
      table(['command', 'ms'], [
        ["node -e \"require('cdk8s-plus-28')\" (floor)", fixed(f, 0)],
        ['aigate synth examples/basic-gateway.yaml', fixed(s, 0)],
      ]),
      '',
      `- ratio: ${fixed(ratio)} (target ≤ 2): **${verdict(ratio <= 2)}**`,
    ].join('\n'),
    passed: ratio <= 2,
  };
}
