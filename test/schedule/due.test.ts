import { describe, expect, test } from 'vitest';
import { DEFAULT_REVIEW_SCHEDULE, parseCron } from '../../src/schedule/cron.js';
import type { NudgeRecord, OpenItem, ReminderRecord } from '../../src/schedule/due.js';
import { dueNudges, dueRescans, dueReviewReminder, snoozeUntil } from '../../src/schedule/due.js';

const LONDON = 'Europe/London';
const NY = 'America/New_York';
const quarterly = parseCron(DEFAULT_REVIEW_SCHEDULE);

// Occurrences of the quarterly review in London (10:00 GMT in winter, 10:00 BST = 09:00Z otherwise).
const OCT_2026 = '2026-10-01T09:00:00.000Z';
const JAN_2027 = '2027-01-01T10:00:00.000Z';
const APR_2027 = '2027-04-01T09:00:00.000Z';
const JUL_2027 = '2027-07-01T09:00:00.000Z';

const fired = (occurrence: string, firedAt = occurrence): ReminderRecord => ({
  key: `review-due:${occurrence}`,
  firedAt,
});

describe('dueReviewReminder', () => {
  test.each<{
    name: string;
    now: string;
    lastFired?: ReminderRecord;
    snoozedUntil?: string;
    reviewCompletedAt?: string;
    due?: { key: string; occurrence: string };
  }>([
    {
      name: 'not yet due: the latest occurrence (October) has fired, January has not come',
      now: '2027-01-01T09:59:59.999Z',
      lastFired: fired(OCT_2026),
    },
    {
      name: 'due at the occurrence itself',
      now: JAN_2027,
      lastFired: fired(OCT_2026),
      due: { key: `review-due:${JAN_2027}`, occurrence: JAN_2027 },
    },
    {
      name: 'due a little later, when the ticker runs',
      now: '2027-01-01T10:00:30.000Z',
      lastFired: fired(OCT_2026),
      due: { key: `review-due:${JAN_2027}`, occurrence: JAN_2027 },
    },
    {
      name: 'already fired (same key): not due',
      now: '2027-01-01T10:01:00.000Z',
      lastFired: fired(JAN_2027, '2027-01-01T10:00:01.000Z'),
    },
    {
      name: 'restart days after firing: not due again',
      now: '2027-01-05T08:00:00.000Z',
      lastFired: fired(JAN_2027, '2027-01-01T10:00:01.000Z'),
    },
    {
      name: 'down for two quarters: due once, for the latest occurrence only',
      now: '2027-05-15T12:00:00.000Z',
      lastFired: fired(OCT_2026),
      due: { key: `review-due:${APR_2027}`, occurrence: APR_2027 },
    },
    {
      name: 'down for two quarters, after catching up: not due again',
      now: '2027-05-15T12:01:00.000Z',
      lastFired: fired(APR_2027, '2027-05-15T12:00:00.000Z'),
    },
    {
      name: 'no grace cut-off: an occurrence 3 months old is still caught up',
      now: '2027-06-30T23:00:00.000Z',
      lastFired: fired(JAN_2027),
      due: { key: `review-due:${APR_2027}`, occurrence: APR_2027 },
    },
    {
      name: 'first run with no records: the latest occurrence is due',
      now: '2027-02-10T12:00:00.000Z',
      due: { key: `review-due:${JAN_2027}`, occurrence: JAN_2027 },
    },
    {
      name: 'snoozed past now: not due',
      now: '2027-01-01T10:00:00.000Z',
      lastFired: fired(OCT_2026),
      snoozedUntil: '2027-01-01T10:00:00.001Z',
    },
    {
      name: 'snoozed after firing: not due while the snooze runs',
      now: '2027-01-02T09:59:00.000Z',
      lastFired: fired(JAN_2027),
      snoozedUntil: '2027-01-02T10:00:00.000Z',
    },
    {
      name: 'snooze over: due again under a key that names the snooze',
      now: '2027-01-02T10:00:00.000Z',
      lastFired: fired(JAN_2027),
      snoozedUntil: '2027-01-02T10:00:00.000Z',
      due: {
        key: `review-due:${JAN_2027}:snoozed-until:2027-01-02T10:00:00.000Z`,
        occurrence: JAN_2027,
      },
    },
    {
      name: 'snooze over and reminded again: not due a third time',
      now: '2027-01-03T10:00:00.000Z',
      lastFired: {
        key: `review-due:${JAN_2027}:snoozed-until:2027-01-02T10:00:00.000Z`,
        firedAt: '2027-01-02T10:00:05.000Z',
      },
      snoozedUntil: '2027-01-02T10:00:00.000Z',
    },
    {
      name: 'a snooze that ended before the occurrence is ignored',
      now: JAN_2027,
      lastFired: fired(OCT_2026),
      snoozedUntil: '2026-10-08T09:00:00.000Z',
      due: { key: `review-due:${JAN_2027}`, occurrence: JAN_2027 },
    },
    {
      name: 'review completed after the occurrence: not due',
      now: '2027-01-05T08:00:00.000Z',
      lastFired: fired(OCT_2026),
      reviewCompletedAt: '2027-01-04T16:00:00.000Z',
    },
    {
      name: 'review completed before the occurrence: due',
      now: '2027-01-05T08:00:00.000Z',
      lastFired: fired(OCT_2026),
      reviewCompletedAt: '2026-12-20T16:00:00.000Z',
      due: { key: `review-due:${JAN_2027}`, occurrence: JAN_2027 },
    },
    {
      name: 'review completed after an earlier occurrence only: the next one is due',
      now: '2027-07-01T09:00:00.000Z',
      lastFired: fired(APR_2027),
      reviewCompletedAt: '2027-04-03T16:00:00.000Z',
      due: { key: `review-due:${JUL_2027}`, occurrence: JUL_2027 },
    },
    {
      name: 'fired under another key after the occurrence (schedule edited): not due',
      now: '2027-02-10T12:00:00.000Z',
      lastFired: { key: 'review-due:2026-12-31T12:00:00.000Z', firedAt: '2027-01-02T12:00:00.000Z' },
    },
  ])('$name', ({ now, lastFired, snoozedUntil, reviewCompletedAt, due }) => {
    const result = dueReviewReminder({
      schedule: quarterly,
      timeZone: LONDON,
      now: new Date(now),
      ...(lastFired === undefined ? {} : { lastFired }),
      ...(snoozedUntil === undefined ? {} : { snoozedUntil: new Date(snoozedUntil) }),
      ...(reviewCompletedAt === undefined ? {} : { reviewCompletedAt: new Date(reviewCompletedAt) }),
    });
    expect(
      result === undefined ? undefined : { key: result.key, occurrence: result.occurrence.toISOString() },
    ).toEqual(due);
  });

  test('the key is the same occurrence whichever tick finds it', () => {
    const keys = ['2027-01-01T10:00:00.000Z', '2027-01-01T10:07:00.000Z', '2027-03-31T23:59:00.000Z'].map(
      (now) => dueReviewReminder({ schedule: quarterly, timeZone: LONDON, now: new Date(now) })?.key,
    );
    expect(new Set(keys)).toEqual(new Set([`review-due:${JAN_2027}`]));
  });

  test('the occurrence is in the configured zone', () => {
    const result = dueReviewReminder({
      schedule: quarterly,
      timeZone: NY,
      now: new Date('2027-01-01T15:00:00Z'),
    });
    expect(result?.key).toBe('review-due:2027-01-01T15:00:00.000Z');
    expect(
      dueReviewReminder({ schedule: quarterly, timeZone: NY, now: new Date('2027-01-01T14:59:00Z') })?.key,
    ).toBe('review-due:2026-10-01T14:00:00.000Z');
  });
});

