import { execFileSync } from 'child_process';
import { join } from 'path';
import { fixed, growthExponent, table, verdict } from './stats';

const WORKER = join(__dirname, 'synth-worker.js');
export const SYNTH_SIZES = [1, 10, 100, 1000];

interface TimeResult {
  gateways: number;
  rounds: number;
  ms: { ours: number; 'cdk8s-plus': number; raw: number };
}

function worker(args: string[]): any {
  return JSON.parse(execFileSync(process.execPath, ['--max-old-space-size=8192', WORKER, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 }));
}

/** Synth scaling: ours vs hand-written cdk8s-plus vs raw ApiObjects, ms per gateway and peak RSS. */
export function synthBenchmark(sizes = SYNTH_SIZES): { markdown: string; passed: boolean } {
  const rows: (string | number)[][] = [];
  const times: TimeResult[] = [];
  for (const size of sizes) {
    const t = worker([String(size), 'time']) as TimeResult;
    times.push(t);
    const rss = (variant: string) => Math.round(worker([String(size), `rss-${variant}`]).peakRssKb / 1024);
    const per = (ms: number) => ms / size;
    rows.push([
      size,
      fixed(per(t.ms.ours)),
      fixed(per(t.ms['cdk8s-plus'])),
      fixed(per(t.ms.raw)),
      fixed(t.ms.ours / t.ms['cdk8s-plus']),
      fixed(t.ms.ours / t.ms.raw),
      `${rss('ours')} / ${rss('cdk8s-plus')} / ${rss('raw')}`,
    ]);
  }
  const at = (n: number) => times.find((t) => t.gateways === n);
  const big = at(1000) ?? times[times.length - 1];
  const mid = at(100) ?? times[Math.max(0, times.length - 2)];
  const exponent = growthExponent(mid.gateways, mid.ms.ours, big.gateways, big.ms.ours);
  const ratio = big.ms.ours / big.ms['cdk8s-plus'];
  const ratioOk = ratio <= 1.3;
  const growthOk = exponent <= 1.1;
  const markdown = [
    '### Synth scaling (10 endpoints, every feature on, per gateway)',
    '',
    table(['gateways', 'ours ms/gw', 'cdk8s-plus ms/gw', 'raw ms/gw', 'ours ÷ cdk8s-plus', 'ours ÷ raw', 'peak RSS MB (ours / cdk8s-plus / raw)'], rows),
    '',
    `- ratio to hand-written cdk8s-plus at ${big.gateways} gateways: ${fixed(ratio)} (target ≤ 1.3): **${verdict(ratioOk)}**`,
    `- growth exponent ${mid.gateways} → ${big.gateways}: ${fixed(exponent)} (target ≤ 1.1): **${verdict(growthOk)}**`,
  ].join('\n');
  return { markdown, passed: ratioOk && growthOk };
}
