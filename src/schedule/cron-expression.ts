/**
 * Cron expressions evaluated in the wall-clock time of an IANA time zone, with no dependency beyond
 * `Intl`. Everything here is pure: the current time is always an argument, never read from the clock.
 *
 * Supported: the 5 standard fields (minute hour day-of-month month day-of-week) with `*`, lists, ranges,
 * steps (`*\/15`, `1-30/5`, `5/10` = 5 to the field's end), month names (JAN–DEC) and weekday names
 * (SUN–SAT, and 7 = Sunday), plus the aliases in {@link CRON_ALIASES}. Seconds fields, `?`, `L`, `W` and
 * `#` are not supported.
 */

/** How day-of-month and day-of-week combine to pick a day. */
export type CronDayRule =
  /** Both must match. Standard cron uses this when either field starts with `*`. */
  | 'all'
  /** Either may match. Standard cron uses this when both fields are restricted. */
  | 'either'
  /** The first Monday–Friday of the month (only reachable through `@quarterly-first-weekday`). */
  | 'first-weekday';

/** A parsed schedule. Plain data: safe to log, compare in tests, or rebuild with `parseCron(expression)`. */
export interface CronSchedule {
  /** The expression as given (trimmed), for messages. */
  readonly expression: string;
  /** Sorted, 0–59. */
  readonly minutes: readonly number[];
  /** Sorted, 0–23. */
  readonly hours: readonly number[];
  /** Sorted, 1–31. */
  readonly daysOfMonth: readonly number[];
  /** Sorted, 1–12. */
  readonly months: readonly number[];
  /** Sorted, 0–6 with Sunday 0. */
  readonly daysOfWeek: readonly number[];
  readonly dayRule: CronDayRule;
}

/** Wall-clock fields of an instant in some time zone. `month` is 1–12; `weekday` is 0–6 with Sunday 0. */
export interface WallClock {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly millisecond: number;
}

/** The project's default review schedule: 10:00 on the first weekday of each quarter. */
export const DEFAULT_REVIEW_SCHEDULE = '@quarterly-first-weekday';

const FIRST_WEEKDAY_ALIAS = '@quarterly-first-weekday';

/**
 * Aliases and the 5-field expressions they stand for. `@quarterly-first-weekday` (10:00 on the first
 * Monday–Friday of January, April, July and October) is accepted too but has no 5-field form.
 */
export const CRON_ALIASES: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@quarterly': '0 0 1 1,4,7,10 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** The upper end `*` stands for (day-of-week accepts 7 for Sunday but `*` means 0–6). */
  readonly starMax: number;
  readonly names?: readonly string[];
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const MINUTE: FieldSpec = { name: 'minute', min: 0, max: 59, starMax: 59 };
const HOUR: FieldSpec = { name: 'hour', min: 0, max: 23, starMax: 23 };
const DAY_OF_MONTH: FieldSpec = { name: 'day-of-month', min: 1, max: 31, starMax: 31 };
const MONTH: FieldSpec = { name: 'month', min: 1, max: 12, starMax: 12, names: MONTH_NAMES };
const DAY_OF_WEEK: FieldSpec = { name: 'day-of-week', min: 0, max: 7, starMax: 6, names: DAY_NAMES };

// February counts 29: a schedule that only runs on leap days is rare, not impossible.
const DAYS_IN_MONTH_MAX = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const DAY_MS = 86_400_000;
// Feb 29 on a given weekday can be 40 years apart (around 2100); past that a schedule never runs.
const NEXT_SEARCH_DAYS = 366 * 50;
const PREVIOUS_SEARCH_DAYS = 400;

/**
 * Parses a 5-field cron expression or an alias. Throws an Error whose message names the problem
 * (without a prefix, so the caller can print `REVIEW_SCHEDULE: <message>`).
 */
