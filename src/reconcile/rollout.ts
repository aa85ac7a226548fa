import { ANNOTATION_CONFIG_HASH } from '../spec/names';
import { draft, type ConditionDraft } from './conditions';
import type { DeploymentObject, GatewayObject, Observed } from './types';

/** Ready and Progressing, or the error that kept the Deployment from being read. */
export type RolloutConditions = { readonly ready: ConditionDraft; readonly progressing: ConditionDraft } | { readonly failed: string };

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Where the rollout of the Deployment stands, in the order `kubectl rollout status` checks it:
 * the controller has seen the current spec, every replica runs the new template, no old pod is
 * left, and every updated replica is available.
 */
function rolloutProgress(d: DeploymentObject): string | undefined {
  const desired = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  const generation = d.metadata.generation ?? 0;
  if ((s.observedGeneration ?? 0) < generation) {
    return `the Deployment controller has not yet observed generation ${generation} (it last saw ${s.observedGeneration ?? 'none'})`;
  }
  const updated = s.updatedReplicas ?? 0;
  if (updated < desired) return `${updated} of ${plural(desired, 'replica')} updated to the current template`;
  const total = s.replicas ?? 0;
  if (total > updated) return `${plural(total - updated, 'old replica')} pending termination`;
  const available = s.availableReplicas ?? 0;
  if (available < updated) return `${available} of ${plural(updated, 'updated replica')} available`;
  return undefined;
}

/** The Deployment controller gave up: its own Progressing condition says ProgressDeadlineExceeded. */
function deadlineExceeded(d: DeploymentObject): string | undefined {
  const c = d.status?.conditions?.find((x) => x.type === 'Progressing');
  return c && c.status === 'False' && c.reason === 'ProgressDeadlineExceeded' ? (c.message ?? 'progress deadline exceeded') : undefined;
}

/**
 * Ready: the Envoy Deployment is available with every replica updated to the configuration the
 * gateway was synthesized with. Progressing: a rollout is under way.
 */
export function rolloutConditions(gateway: GatewayObject, observed: Observed<DeploymentObject>): RolloutConditions {
  const { name, namespace } = gateway.metadata;
  if (observed.state === 'failed') return { failed: `could not read the Deployment: ${observed.error}` };
  if (observed.state === 'absent') {
    const message = `Deployment ${namespace}/${name} (label gateway.example.com/gateway=${name}) does not exist yet; apply the output of aigate synth`;
    return { ready: draft('Ready', 'False', 'DeploymentNotFound', message), progressing: draft('Progressing', 'True', 'WaitingForDeployment', message) };
  }
  const d = observed.object;
  const desired = d.spec?.replicas ?? 1;
  const stuck = deadlineExceeded(d);
  const progress = rolloutProgress(d);

  const wanted = gateway.metadata.annotations?.[ANNOTATION_CONFIG_HASH];
  const running = d.spec?.template?.metadata?.annotations?.[ANNOTATION_CONFIG_HASH];
  const progressing = stuck
    ? draft('Progressing', 'False', 'ProgressDeadlineExceeded', `the rollout stopped: ${stuck}`)
    : progress
      ? draft('Progressing', 'True', 'RollingOut', progress)
      : draft('Progressing', 'False', 'RolloutComplete', `${plural(desired, 'replica')} updated and available`);

  if (wanted !== undefined && running !== wanted) {
    const message =
      `the Deployment's pod template carries config hash ${running ?? '(none)'}, the gateway was synthesized with ${wanted}: ` +
      'apply the Deployment from the same aigate synth output as the AIGatewayResource';
    return { ready: draft('Ready', 'False', 'ConfigMismatch', message), progressing };
  }
  const config = wanted ? ` (config ${wanted})` : '';
  if (stuck) return { ready: draft('Ready', 'False', 'ProgressDeadlineExceeded', `the rollout stopped: ${stuck}`), progressing };
  if (desired === 0) {
    const message = 'the Deployment is scaled to 0 replicas';
    return { ready: draft('Ready', 'False', 'ScaledToZero', message), progressing: draft('Progressing', 'False', 'ScaledToZero', message) };
  }
  if (progress) return { ready: draft('Ready', 'False', 'RollingOut', `rollout in progress${config}: ${progress}`), progressing };
  return { ready: draft('Ready', 'True', 'Available', `${plural(desired, 'replica')} available and updated${config}`), progressing };
}
