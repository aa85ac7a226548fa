import { z } from 'zod';

/**
 * Building blocks shared by the spec schema. Each carries the message users see when it fails,
 * so errors name what is allowed rather than a regex.
 */

/** RFC 1123 label: what Kubernetes accepts for Service, Secret and most object names. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** RFC 1123 subdomain: Secret and ConfigMap names may contain dots. */
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** RFC 7230 token: the characters allowed in an HTTP header name. */
export const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A non-negative decimal number written out, e.g. "0.00003" (no exponent, no sign). */
export const DECIMAL = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;
/** Kubernetes annotation (or label) key: an optional DNS-subdomain prefix and "/", then a name of at most 63 characters. */
export const ANNOTATION_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
export const ANNOTATION_KEY_MESSAGE =
  'must be a Kubernetes annotation key: an optional DNS subdomain and "/", then a name of at most 63 letters, digits, \'-\', \'_\' or \'.\' that starts and ends with a letter or digit';
/** A Secret data key: what Kubernetes allows as a key of `data`. */
export const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

export const dnsLabel = () =>
  z
    .string()
    .min(1, { message: 'must not be empty' })
    .max(63, { message: 'must be at most 63 characters' })
    .regex(DNS_LABEL, {
      message: `must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit`,
    });

export const dnsSubdomain = () =>
  z
    .string()
    .min(1, { message: 'must not be empty' })
    .max(253, { message: 'must be at most 253 characters' })
    .regex(DNS_SUBDOMAIN, {
      message: `must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.'`,
    });

export const headerName = z
  .string()
  .min(1, { message: 'must not be empty' })
  .max(256)
  .regex(HTTP_TOKEN, {
    message: "must be a legal HTTP header name (letters, digits and !#$%&'*+-.^_`|~, no spaces or colons)",
  });

/** USD per token. Numbers are accepted and written out as exact decimal strings. */
export const usdPerToken = z
  .union([
    z.string().regex(DECIMAL, { message: 'must be a non-negative decimal number such as "0.00003"' }),
    z.number().nonnegative({ message: 'must not be negative' }).finite(),
  ])
  .transform((v) => (typeof v === 'number' ? decimalString(v) : v))
  .meta({ 'x-crd-override': { type: 'string', pattern: DECIMAL.source, maxLength: 32 } });

/** Write a JS number as a plain decimal string (no exponent): 3e-5 -> "0.00003". */
export function decimalString(n: number): string {
  if (Number.isInteger(n)) return String(n);
  const fixed = n.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
  // toFixed(20) shows binary noise ("0.00003000000000000000076"); keep the shortest form that round-trips.
  for (let digits = 1; digits <= 20; digits++) {
    const candidate = n.toFixed(digits);
    if (Number(candidate) === n) return candidate.replace(/0+$/, '').replace(/\.$/, '');
  }
  return fixed;
}

/** A reference to one key of a Kubernetes Secret in the gateway's namespace. */
export const secretKeyRef = (what: string) =>
  z
    .strictObject({
      name: dnsSubdomain().describe(`Name of the Secret that holds the ${what}.`),
      key: z
        .string()
        .min(1)
        .max(253)
        .regex(SECRET_KEY, { message: "must consist of letters, digits, '-', '_' or '.'" })
        .describe(`Key within the Secret whose value is the ${what}.`),
    })
    .describe(`Reference to a key of a Secret in the gateway's namespace that holds the ${what}.`);

/**
 * A Go-style duration limited to what Envoy accepts: "30s", "1.5s", "500ms", "2m", "1m30s".
 * Zero is refused: Envoy rejects a zero connect timeout, and "no timeout" is never what a
 * gateway in front of paid APIs wants.
 */
export const DURATION = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;
const DURATION_PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
/** The longest duration accepted (a day); longer ones are almost certainly a unit mistake. */
export const MAX_DURATION_SECONDS = 86400;
export const duration = z
  .string()
  .max(32)
  .regex(DURATION, { message: 'must be a duration such as "30s", "500ms", "2m" or "1m30s"' })
  .refine((text) => !DURATION.test(text) || durationSeconds(text) > 0, { message: 'must be longer than 0' })
  .refine((text) => !DURATION.test(text) || durationSeconds(text) <= MAX_DURATION_SECONDS, { message: 'must be at most 24h' });

/** Duration string -> seconds (the sum of its parts, "1m30s" = 90). */
export function durationSeconds(text: string): number {
  if (!DURATION.test(text)) throw new Error(`not a duration: ${text}`);
  let seconds = 0;
  for (const m of text.matchAll(DURATION_PART)) seconds += Number(m[1]) * UNIT_SECONDS[m[2]];
  // Sums of decimal parts pick up float noise (0.1s + 0.2s); Envoy takes nanoseconds at most.
  return Math.round(seconds * 1e9) / 1e9;
}

/** True for a key Kubernetes accepts on metadata.annotations (the prefix is at most 253 characters). */
export const isAnnotationKey = (key: string): boolean => ANNOTATION_KEY.test(key) && key.lastIndexOf('/') <= 253;

/** metadata.annotations as Kubernetes accepts them (all values together at most 256 KiB). */
export const annotations = z
  .record(z.string().max(317).refine(isAnnotationKey, { message: ANNOTATION_KEY_MESSAGE }), z.string().max(65536))
  .refine((all) => Object.entries(all).reduce((n, [k, v]) => n + k.length + v.length, 0) <= 262144, {
    message: 'must be at most 256 KiB in total (keys and values), the Kubernetes limit',
  });
