import { describe, expect, test } from 'vitest';
import {
  type CronSchedule,
  DEFAULT_REVIEW_SCHEDULE,
  nextOccurrence,
  parseCron,
  previousOccurrence,
} from '../../src/schedule/cron.js';
import {
  fromWallClock,
  isValidTimeZone,
  localDateString,
  toWallClock,
} from '../../src/schedule/wall-clock.js';

const NY = 'America/New_York';
const iso = (date: Date | undefined): string | undefined => date?.toISOString();

/** The next `count` occurrences after `after`, as ISO strings. */
function occurrences(schedule: CronSchedule, after: string, timeZone: string, count: number): string[] {
  const out: string[] = [];
  let t = new Date(after);
  for (let i = 0; i < count; i++) {
    t = nextOccurrence(schedule, t, timeZone);
    out.push(t.toISOString());
  }
  return out;
}

type Field = 'minutes' | 'hours' | 'daysOfMonth' | 'months' | 'daysOfWeek';

/** The values of one field over the occurrences of a year (at most 2000 of them), in UTC. */
function fieldValuesSeen(schedule: CronSchedule, field: Field): number[] {
  const seen = new Set<number>();
  const start = new Date('2027-01-01T00:00:00.000Z');
  const end = start.getTime() + 366 * 86_400_000;
  let t = start;
  for (let i = 0; i < 2000; i++) {
    t = nextOccurrence(schedule, t, 'UTC');
    if (t.getTime() > end) break;
    const value = {
      minutes: t.getUTCMinutes(),
      hours: t.getUTCHours(),
      daysOfMonth: t.getUTCDate(),
      months: t.getUTCMonth() + 1,
      daysOfWeek: t.getUTCDay(),
    }[field];
    seen.add(value);
  }
  return [...seen].sort((a, b) => a - b);
}

describe('parseCron: fields', () => {
  test.each<[expr: string, field: Field, values: number[]]>([
    ['* * * * *', 'minutes', Array.from({ length: 60 }, (_, i) => i)],
    ['*/15 * * * *', 'minutes', [0, 15, 30, 45]],
    ['5/20 * * * *', 'minutes', [5, 25, 45]],
    ['10-20/5 * * * *', 'minutes', [10, 15, 20]],
    ['0,30,15 * * * *', 'minutes', [0, 15, 30]],
    ['0 9-11,14 * * *', 'hours', [9, 10, 11, 14]],
    ['0 */6 * * *', 'hours', [0, 6, 12, 18]],
    ['0 0 1,15,31 * *', 'daysOfMonth', [1, 15, 31]],
    ['0 0 * JAN,apr,Jul,OCT *', 'months', [1, 4, 7, 10]],
    ['0 0 * jan-mar *', 'months', [1, 2, 3]],
    ['0 0 * */3 *', 'months', [1, 4, 7, 10]],
    ['0 0 * * MON-FRI', 'daysOfWeek', [1, 2, 3, 4, 5]],
    ['0 0 * * sat,sun', 'daysOfWeek', [0, 6]],
    ['0 0 * * SAT-SUN', 'daysOfWeek', [0, 6]],
    ['0 0 * * 7', 'daysOfWeek', [0]],
    ['0 0 * * 5-7', 'daysOfWeek', [0, 5, 6]],
    ['0 0 * * *', 'daysOfWeek', [0, 1, 2, 3, 4, 5, 6]],
    ['0 0 * * */2', 'daysOfWeek', [0, 2, 4, 6]],
    ['  0   0  *  * 1  ', 'daysOfWeek', [1]],
  ])('%s runs at %s %j', (expr, field, values) => {
    expect(fieldValuesSeen(parseCron(expr), field)).toEqual(values);
  });

  test.each<[expr: string, both: boolean]>([
    ['0 0 * * *', true],
    ['0 0 1 * *', true],
    ['0 0 * * MON', true],
    ['0 0 */2 * MON', true],
    ['0 0 1,15 * MON', false],
    [DEFAULT_REVIEW_SCHEDULE, true],
  ])('%s: both day fields must match: %s', (expr, both) => {
    expect(parseCron(expr).bothDayFields).toBe(both);
  });

  test('keeps the expression as given, trimmed', () => {
    expect(parseCron('  @Quarterly-First-Weekday ').expression).toBe('@Quarterly-First-Weekday');
    expect(parseCron('0 10 * * 1 ').expression).toBe('0 10 * * 1');
  });

  test.each([
    ['@yearly', '0 0 1 1 *'],
    ['@annually', '0 0 1 1 *'],
    ['@quarterly', '0 0 1 1,4,7,10 *'],
    ['@monthly', '0 0 1 * *'],
    ['@weekly', '0 0 * * 0'],
    ['@daily', '0 0 * * *'],
    ['@midnight', '0 0 * * *'],
    ['@hourly', '0 * * * *'],
  ])('alias %s means %s', (alias, expr) => {
    for (const timeZone of ['UTC', NY]) {
      expect(occurrences(parseCron(alias), '2027-01-01T00:00:00.000Z', timeZone, 6)).toEqual(
        occurrences(parseCron(expr), '2027-01-01T00:00:00.000Z', timeZone, 6),
      );
    }
  });
});

