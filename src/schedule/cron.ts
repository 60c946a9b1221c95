/**
 * Cron schedules in the wall-clock time of an IANA time zone, read and evaluated by croner: 5 fields
 * (minute hour day-of-month month day-of-week) with names, lists, ranges and steps, croner's own
 * aliases, and two of ours. node-cron, which the bot used before, can only say whether a given minute
 * matches; the reminders need the latest occurrence before now (to catch up after downtime) and the
 * next one after any instant (for "next review due"), which croner computes. Pure: the instant is
 * always an argument, never read from the clock.
 */
import { Cron } from 'croner';
import { isRepeatedWallTime, isValidTimeZone } from './wall-clock.js';

/** A schedule that was read and found to run. Plain data: safe to log and to compare in tests. */
export interface CronSchedule {
  /** As given (trimmed), for messages. */
  readonly expression: string;
  /** The 5-field pattern croner evaluates. */
  readonly pattern: string;
  /**
   * Day-of-month and day-of-week both have to match (else either may): as in Vixie cron, when either
   * field starts with `*`.
   */
  readonly bothDayFields: boolean;
}

/** The project's default review schedule: 10:00 on the first weekday of each quarter. */
export const DEFAULT_REVIEW_SCHEDULE = '@quarterly-first-weekday';

/**
 * Aliases croner has no name for. `1W` is the weekday nearest the 1st within the month: the 1st
 * itself on Monday to Friday, else Monday the 2nd or 3rd, so the first weekday of the month.
 */
const OUR_ALIASES: Readonly<Record<string, string>> = {
  '@quarterly-first-weekday': '0 10 1W 1,4,7,10 *',
  '@quarterly': '0 0 1 1,4,7,10 *',
};

const LOOK_BACK_MS = 400 * 86_400_000;

/**
 * Reads a schedule. Throws an Error whose message names the problem, without a prefix, so the caller
 * can print `REVIEW_SCHEDULE: <message>`.
 */
export function parseCron(input: string): CronSchedule {
  const expression = input.trim();
  if (expression === '') throw new Error('empty schedule: expected 5 fields or an alias such as @quarterly');
  const pattern = OUR_ALIASES[expression.toLowerCase()] ?? expression;
  const [, , dayOfMonth = '', , dayOfWeek = ''] = pattern.split(/\s+/);
  const schedule = {
    expression,
    pattern,
    bothDayFields: dayOfMonth.startsWith('*') || dayOfWeek.startsWith('*'),
  };
  let job: Cron;
  try {
    job = cronOf(schedule, 'UTC');
  } catch (error) {
    throw new Error(`"${expression}" is not a schedule: ${problem(error)}`);
  }
  if (job.nextRun(new Date(0)) === null) throw new Error(`"${expression}" never runs`);
  return schedule;
}

/** The first occurrence strictly after `after`. Throws when the schedule has none ahead. */
export function nextOccurrence(schedule: CronSchedule, after: Date, timeZone: string): Date {
  const job = cronOf(schedule, zone(timeZone));
  let from = checked(after, 'after');
  for (;;) {
    const next = job.nextRun(from);
    if (next === null) throw new Error(`schedule "${schedule.expression}" has no occurrence ahead`);
    if (!isRepeatedWallTime(next.getTime(), timeZone)) return next;
    from = next;
  }
}

/**
 * The latest occurrence at or before `atOrBefore` (to catch up after downtime), looking back at most
 * 400 days; `undefined` if there is none in that window.
 */
export function previousOccurrence(
  schedule: CronSchedule,
  atOrBefore: Date,
  timeZone: string,
): Date | undefined {
  const job = cronOf(schedule, zone(timeZone));
  const limit = checked(atOrBefore, 'atOrBefore').getTime();
  let before = new Date(limit + 1);
  for (;;) {
    const [previous] = job.previousRuns(1, before);
    if (previous === undefined || previous.getTime() < limit - LOOK_BACK_MS) return undefined;
    if (!isRepeatedWallTime(previous.getTime(), timeZone)) return previous;
    before = previous;
  }
}

/** croner's reason, in words that do not mislead (its own counts some fields from 0). */
function problem(error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error)).replace(/^Cron\w*: /, '');
  const field = /^Invalid value for (\w+)/.exec(message)?.[1];
  if (field !== undefined) return `a value in the ${field} field is out of range`;
  if (/ISO8601/.test(message))
    return 'expected 5 fields (minute hour day-of-month month day-of-week) or an alias';
  return message;
}

function cronOf(schedule: CronSchedule, timeZone: string): Cron {
  return new Cron(schedule.pattern, {
    timezone: timeZone,
    mode: '5-part',
    domAndDow: schedule.bothDayFields,
    // `5/10` means from 5 to the field's end in steps of 10, as in Vixie cron.
    sloppyRanges: true,
    paused: true,
  });
}

function zone(timeZone: string): string {
  if (!isValidTimeZone(timeZone))
    throw new Error(`unknown time zone "${timeZone}" (expected an IANA name such as Europe/London)`);
  return timeZone;
}

function checked(date: Date, what: string): Date {
  if (Number.isNaN(date.getTime())) throw new Error(`${what} is not a valid date`);
  return date;
}
