import { writeFileSync } from 'fs';
import type { CliContext } from './context';

/** Writes generated text to `output` (and says so on stderr), or to stdout when no file is given. */
export function writeOutput(text: string, output: string | undefined, ctx: CliContext): void {
  if (output) {
    writeFileSync(output, text);
    ctx.stderr(`wrote ${output}\n`);
  } else {
    ctx.stdout(text);
  }
}