describe('parseCron: invalid expressions', () => {
  // Messages name the expression; where they come from croner, they say what it found.
  test.each([
    ['', /^empty schedule/],
    ['   ', /^empty schedule/],
    ['* * * *', /is not a schedule: /],
    ['0 * * * * *', /is not a schedule: .*6 parts/],
    ['@reboot', /is not a schedule: /],
    ['@quarterly-first-weekday 09:00', /is not a schedule: /],
    ['60 * * * *', /is not a schedule: a value in the minute field is out of range$/],
    ['0 24 * * *', /is not a schedule: a value in the hour field is out of range$/],
    ['0 0 0 * *', /is not a schedule: a value in the day field is out of range$/],
    ['0 0 32 * *', /is not a schedule: a value in the day field is out of range$/],
    ['0 0 * 13 *', /is not a schedule: a value in the month field is out of range$/],
    ['0 0 * * 8', /is not a schedule: a value in the dayOfWeek field is out of range$/],
    ['0 0 * FOO *', /is not a schedule: /],
    ['0 0 * * FUN', /is not a schedule: /],
    ['0 0 * MON *', /is not a schedule: /],
    ['0 0 * * JAN', /is not a schedule: /],
    ['x * * * *', /is not a schedule: /],
    ['-1 * * * *', /is not a schedule: /],
    ['1.5 * * * *', /is not a schedule: /],
    ['*/0 * * * *', /is not a schedule: /],
    ['*/x * * * *', /is not a schedule: /],
    ['1/2/3 * * * *', /is not a schedule: /],
    ['1-2-3 * * * *', /is not a schedule: /],
    ['5- * * * *', /is not a schedule: /],
    ['0 20-5 * * *', /is not a schedule: .*larger than/],
    ['0 0 * * FRI-MON', /is not a schedule: .*larger than/],
    ['1,,2 * * * *', /is not a schedule: /],
    ['0 0 30 2 *', /never runs$/],
    ['0 0 31 4,6,9,11 *', /never runs$/],
  ])('%j is rejected', (expr, message) => {
    expect(() => parseCron(expr)).toThrow(message);
  });

  test('the message is printable after the setting name', () => {
    try {
      parseCron('0 25 * * *');
      expect.unreachable();
    } catch (error) {
      expect(`REVIEW_SCHEDULE: ${(error as Error).message}`).toBe(
        'REVIEW_SCHEDULE: "0 25 * * *" is not a schedule: a value in the hour field is out of range',
      );
    }
  });

  test('31 in February is allowed when another month has it, or when weekdays also match', () => {
    expect(() => parseCron('0 0 31 2,3 *')).not.toThrow();
    expect(() => parseCron('0 0 30 2 MON')).not.toThrow();
  });
});

