import { z } from 'zod';
import { API_VERSION, KIND } from './names';
import { type CanonicalSpec, normalizeSpec } from './normalize';
import { baseSpecSchema } from './shape';
import { semanticIssues } from './semantic';
import { statusSchema } from './status';

type Path = (string | number)[];

/** True when one path is a prefix of the other: an issue there says the value at `path` is not to be trusted. */
const overlaps = (a: readonly PropertyKey[], b: readonly PropertyKey[]) => a.slice(0, b.length).every((part, i) => part === b[i]);

/**
 * `spec` as written -> validated (shape and cross-field rules) -> canonical. The cross-field
 * checks run even when shape checks failed (zod would skip them), so one run reports an unknown
 * field and a dangling reference together; they then skip values a shape issue concerns.
 */
export const aiGatewaySpecSchema = baseSpecSchema
  .superRefine(
    (spec, ctx) => {
      // An unknown field leaves the fields beside it intact, so it does not make them untrusted.
      const shapeIssues = ctx.issues.filter((i) => i.code !== 'unrecognized_keys').map((i) => (i.path ?? []) as PropertyKey[]);
      const reported = (path: Path) => shapeIssues.some((p) => overlaps(p, path));
      for (const issue of semanticIssues(spec, reported)) {
        ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message, input: undefined });
      }
    },
    { when: (payload) => payload.value !== null && typeof payload.value === 'object' },
  )
  .transform((spec): CanonicalSpec => normalizeSpec(spec));

/** Service names must be RFC 1035 labels (start with a letter); the gateway's Service takes its name. */
const gatewayName = z
  .string()
  .min(1, { message: 'must not be empty' })
  .max(63, { message: 'must be at most 63 characters (it names the gateway Service)' })
  .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, {
    message: "must be a DNS-1035 label: lower-case letters, digits and '-', starting with a letter (it names the gateway Service)",
  });

export const metadataSchema = z
  .looseObject({
    name: gatewayName.describe('Name of the gateway; its Service, Deployment and ConfigMap (<name>-envoy) are named after it.'),
    namespace: z
      .string()
      .max(63)
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: 'must be a DNS-1123 label' })
      .optional()
      .describe('Namespace of the gateway and of every object generated for it. @default the namespace the manifests are applied to'),
    labels: z.record(z.string(), z.string()).optional().describe('Labels, also put on every object generated for the gateway.'),
    annotations: z.record(z.string(), z.string()).optional().describe('Annotations of the custom resource.'),
  })
  .describe('Standard object metadata.');

/** A whole AIGatewayResource document, as read from YAML or from the cluster. */
export const aiGatewayResourceSchema = z.looseObject({
  apiVersion: z.literal(API_VERSION, { message: `must be "${API_VERSION}"` }),
  kind: z.literal(KIND, { message: `must be "${KIND}"` }),
  metadata: metadataSchema,
  spec: aiGatewaySpecSchema,
  status: statusSchema.optional(),
});

// The public names are plain types expanded from these schemas (scripts/public-types.js), so
// declarations that use them never import zod.
export type { AIGatewaySpecInput, AIGatewayResourceInput, AIGatewayResource } from './public-types';
export type { AIGatewaySpec } from './canonical';
