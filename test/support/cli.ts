import { runCli } from '../../src/cli/run';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `aigate` in-process with the real commands; stdin is given as a string. */
export async function aigate(args: string[], stdin = ''): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    readStdin: () => stdin,
  });
  return { code, stdout, stderr };
}