describe('isValidTimeZone', () => {
  test.each([
    ['UTC', true],
    ['Europe/London', true],
    ['America/New_York', true],
    ['Asia/Kolkata', true],
    ['Australia/Sydney', true],
    ['Mars/Olympus_Mons', false],
    ['', false],
    ['  ', false],
    ['not a zone', false],
  ])('%j → %s', (tz, valid) => {
    expect(isValidTimeZone(tz)).toBe(valid);
  });

  test('evaluating in an unknown zone names the zone', () => {
    expect(() =>
      nextOccurrence(parseCron('@daily'), new Date('2027-01-01T00:00:00Z'), 'Nowhere/Town'),
    ).toThrow('unknown time zone "Nowhere/Town"');
  });
});

describe('nextOccurrence: the quarterly review across quarter boundaries', () => {
  const quarterly = parseCron(DEFAULT_REVIEW_SCHEDULE);

  // 2027-01-01 is a Friday; 2028-01-01 and 2028-07-01 are Saturdays (first weekday Monday the 3rd);
  // 2028-10-01 is a Sunday.
  test.each<[timeZone: string, expected: string[]]>([
    [
      'UTC',
      [
        '2027-01-01T10:00:00.000Z',
        '2027-04-01T10:00:00.000Z',
        '2027-07-01T10:00:00.000Z',
        '2027-10-01T10:00:00.000Z',
        '2028-01-03T10:00:00.000Z',
        '2028-04-03T10:00:00.000Z',
        '2028-07-03T10:00:00.000Z',
        '2028-10-02T10:00:00.000Z',
      ],
    ],
    [
      'Europe/London', // GMT in winter, BST (+01:00) from April to October
      [
        '2027-01-01T10:00:00.000Z',
        '2027-04-01T09:00:00.000Z',
        '2027-07-01T09:00:00.000Z',
        '2027-10-01T09:00:00.000Z',
        '2028-01-03T10:00:00.000Z',
        '2028-04-03T09:00:00.000Z',
        '2028-07-03T09:00:00.000Z',
        '2028-10-02T09:00:00.000Z',
      ],
    ],
    [
      'America/New_York', // EST -05:00, EDT -04:00
      [
        '2027-01-01T15:00:00.000Z',
        '2027-04-01T14:00:00.000Z',
        '2027-07-01T14:00:00.000Z',
        '2027-10-01T14:00:00.000Z',
        '2028-01-03T15:00:00.000Z',
        '2028-04-03T14:00:00.000Z',
        '2028-07-03T14:00:00.000Z',
        '2028-10-02T14:00:00.000Z',
      ],
    ],
    [
      'Asia/Kolkata', // +05:30 all year
      [
        '2027-01-01T04:30:00.000Z',
        '2027-04-01T04:30:00.000Z',
        '2027-07-01T04:30:00.000Z',
        '2027-10-01T04:30:00.000Z',
        '2028-01-03T04:30:00.000Z',
        '2028-04-03T04:30:00.000Z',
        '2028-07-03T04:30:00.000Z',
        '2028-10-02T04:30:00.000Z',
      ],
    ],
    [
      'Australia/Sydney', // AEDT +11:00 from October to April, AEST +10:00 otherwise; UTC date is a day earlier
      [
        '2026-12-31T23:00:00.000Z',
        '2027-03-31T23:00:00.000Z',
        '2027-07-01T00:00:00.000Z',
        '2027-10-01T00:00:00.000Z', // DST starts Sunday 3 October 2027
        '2028-01-02T23:00:00.000Z',
        '2028-04-03T00:00:00.000Z', // DST ended Sunday 2 April 2028
        '2028-07-03T00:00:00.000Z',
        '2028-10-01T23:00:00.000Z', // DST started Sunday 1 October 2028
      ],
    ],
  ])('%s', (timeZone, expected) => {
    expect(occurrences(quarterly, '2026-12-31T12:00:00.000Z', timeZone, 8)).toEqual(expected);
  });

  test.each<[after: string, timeZone: string, expected: string]>([
    // Just before, at, and just after the occurrence itself: strictly after.
    ['2027-01-01T09:59:59.999Z', 'Europe/London', '2027-01-01T10:00:00.000Z'],
    ['2027-01-01T10:00:00.000Z', 'Europe/London', '2027-04-01T09:00:00.000Z'],
    ['2027-01-01T10:00:00.001Z', 'Europe/London', '2027-04-01T09:00:00.000Z'],
    ['2026-12-31T23:59:00.000Z', NY, '2027-01-01T15:00:00.000Z'],
    // Saturday 1 January 2028 is skipped even after 10:00 that day.
    ['2028-01-01T12:00:00.000Z', 'UTC', '2028-01-03T10:00:00.000Z'],
    ['2028-06-30T12:00:00.000Z', 'UTC', '2028-07-03T10:00:00.000Z'],
    // 20:00Z on 31 December is already 01:30 on 1 January in Kolkata.
    ['2026-12-31T20:00:00.000Z', 'Asia/Kolkata', '2027-01-01T04:30:00.000Z'],
  ])('after %s in %s → %s', (after, timeZone, expected) => {
    expect(nextOccurrence(quarterly, new Date(after), timeZone).toISOString()).toBe(expected);
  });

  test('@quarterly is midnight on the 1st, whatever the weekday', () => {
    expect(occurrences(parseCron('@quarterly'), '2027-12-31T00:00:00.000Z', 'UTC', 3)).toEqual([
      '2028-01-01T00:00:00.000Z',
      '2028-04-01T00:00:00.000Z',
      '2028-07-01T00:00:00.000Z',
    ]);
  });
});

