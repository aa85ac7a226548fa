import { conditionSchema, type Condition } from '../spec/status';

/** Condition types the job writes, in the order they appear in status.conditions. */
export const CONDITION_TYPES = ['Ready', 'Progressing', 'Degraded', 'Synced'] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

/** Limit of metav1.Condition.message. */
const MAX_MESSAGE = 32768;

/** A condition as computed, before its lastTransitionTime and observedGeneration are settled. */
export interface ConditionDraft {
  readonly type: ConditionType;
  readonly status: Condition['status'];
  readonly reason: string;
  readonly message: string;
}

export function draft(type: ConditionType, status: Condition['status'], reason: string, message: string): ConditionDraft {
  return { type, status, reason, message: message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message };
}

/**
 * Reads status.conditions leniently: anything not shaped like a condition (as the CRD schema
 * defines it) is dropped, so a malformed entry is replaced rather than carried over.
 */
export function previousConditions(status: unknown): Condition[] {
  const list = (status as { conditions?: unknown } | undefined)?.conditions;
  if (!Array.isArray(list)) return [];
  return list.filter((c): c is Condition => conditionSchema.safeParse(c).success);
}

/**
 * The draft as a condition. lastTransitionTime changes only when the status changes (API
 * conventions); otherwise the previous one is kept.
 */
export function settle(next: ConditionDraft, previous: Condition | undefined, generation: number | undefined, now: Date): Condition {
  const transitioned = !previous || previous.status !== next.status || !previous.lastTransitionTime;
  return {
    type: next.type,
    status: next.status,
    ...(generation !== undefined && { observedGeneration: generation }),
    lastTransitionTime: transitioned ? now.toISOString().replace(/\.\d{3}Z$/, 'Z') : previous.lastTransitionTime,
    reason: next.reason,
    message: next.message,
  };
}

/**
 * A read failed: the previous condition stays as it was (status, lastTransitionTime and the
 * generation it was observed for), only its reason and message say the observation failed.
 * Without a previous condition the status is Unknown.
 */
export function observationFailed(type: ConditionType, previous: Condition | undefined, message: string, now: Date): Condition {
  if (!previous) return settle(draft(type, 'Unknown', 'ObservationFailed', message), undefined, undefined, now);
  return { ...previous, reason: 'ObservationFailed', message: draft(type, previous.status, 'ObservationFailed', message).message };
}
