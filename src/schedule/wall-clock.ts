/**
 * Wall-clock time in an IANA time zone, with no dependency beyond `Intl`: what people in that zone see
 * on their clocks and calendars (a snooze "until tomorrow", the day a nudge belongs to, the quarter of
 * a review). Pure: the instant is always an argument.
 */

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

const DAY_MS = 86_400_000;

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

/**
 * True for the second pass of a wall-clock time that happens twice (clocks going back): standard cron
 * runs such a time once, at its first pass.
 */
export function isRepeatedWallTime(instant: number, timeZone: string): boolean {
  const offset = offsetAt(instant, timeZone);
  const drop = offsetAt(instant - DAY_MS, timeZone) - offset;
  return drop > 0 && offsetAt(instant - drop, timeZone) === offset + drop;
}