describe('nextOccurrence: day rules', () => {
  test('day-of-month and day-of-week both restricted: a day matches if either does', () => {
    // 13th of the month or any Friday, from Monday 2027-08-09.
    expect(occurrences(parseCron('0 12 13 * FRI'), '2027-08-09T00:00:00.000Z', 'UTC', 5)).toEqual([
      '2027-08-13T12:00:00.000Z', // Friday the 13th: once, not twice
      '2027-08-20T12:00:00.000Z',
      '2027-08-27T12:00:00.000Z',
      '2027-09-03T12:00:00.000Z',
      '2027-09-10T12:00:00.000Z',
    ]);
    expect(occurrences(parseCron('0 12 1,15 * MON'), '2027-03-01T13:00:00.000Z', 'UTC', 4)).toEqual([
      '2027-03-08T12:00:00.000Z',
      '2027-03-15T12:00:00.000Z', // the 15th and a Monday
      '2027-03-22T12:00:00.000Z',
      '2027-03-29T12:00:00.000Z',
    ]);
  });

  test('a day-of-week field starting with * makes both fields apply (Vixie cron)', () => {
    // Odd days of the month that are also Mondays.
    expect(occurrences(parseCron('0 0 */2 * MON'), '2027-02-28T00:00:00.000Z', 'UTC', 4)).toEqual([
      '2027-03-01T00:00:00.000Z',
      '2027-03-15T00:00:00.000Z',
      '2027-03-29T00:00:00.000Z',
      '2027-04-05T00:00:00.000Z',
    ]);
  });

  test('weekday names and ranges', () => {
    expect(occurrences(parseCron('30 9 * * MON-FRI'), '2027-01-01T12:00:00.000Z', 'UTC', 3)).toEqual([
      '2027-01-04T09:30:00.000Z', // Friday 1st already past 09:30; weekend skipped
      '2027-01-05T09:30:00.000Z',
      '2027-01-06T09:30:00.000Z',
    ]);
  });

  test('lists and steps of minutes and hours within a day', () => {
    expect(occurrences(parseCron('0,30 8-9 * * *'), '2027-01-01T00:00:00.000Z', 'Asia/Kolkata', 5)).toEqual([
      '2027-01-01T02:30:00.000Z',
      '2027-01-01T03:00:00.000Z',
      '2027-01-01T03:30:00.000Z',
      '2027-01-01T04:00:00.000Z',
      '2027-01-02T02:30:00.000Z',
    ]);
  });

  test('month-end and leap days', () => {
    expect(occurrences(parseCron('0 0 31 * *'), '2027-01-31T00:00:00.000Z', 'UTC', 3)).toEqual([
      '2027-03-31T00:00:00.000Z',
      '2027-05-31T00:00:00.000Z',
      '2027-07-31T00:00:00.000Z',
    ]);
    expect(iso(nextOccurrence(parseCron('0 0 29 2 *'), new Date('2027-01-01T00:00:00Z'), 'UTC'))).toBe(
      '2028-02-29T00:00:00.000Z',
    );
  });

  test('a leap day on a given weekday decades away is still found', () => {
    // Feb 29 on a Sunday: none between 2092 and 2128 (2100 is not a leap year).
    const sundayLeapDay = parseCron('0 0 29 2 */7');
    expect(iso(nextOccurrence(sundayLeapDay, new Date('2090-01-01T00:00:00Z'), 'UTC'))).toBe(
      '2128-02-29T00:00:00.000Z',
    );
  });

  test('an invalid date is refused', () => {
    expect(() => nextOccurrence(parseCron('@daily'), new Date('nope'), 'UTC')).toThrow(
      'after is not a valid date',
    );
  });
});