export function parseCron(expr: string): CronSchedule {
  const expression = expr.trim();
  if (expression === '') throw new Error('empty schedule: expected 5 fields or an alias such as @quarterly');

  if (expression.startsWith('@')) {
    const alias = expression.toLowerCase();
    if (alias === FIRST_WEEKDAY_ALIAS) {
      return {
        expression,
        minutes: [0],
        hours: [10],
        daysOfMonth: [1, 2, 3],
        months: [1, 4, 7, 10],
        daysOfWeek: [1, 2, 3, 4, 5],
        dayRule: 'first-weekday',
      };
    }
    const expanded = CRON_ALIASES[alias];
    if (expanded === undefined) {
      throw new Error(
        `unknown alias "${expression}" (known: ${[...Object.keys(CRON_ALIASES), FIRST_WEEKDAY_ALIAS].join(', ')})`,
      );
    }
    return { ...parseFields(expanded), expression };
  }
  return { ...parseFields(expression), expression };
}

function parseFields(expression: string): Omit<CronSchedule, 'expression'> {
  const fields = expression.split(/\s+/);
  if (fields.length !== 5) {
    const hint = fields.length === 6 ? ' (a seconds field is not supported)' : '';
    throw new Error(
      `expected 5 fields (minute hour day-of-month month day-of-week), got ${fields.length} in "${expression}"${hint}`,
    );
  }
  const [minuteText, hourText, domText, monthText, dowText] = fields as [
    string,
    string,
    string,
    string,
    string,
  ];
  const minutes = parseField(minuteText, MINUTE);
  const hours = parseField(hourText, HOUR);
  const daysOfMonth = parseField(domText, DAY_OF_MONTH);
  const months = parseField(monthText, MONTH);
  const daysOfWeek = parseField(dowText, DAY_OF_WEEK);

  // Vixie cron: a field "is *" when its text starts with `*` (so `*/2` counts as unrestricted here).
  const dayRule: CronDayRule = domText.startsWith('*') || dowText.startsWith('*') ? 'all' : 'either';

  if (
    dayRule === 'all' &&
    !months.some((m) => daysOfMonth.some((d) => d <= (DAYS_IN_MONTH_MAX[m - 1] ?? 0)))
  ) {
    const monthList = months.map((m) => MONTH_NAMES[m - 1]).join(',');
    throw new Error(`never runs: day-of-month "${domText}" does not occur in ${monthList}`);
  }
  return { minutes, hours, daysOfMonth, months, daysOfWeek, dayRule };
}

function parseField(text: string, spec: FieldSpec): number[] {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    if (item === '') throw new Error(`${spec.name}: empty list item in "${text}"`);
    const parts = item.split('/');
    if (parts.length > 2) throw new Error(`${spec.name}: "${item}" has more than one step`);
    const [rangeText = '', stepText] = parts;

    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText))
        throw new Error(`${spec.name}: step "${stepText}" in "${item}" is not a number`);
      step = Number(stepText);
      if (step < 1) throw new Error(`${spec.name}: step in "${item}" must be at least 1`);
    }

    let low: number;
    let high: number;
    if (rangeText === '*') {
      low = spec.min;
      high = spec.starMax;
    } else {
      const ends = rangeText.split('-');
      if (ends.length > 2) throw new Error(`${spec.name}: "${item}" is not a value or a range`);
      low = parseValue(ends[0] ?? '', spec, item, false);
      // `5/10` means 5 to the end of the field, stepping by 10 (as in Vixie cron).
      high =
        ends.length === 2
          ? parseValue(ends[1] ?? '', spec, item, true)
          : stepText === undefined
            ? low
            : spec.starMax;
    }
    if (low > high) throw new Error(`${spec.name}: range "${rangeText}" is backwards (${low} > ${high})`);
    for (let v = low; v <= high; v += step) values.add(spec === DAY_OF_WEEK && v === 7 ? 0 : v);
  }
  return [...values].sort((a, b) => a - b);
}