describe('dueNudges', () => {
  const item = (id: string, fields: Partial<OpenItem>): OpenItem => ({
    checklistId: 'rotation-1',
    itemId: id,
    openedAt: '2027-01-01T12:00:00.000Z',
    done: false,
    ...fields,
  });

  const overdueA = item('a', { ownerSlackUser: 'U1', dueAt: '2027-01-04T17:00:00.000Z' });
  const overdueB = item('b', { ownerSlackUser: 'U1' }); // no dueAt: overdue 48 h after opening
  const doneC = item('c', { ownerSlackUser: 'U1', dueAt: '2027-01-02T00:00:00.000Z', done: true });
  const futureD = item('d', { ownerSlackUser: 'U2', dueAt: '2027-01-09T00:00:00.000Z' });
  const overdueE = item('e', { dueAt: '2027-01-03T00:00:00.000Z' }); // no owner
  const overdueF = item('f', {
    ownerSlackUser: 'U2',
    checklistId: 'review-2027q1',
    openedAt: '2026-12-01T00:00:00Z',
  });
  const overdueG = item('g', {
    ownerSlackUser: 'U1',
    checklistId: 'review-2027q1',
    dueAt: '2027-01-05T00:00:00Z',
  });
  const items = [overdueA, overdueB, doneC, futureD, overdueE, overdueF, overdueG];

  const nudges = (now: string, lastNudges: NudgeRecord[] = [], timeZone = NY, list = items) =>
    dueNudges({ items: list, now: new Date(now), timeZone, lastNudges, overdueAfterHours: 48 }).map((n) => ({
      owner: n.ownerSlackUser,
      items: n.items.map((i) => i.itemId),
      key: n.key,
    }));

  test('groups all overdue, not-done items per owner; unowned items under ""', () => {
    expect(nudges('2027-01-05T15:00:00.000Z')).toEqual([
      { owner: 'U1', items: ['a', 'b', 'g'], key: 'nudge:U1:2027-01-05' },
      { owner: '', items: ['e'], key: 'nudge::2027-01-05' },
      { owner: 'U2', items: ['f'], key: 'nudge:U2:2027-01-05' },
    ]);
  });

  test.each<[name: string, list: OpenItem[], now: string, expected: string[]]>([
    ['done items never nudge', [doneC], '2027-01-05T15:00:00.000Z', []],
    ['before dueAt: not overdue', [futureD], '2027-01-05T15:00:00.000Z', []],
    ['exactly at dueAt: not yet overdue', [overdueA], '2027-01-04T17:00:00.000Z', []],
    ['just after dueAt: overdue', [overdueA], '2027-01-04T17:00:00.001Z', ['a']],
    ['without dueAt, 47 h after opening: not overdue', [overdueB], '2027-01-03T11:00:00.000Z', []],
    ['without dueAt, 49 h after opening: overdue', [overdueB], '2027-01-03T13:00:00.000Z', ['b']],
    [
      'unreadable dueAt falls back to openedAt',
      [item('x', { dueAt: 'soon' })],
      '2027-01-03T13:00:00Z',
      ['x'],
    ],
    ['unreadable dates never nudge', [item('y', { openedAt: 'yesterday' })], '2027-01-03T13:00:00Z', []],
  ])('%s', (_name, list, now, expected) => {
    expect(nudges(now, [], NY, list).flatMap((n) => n.items)).toEqual(expected);
  });

  test('an empty or blank owner is the channel', () => {
    const list = [item('x', { ownerSlackUser: '', dueAt: '2027-01-02T00:00:00Z' }), overdueE];
    expect(nudges('2027-01-05T15:00:00.000Z', [], NY, list)).toEqual([
      { owner: '', items: ['x', 'e'], key: 'nudge::2027-01-05' },
    ]);
  });

  test('at most once per owner per calendar day', () => {
    const sent: NudgeRecord[] = [
      { ownerSlackUser: 'U1', sentAt: '2027-01-05T14:00:00.000Z' }, // 09:00 EST today
      { ownerSlackUser: 'U2', sentAt: '2027-01-04T14:00:00.000Z' }, // yesterday
    ];
    expect(nudges('2027-01-05T15:00:00.000Z', sent)).toEqual([
      { owner: '', items: ['e'], key: 'nudge::2027-01-05' },
      { owner: 'U2', items: ['f'], key: 'nudge:U2:2027-01-05' },
    ]);
  });

  test.each<[name: string, timeZone: string, sentAt: string, now: string, key: string | undefined]>([
    // 03:00Z on the 6th is 22:00 on the 5th in New York; 04:30Z is 23:30 the same local day.
    [
      'same local day though the UTC day changed',
      NY,
      '2027-01-06T03:00:00.000Z',
      '2027-01-06T04:30:00.000Z',
      undefined,
    ],
    [
      'past local midnight: a new day',
      NY,
      '2027-01-06T03:00:00.000Z',
      '2027-01-06T05:30:00.000Z',
      'nudge:U1:2027-01-06',
    ],
    [
      'UTC: past midnight is a new day',
      'UTC',
      '2027-01-05T23:00:00.000Z',
      '2027-01-06T00:30:00.000Z',
      'nudge:U1:2027-01-06',
    ],
    // 18:30Z is midnight in Kolkata: a new local day while the UTC day is the same.
    [
      'Kolkata: new local day, same UTC day',
      'Asia/Kolkata',
      '2027-01-05T10:00:00Z',
      '2027-01-05T18:45:00Z',
      'nudge:U1:2027-01-06',
    ],
    ['Kolkata: same local day', 'Asia/Kolkata', '2027-01-05T10:00:00Z', '2027-01-05T18:15:00Z', undefined],
  ])('%s', (_name, timeZone, sentAt, now, key) => {
    const result = nudges(now, [{ ownerSlackUser: 'U1', sentAt }], timeZone, [overdueA]);
    expect(result.map((n) => n.key)).toEqual(key === undefined ? [] : [key]);
  });

  test('the key is the same all day, so a restart does not send twice', () => {
    const morning = nudges('2027-01-05T14:00:00.000Z', [], NY, [overdueA]);
    const evening = nudges('2027-01-06T04:59:00.000Z', [], NY, [overdueA]);
    expect(morning.map((n) => n.key)).toEqual(['nudge:U1:2027-01-05']);
    expect(evening.map((n) => n.key)).toEqual(['nudge:U1:2027-01-05']);
  });
});

