import { secretKind } from '../spec/secrets';

/** One structured log line: which gateway (if any), what was done, how it ended. */
export interface LogFields {
  readonly action: string;
  readonly outcome: string;
  readonly gateway?: string;
  readonly message?: string;
  readonly [field: string]: unknown;
}

export type Logger = (fields: LogFields) => void;

/** A string that looks like a credential is never written out, whatever field it is in. */
function redact(value: unknown): unknown {
  if (typeof value === 'string') return secretKind(value) ? '<redacted: looked like a credential>' : value;
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v)]));
  return value;
}

/** Writes each entry as one JSON line with a timestamp and a level. */
export function jsonLogger(write: (line: string) => void, now: () => Date = () => new Date()): Logger {
  return (fields) => {
    const level = fields.outcome === 'failed' ? 'error' : fields.outcome === 'retry' ? 'warn' : 'info';
    write(`${JSON.stringify(redact({ time: now().toISOString(), level, ...fields }))}\n`);
  };
}