describe('daylight saving time in America/New_York', () => {
  // 2027: clocks go forward Sunday 14 March 02:00 EST → 03:00 EDT, back Sunday 7 November 02:00 EDT → 01:00 EST.
  test.each<[expr: string, after: string, expected: string[]]>([
    // 02:30 does not exist on 14 March: it runs at 03:00 EDT (07:00Z), then 02:30 EDT the next day.
    ['30 2 * * *', '2027-03-13T12:00:00.000Z', ['2027-03-14T07:00:00.000Z', '2027-03-15T06:30:00.000Z']],
    // Times in the gap collapse onto 03:00 and run once; the schedule then carries on.
    [
      '*/30 * * * *',
      '2027-03-14T06:15:00.000Z',
      ['2027-03-14T06:30:00.000Z', '2027-03-14T07:00:00.000Z', '2027-03-14T07:30:00.000Z'],
    ],
    // 03:00 itself on the change day: the first instant of EDT.
    ['0 3 * * *', '2027-03-14T05:00:00.000Z', ['2027-03-14T07:00:00.000Z', '2027-03-15T07:00:00.000Z']],
    // 01:30 happens twice on 7 November: it runs once, at the first (EDT, 05:30Z), not at 06:30Z.
    ['30 1 * * *', '2027-11-06T12:00:00.000Z', ['2027-11-07T05:30:00.000Z', '2027-11-08T06:30:00.000Z']],
    // Every 30 minutes: the repeated hour is not run a second time.
    [
      '*/30 * * * *',
      '2027-11-07T05:15:00.000Z',
      ['2027-11-07T05:30:00.000Z', '2027-11-07T07:00:00.000Z', '2027-11-07T07:30:00.000Z'],
    ],
    // The quarterly 10:00 is unaffected.
    ['0 10 * * *', '2027-11-06T12:00:00.000Z', ['2027-11-06T14:00:00.000Z', '2027-11-07T15:00:00.000Z']],
  ])('%s after %s', (expr, after, expected) => {
    expect(occurrences(parseCron(expr), after, NY, expected.length)).toEqual(expected);
  });

  test('starting inside the repeated hour does not run the repeated time', () => {
    // 06:10Z is 01:10 EST, the second pass; 01:30 already ran at 05:30Z.
    expect(iso(nextOccurrence(parseCron('30 1 * * *'), new Date('2027-11-07T06:10:00Z'), NY))).toBe(
      '2027-11-08T06:30:00.000Z',
    );
  });

  test('Sydney: the gap at 02:00 on the first Sunday of October', () => {
    // 2027-10-03 02:00 AEST → 03:00 AEDT; 02:30 runs at 03:00 AEDT = 16:00Z the day before.
    expect(occurrences(parseCron('30 2 * * *'), '2027-10-02T00:00:00.000Z', 'Australia/Sydney', 2)).toEqual([
      '2027-10-02T16:00:00.000Z',
      '2027-10-03T15:30:00.000Z',
    ]);
  });
});