describe('dueRescans', () => {
  // Mondays at 03:00 in London; Monday 2027-01-04 03:00 GMT is the latest before `now`.
  const weekly = parseCron('0 3 * * MON');
  const now = new Date('2027-01-06T12:00:00.000Z');

  test('never scanned, or scanned before the latest occurrence, is due; input order kept', () => {
    const sites = [
      { url: 'https://a.example', lastScanAt: '2027-01-04T03:00:01.000Z' },
      { url: 'https://b.example' },
      { url: 'https://c.example', lastScanAt: '2027-01-04T02:59:59.000Z' },
      { url: 'https://d.example', lastScanAt: '2027-01-04T03:00:00.000Z' },
      { url: 'https://e.example', lastScanAt: 'not a date' },
      { url: 'https://f.example', lastScanAt: '2026-12-01T00:00:00.000Z' },
    ];
    expect(dueRescans({ sites, schedule: weekly, timeZone: LONDON, now })).toEqual([
      'https://b.example',
      'https://c.example',
      'https://e.example',
      'https://f.example',
    ]);
  });

  test('the occurrence is in the configured zone', () => {
    // 03:00 in New York is 08:00Z: a scan at 05:00Z on the Monday predates it.
    const sites = [{ url: 'https://a.example', lastScanAt: '2027-01-04T05:00:00.000Z' }];
    expect(dueRescans({ sites, schedule: weekly, timeZone: NY, now })).toEqual(['https://a.example']);
    expect(dueRescans({ sites, schedule: weekly, timeZone: LONDON, now })).toEqual([]);
  });

  test('nothing when there are no sites', () => {
    expect(dueRescans({ sites: [], schedule: weekly, timeZone: LONDON, now })).toEqual([]);
  });
});

