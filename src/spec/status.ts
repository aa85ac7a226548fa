import { z } from 'zod';

export const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;

/** metav1.Condition, field for field (same limits as the Kubernetes API). */
export const conditionSchema = z
  .strictObject({
    type: z
      .string()
      .max(316)
      .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/)
      .describe('Type of condition in CamelCase, e.g. Ready.'),
    status: z.enum(CONDITION_STATUSES).describe('Status of the condition: True, False or Unknown.'),
    observedGeneration: z.number().int().min(0).optional().describe('The .metadata.generation the condition was set from.'),
    lastTransitionTime: z.iso.datetime({ offset: true }).describe('Last time the status changed.'),
    reason: z
      .string()
      .min(1)
      .max(1024)
      .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/)
      .describe('Programmatic identifier of the reason, in CamelCase.'),
    message: z.string().max(32768).describe('Human-readable details.'),
  })
  .describe('Condition in the shape of metav1.Condition.');

export const statusSchema = z
  .strictObject({
    conditions: z.array(conditionSchema).max(16).optional().describe('Latest observations: Ready, Progressing, Degraded, Synced.'),
    address: z.string().max(1024).optional().describe('Address clients use: Ingress load balancer, else Service DNS name and port.'),
    deployedModels: z.array(z.string().max(256)).max(1024).optional().describe('Models whose endpoint is reachable.'),
    lastReconciledTime: z.iso.datetime({ offset: true }).optional().describe('When the reconcile job last observed the gateway.'),
    observedGeneration: z.number().int().min(0).optional().describe('The .metadata.generation this status describes.'),
  })
  .describe('Observed state of the gateway, written by the reconcile job.');

export type { Condition, GatewayStatus } from './public-types';