function parseValue(token: string, spec: FieldSpec, item: string, rangeEnd: boolean): number {
  if (token === '') throw new Error(`${spec.name}: "${item}" is missing a value`);
  let value: number;
  if (/^\d+$/.test(token)) {
    value = Number(token);
  } else {
    const index = spec.names?.indexOf(token.toUpperCase()) ?? -1;
    if (index === -1) {
      const expected =
        spec === MONTH
          ? 'a month (1-12, JAN-DEC)'
          : spec === DAY_OF_WEEK
            ? 'a weekday (0-7, SUN-SAT)'
            : 'a number';
      throw new Error(`${spec.name}: "${token}" is not ${expected}`);
    }
    value = spec === MONTH ? index + 1 : index;
    // `SAT-SUN` and `FRI-SUN` read naturally as running to the end of the week.
    if (spec === DAY_OF_WEEK && rangeEnd && value === 0) value = 7;
  }
  if (value < spec.min || value > spec.max) {
    throw new Error(`${spec.name}: ${token} is out of range ${spec.min}-${spec.max}`);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------
// Time zones

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new Error(`unknown time zone "${timeZone}" (expected an IANA name such as Europe/London)`);
    }
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** True if `Intl` knows the IANA time zone name (e.g. `Europe/London`, `UTC`). */
export function isValidTimeZone(tz: string): boolean {
  if (tz.trim() === '') return false;
  try {
    formatterFor(tz);
    return true;
  } catch {
    return false;
  }
}

// Date.UTC maps years 0–99 to 1900–1999; this does not. Fields may overflow (`day: 32`) like Date.UTC.
function utcMs(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
  const t = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (year < 0 || year > 99) return t;
  const date = new Date(t);
  date.setUTCFullYear(date.getUTCFullYear() - 1900);
  return date.getTime();
}

/** The wall-clock fields of `instant` in `timeZone`. */
export function toWallClock(instant: Date, timeZone: string): WallClock {
  const t = instant.getTime();
  if (Number.isNaN(t)) throw new Error('invalid date');
  let year = 0;
  let month = 0;
  let day = 0;
  let hour = 0;
  let minute = 0;
  let second = 0;
  for (const part of formatterFor(timeZone).formatToParts(instant)) {
    const value = Number(part.value);
    switch (part.type) {
      case 'year':
        year = value;
        break;
      case 'month':
        month = value;
        break;
      case 'day':
        day = value;
        break;
      case 'hour':
        hour = value;
        break;
      case 'minute':
        minute = value;
        break;
      case 'second':
        second = value;
        break;
      default:
        break;
    }
  }
  return { year, month, day, hour, minute, second, millisecond: ((t % 1000) + 1000) % 1000 };
}

/** `YYYY-MM-DD` of `instant` in `timeZone`: the calendar day people in that zone see. */
export function localDateString(instant: Date, timeZone: string): string {
  const { year, month, day } = toWallClock(instant, timeZone);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Milliseconds to add to UTC to get wall-clock time in `timeZone` at instant `t` (second precision). */
function offsetAt(t: number, timeZone: string): number {
  const w = toWallClock(new Date(t), timeZone);
  return utcMs(w.year, w.month, w.day, w.hour, w.minute, w.second, w.millisecond) - t;
}

/**
 * The instant a wall-clock time happens in `timeZone`. A time that happens twice (clocks going back)
 * gives the first of the two; a time that does not exist (clocks going forward) gives the first valid
 * instant after the gap, i.e. the moment of the change. Fields may overflow (`day: 32`) like `Date.UTC`.
 */
export function fromWallClock(
  wall: Partial<WallClock> & Pick<WallClock, 'year' | 'month' | 'day'>,
  timeZone: string,
): Date {
  const local = utcMs(
    wall.year,
    wall.month,
    wall.day,
    wall.hour ?? 0,
    wall.minute ?? 0,
    wall.second ?? 0,
    wall.millisecond ?? 0,
  );
  return new Date(localToInstant(local, timeZone));
}

// `local` is the wall-clock time written as if it were UTC.
function localToInstant(local: number, timeZone: string): number {
  // Assumes at most one offset change within a day either side, which holds for real zones.
  const offsetBefore = offsetAt(local - DAY_MS, timeZone);
  const offsetAfter = offsetAt(local + DAY_MS, timeZone);
  const early = local - offsetBefore;
  const late = local - offsetAfter;
  const earlyOk = offsetAt(early, timeZone) === offsetBefore;
  const lateOk = offsetAt(late, timeZone) === offsetAfter;
  if (earlyOk && lateOk) return Math.min(early, late);
  if (earlyOk) return early;
  if (lateOk) return late;
  if (offsetBefore === offsetAfter) return early; // two changes within two days: not a real zone today
  // In the gap: `late` lies before the change and `early` after it; find the change to the second.
  let lo = Math.floor(Math.min(early, late) / 1000);
  let hi = Math.ceil(Math.max(early, late) / 1000);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(mid * 1000, timeZone) === offsetAfter) hi = mid;
    else lo = mid;
  }
  return hi * 1000;
}