describe('snoozeUntil', () => {
  test.each<[now: string, choice: 'day' | 'week', timeZone: string, expected: string]>([
    ['2027-01-05T15:00:00.000Z', 'day', NY, '2027-01-06T15:00:00.000Z'],
    ['2027-01-05T15:00:00.000Z', 'week', NY, '2027-01-12T15:00:00.000Z'],
    // Saturday 10:00 EST → Sunday 10:00 EDT: 23 hours later.
    ['2027-03-13T15:00:00.000Z', 'day', NY, '2027-03-14T14:00:00.000Z'],
    ['2027-03-10T15:00:00.000Z', 'week', NY, '2027-03-17T14:00:00.000Z'],
    // Saturday 10:00 EDT → Sunday 10:00 EST: 25 hours later.
    ['2027-11-06T14:00:00.000Z', 'day', NY, '2027-11-07T15:00:00.000Z'],
    // London: BST starts Sunday 28 March 2027.
    ['2027-03-27T09:30:15.250Z', 'day', LONDON, '2027-03-28T08:30:15.250Z'],
    // Month and year ends.
    ['2027-12-31T15:00:00.000Z', 'day', NY, '2028-01-01T15:00:00.000Z'],
    ['2028-02-25T15:00:00.000Z', 'week', NY, '2028-03-03T15:00:00.000Z'],
    // Sydney: 23:30 local on 31 December is 12:30Z the same UTC day.
    ['2026-12-31T12:30:00.000Z', 'day', 'Australia/Sydney', '2027-01-01T12:30:00.000Z'],
    // 02:30 on Saturday; 02:30 on Sunday 14 March does not exist → 03:00 EDT.
    ['2027-03-13T07:30:00.000Z', 'day', NY, '2027-03-14T07:00:00.000Z'],
    // 01:30 on Saturday; 01:30 on Sunday 7 November happens twice → the first (EDT).
    ['2027-11-06T05:30:00.000Z', 'day', NY, '2027-11-07T05:30:00.000Z'],
  ])('%s + %s in %s → %s', (now, choice, timeZone, expected) => {
    expect(snoozeUntil(new Date(now), choice, timeZone).toISOString()).toBe(expected);
  });
});
