/**
 * Just enough of the CronJob schedule syntax (the standard five fields, names, steps, ranges,
 * lists, `?`, and the @-macros Kubernetes accepts) to validate a schedule and find the shortest
 * time between two runs, which bounds the job's activeDeadlineSeconds.
 */

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { name: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
] as const;

type Field = (typeof FIELDS)[number];

function valueOf(text: string, field: Field, schedule: string): number {
  const names: readonly string[] | undefined = 'names' in field ? field.names : undefined;
  const named = names?.indexOf(text.toUpperCase()) ?? -1;
  const n = named >= 0 ? named + (field.name === 'month' ? 1 : 0) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= field.min && n <= field.max)) {
    throw new Error(`schedule ${JSON.stringify(schedule)}: ${field.name} ${JSON.stringify(text)} must be a number from ${field.min} to ${field.max}${names ? ' or a name' : ''}`);
  }
  return n;
}

/** The values one field matches. */
function expand(text: string, field: Field, schedule: string): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^([^/]+)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new Error(`schedule ${JSON.stringify(schedule)}: ${field.name} ${JSON.stringify(part)} is not a value, range or step`);
    const step = m[2] !== undefined ? Number(m[2]) : 1;
    if (step < 1) throw new Error(`schedule ${JSON.stringify(schedule)}: ${field.name} step must be at least 1`);
    let from: number;
    let to: number;
    if (m[1] === '*' || m[1] === '?') [from, to] = [field.min, field.max];
    else if (m[1].includes('-')) {
      const [a, b] = m[1].split('-');
      [from, to] = [valueOf(a, field, schedule), valueOf(b, field, schedule)];
      if (from > to) throw new Error(`schedule ${JSON.stringify(schedule)}: ${field.name} range ${m[1]} runs backwards`);
    } else {
      from = valueOf(m[1], field, schedule);
      to = m[2] !== undefined ? field.max : from;
    }
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}

/**
 * Validates a CronJob schedule and returns the shortest time, in seconds, between two of its
 * runs. Day fields can only lengthen the gaps, so minutes and hours give a safe lower bound.
 * Throws an Error naming the bad field and what it allows.
 */
export function shortestIntervalSeconds(schedule: string): number {
  const text = schedule.trim();
  const expanded = text.startsWith('@') ? MACROS[text.toLowerCase()] : text;
  if (!expanded) throw new Error(`schedule ${JSON.stringify(schedule)}: unknown macro (allowed: ${Object.keys(MACROS).join(', ')})`);
  if (/^(TZ|CRON_TZ)=/.test(expanded)) throw new Error(`schedule ${JSON.stringify(schedule)}: set the time zone with CronJob.spec.timeZone, not in the schedule`);
  const parts = expanded.split(/\s+/);
  if (parts.length !== 5) throw new Error(`schedule ${JSON.stringify(schedule)} must have 5 fields (minute hour day-of-month month day-of-week), found ${parts.length}`);
  const sets = parts.map((p, i) => expand(p, FIELDS[i], schedule));
  const minutes = [...sets[1]].sort((a, b) => a - b).flatMap((h) => [...sets[0]].sort((a, b) => a - b).map((m) => h * 60 + m));
  let shortest = 24 * 60 - minutes[minutes.length - 1] + minutes[0]; // last run of a day to the first of the next
  for (let i = 1; i < minutes.length; i++) shortest = Math.min(shortest, minutes[i] - minutes[i - 1]);
  return shortest * 60;
}