describe('previousOccurrence', () => {
  const quarterly = parseCron(DEFAULT_REVIEW_SCHEDULE);

  test.each<[atOrBefore: string, timeZone: string, expected: string | undefined]>([
    ['2027-01-01T10:00:00.000Z', 'Europe/London', '2027-01-01T10:00:00.000Z'], // at: included
    ['2027-01-01T09:59:59.999Z', 'Europe/London', '2026-10-01T09:00:00.000Z'],
    ['2027-06-30T23:59:00.000Z', 'Europe/London', '2027-04-01T09:00:00.000Z'],
    ['2028-01-02T12:00:00.000Z', 'UTC', '2027-10-01T10:00:00.000Z'], // 1 Jan 2028 is a Saturday
    ['2028-01-03T10:00:00.000Z', 'UTC', '2028-01-03T10:00:00.000Z'],
    ['2026-12-31T23:30:00.000Z', 'Australia/Sydney', '2026-12-31T23:00:00.000Z'],
    ['2027-01-01T04:29:00.000Z', 'Asia/Kolkata', '2026-10-01T04:30:00.000Z'],
  ])('at or before %s in %s → %s', (at, timeZone, expected) => {
    expect(iso(previousOccurrence(quarterly, new Date(at), timeZone))).toBe(expected);
  });

  test('the repeated hour gives the first of the two instants', () => {
    expect(iso(previousOccurrence(parseCron('30 1 * * *'), new Date('2027-11-07T06:45:00Z'), NY))).toBe(
      '2027-11-07T05:30:00.000Z',
    );
  });

  test('a time in the gap gives the moment of the change', () => {
    expect(iso(previousOccurrence(parseCron('30 2 * * *'), new Date('2027-03-14T07:00:00Z'), NY))).toBe(
      '2027-03-14T07:00:00.000Z',
    );
    expect(iso(previousOccurrence(parseCron('30 2 * * *'), new Date('2027-03-14T06:59:59Z'), NY))).toBe(
      '2027-03-13T07:30:00.000Z',
    );
  });

  test('looks back about 400 days, no further', () => {
    const leapDay = parseCron('0 0 29 2 *');
    expect(iso(previousOccurrence(leapDay, new Date('2029-01-01T00:00:00Z'), 'UTC'))).toBe(
      '2028-02-29T00:00:00.000Z',
    );
    expect(previousOccurrence(leapDay, new Date('2030-01-01T00:00:00Z'), 'UTC')).toBeUndefined();
  });

  test('is the inverse of nextOccurrence', () => {
    const schedule = parseCron('15 */4 * * MON,THU');
    let t = new Date('2027-02-20T00:00:00Z');
    for (let i = 0; i < 50; i++) {
      const next = nextOccurrence(schedule, t, NY);
      expect(iso(previousOccurrence(schedule, next, NY))).toBe(next.toISOString());
      expect(iso(previousOccurrence(schedule, new Date(next.getTime() - 1), NY))).toBe(
        i === 0 ? iso(previousOccurrence(schedule, t, NY)) : t.toISOString(),
      );
      t = next;
    }
  });
});

describe('wall clock helpers', () => {
  test.each<[instant: string, timeZone: string, date: string]>([
    ['2027-01-06T04:30:00.000Z', NY, '2027-01-05'],
    ['2027-01-06T05:30:00.000Z', NY, '2027-01-06'],
    ['2027-01-05T18:29:00.000Z', 'Asia/Kolkata', '2027-01-05'],
    ['2027-01-05T18:30:00.000Z', 'Asia/Kolkata', '2027-01-06'],
    ['2027-01-05T13:00:00.000Z', 'Australia/Sydney', '2027-01-06'],
  ])('%s in %s is on %s', (instant, timeZone, date) => {
    expect(localDateString(new Date(instant), timeZone)).toBe(date);
  });

  test('toWallClock and fromWallClock round-trip, keeping milliseconds', () => {
    const instant = new Date('2027-07-04T16:05:06.789Z');
    const wall = toWallClock(instant, NY);
    expect(wall).toEqual({ year: 2027, month: 7, day: 4, hour: 12, minute: 5, second: 6, millisecond: 789 });
    expect(fromWallClock(wall, NY).toISOString()).toBe(instant.toISOString());
  });

  test('fromWallClock: day overflow rolls into the next month', () => {
    expect(fromWallClock({ year: 2027, month: 1, day: 32, hour: 10 }, 'UTC').toISOString()).toBe(
      '2027-02-01T10:00:00.000Z',
    );
  });
});
