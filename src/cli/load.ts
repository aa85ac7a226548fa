import type { CliContext } from './context';
import { CliError, EXIT } from './errors';
import { formatProblem, loadGateways, type LoadedGateway } from './gateways';
import { readInputs } from './inputs';

/** Reads and validates every input; on any problem, reports all of them and fails. */
export function loadOrFail(paths: string[], ctx: CliContext): LoadedGateway[] {
  if (paths.length === 0) throw new CliError('no input: give YAML files or directories (or "-" for stdin)', EXIT.usage);
  const { documents, problems } = readInputs(paths, ctx.readStdin);
  const loaded = loadGateways(documents);
  const all = [...problems, ...loaded.problems];
  if (all.length > 0) {
    const files = new Set(all.map((p) => p.file)).size;
    throw new CliError(
      `${all.map(formatProblem).join('\n')}\n${all.length} problem${all.length === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'}; nothing was written`,
    );
  }
  const skipped = loaded.skipped.length > 0 ? `skipped ${loaded.skipped.length} document${loaded.skipped.length === 1 ? '' : 's'} of other kinds (${[...new Set(loaded.skipped)].join(', ')})` : '';
  if (loaded.gateways.length === 0) throw new CliError(`no AIGatewayResource documents in ${paths.join(', ')}${skipped && `; ${skipped}`}`);
  if (skipped) ctx.stderr(`note: ${skipped}\n`);
  return loaded.gateways;
}