// ---------------------------------------------------------------------------------------------------
// Evaluation

function dayMatches(schedule: CronSchedule, year: number, month: number, day: number): boolean {
  if (!schedule.months.includes(month)) return false;
  const weekday = new Date(utcMs(year, month, day)).getUTCDay();
  switch (schedule.dayRule) {
    case 'first-weekday':
      // Day 1 if it is Mon–Fri, otherwise the Monday on day 2 or 3.
      return weekday >= 1 && weekday <= 5 && (day === 1 || (weekday === 1 && day <= 3));
    case 'all':
      return schedule.daysOfMonth.includes(day) && schedule.daysOfWeek.includes(weekday);
    case 'either':
      return schedule.daysOfMonth.includes(day) || schedule.daysOfWeek.includes(weekday);
  }
}

/** A matching day's times as instants, in wall-clock order (which is also instant order). */
class DayCandidates {
  readonly length: number;
  private readonly base: number;

  constructor(
    private readonly schedule: CronSchedule,
    year: number,
    month: number,
    day: number,
    private readonly timeZone: string,
  ) {
    this.base = utcMs(year, month, day);
    this.length = schedule.hours.length * schedule.minutes.length;
  }

  instant(index: number): number {
    const perHour = this.schedule.minutes.length;
    const hour = this.schedule.hours[Math.floor(index / perHour)] ?? 0;
    const minute = this.schedule.minutes[index % perHour] ?? 0;
    return localToInstant(this.base + hour * 3_600_000 + minute * 60_000, this.timeZone);
  }
}

// Candidates map to non-decreasing instants (gap times collapse onto the change, repeated times take
// the first pass), so a day is binary-searched instead of walked minute by minute.
function firstAfter(candidates: DayCandidates, after: number): number | undefined {
  let lo = 0;
  let hi = candidates.length;
  let found: number | undefined;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const t = candidates.instant(mid);
    if (t > after) {
      found = t;
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return found;
}

function lastAtOrBefore(candidates: DayCandidates, atOrBefore: number): number | undefined {
  let lo = 0;
  let hi = candidates.length;
  let found: number | undefined;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const t = candidates.instant(mid);
    if (t <= atOrBefore) {
      found = t;
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return found;
}

function checkedTime(date: Date, what: string): number {
  const t = date.getTime();
  if (Number.isNaN(t)) throw new Error(`${what} is not a valid date`);
  return t;
}

/**
 * The first occurrence strictly after `after`, in the wall-clock time of `timeZone`. Throws if the
 * schedule has no occurrence within 50 years (only possible for leap-day schedules with a weekday).
 */
export function nextOccurrence(schedule: CronSchedule, after: Date, timeZone: string): Date {
  const afterMs = checkedTime(after, 'after');
  const start = toWallClock(after, timeZone);
  // Start a day early: a time in a gap at midnight can land on the next calendar day.
  for (let offset = -1; offset <= NEXT_SEARCH_DAYS; offset++) {
    const date = new Date(utcMs(start.year, start.month, start.day + offset));
    const [year, month, day] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
    if (!dayMatches(schedule, year, month, day)) continue;
    const found = firstAfter(new DayCandidates(schedule, year, month, day, timeZone), afterMs);
    if (found !== undefined) return new Date(found);
  }
  throw new Error(`schedule "${schedule.expression}" has no occurrence within 50 years`);
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
  const atMs = checkedTime(atOrBefore, 'atOrBefore');
  const start = toWallClock(atOrBefore, timeZone);
  for (let offset = 1; offset >= -PREVIOUS_SEARCH_DAYS; offset--) {
    const date = new Date(utcMs(start.year, start.month, start.day + offset));
    const [year, month, day] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
    if (!dayMatches(schedule, year, month, day)) continue;
    const found = lastAtOrBefore(new DayCandidates(schedule, year, month, day, timeZone), atMs);
    if (found !== undefined) return new Date(found);
  }
  return undefined;
}
