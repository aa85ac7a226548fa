import { hashOf } from '../spec/hash';
import { formatIssue } from '../spec/issues';
import { ANNOTATION_SPEC_HASH } from '../spec/names';
import type { AIGatewaySpec } from '../spec/spec';
import { validateSpec } from '../spec/validate';
import { draft, type ConditionDraft } from './conditions';
import type { GatewayObject } from './types';

/** Issues listed in an InvalidSpec message (the rest are counted). */
const MAX_ISSUES = 20;

export interface SyncState {
  readonly synced: ConditionDraft;
  /** The in-cluster spec, normalized, when it is valid. */
  readonly spec?: AIGatewaySpec;
  /**
   * The spec in the cluster is known to be what the deployed configuration was synthesized
   * from (or at least nothing says otherwise: no spec-hash annotation to compare with).
   */
  readonly describesDeployed: boolean;
}

/**
 * Synced: does the spec in the cluster still match the spec the deployed configuration was
 * synthesized from? The in-cluster spec is normalized with the same schema as `aigate synth`
 * and hashed like the construct does, then compared with the spec-hash annotation.
 */
export function syncState(gateway: GatewayObject): SyncState {
  const recorded = gateway.metadata.annotations?.[ANNOTATION_SPEC_HASH];
  const validated = validateSpec(gateway.spec);
  if (!validated.ok) {
    const shown = validated.issues.slice(0, MAX_ISSUES).map(formatIssue);
    const more = validated.issues.length - shown.length;
    const message =
      `the spec in the cluster is invalid (${validated.issues.length} problem${validated.issues.length === 1 ? '' : 's'}): ` +
      shown.join('; ') +
      (more > 0 ? `; and ${more} more` : '') +
      '. The running configuration was synthesized from an earlier spec; fix the spec and re-run aigate synth';
    return { synced: draft('Synced', 'False', 'InvalidSpec', message), describesDeployed: false };
  }
  const spec = validated.value;
  const current = hashOf(spec);
  if (recorded === undefined) {
    const message = `the ${ANNOTATION_SPEC_HASH} annotation is missing, so it is unknown which spec the running configuration was synthesized from; apply the output of aigate synth`;
    return { synced: draft('Synced', 'Unknown', 'SpecHashMissing', message), spec, describesDeployed: true };
  }
  if (current !== recorded) {
    const message =
      `the spec in the cluster (hash ${current}) differs from the spec the deployed configuration was synthesized from (hash ${recorded}): ` +
      'it was edited without re-running aigate synth. Run aigate synth on the new spec and apply its output, or revert the edit';
    return { synced: draft('Synced', 'False', 'SpecDrift', message), spec, describesDeployed: false };
  }
  return { synced: draft('Synced', 'True', 'InSync', `the spec matches the deployed configuration (spec hash ${current})`), spec, describesDeployed: true };
}
