/**
 * What the reminder loop should do at time `now`. Pure functions: the ticker calls them with
 * the current time and the stored records, sends what they return, then stores the returned keys, so a
 * restart neither loses nor repeats a message.
 */
import { type CronSchedule, previousOccurrence } from './cron.js';
import { fromWallClock, localDateString, toWallClock } from './wall-clock.js';

export interface ReminderRecord {
  key: string;
  /** ISO 8601. */
  firedAt: string;
}

export interface OpenItem {
  checklistId: string;
  itemId: string;
  ownerSlackUser?: string;
  /** ISO 8601. */
  dueAt?: string;
  /** ISO 8601. */
  openedAt: string;
  done: boolean;
}

export interface NudgeRecord {
  ownerSlackUser: string;
  /** ISO 8601. */
  sentAt: string;
}

export interface DueReviewReminder {
  /** `review-due:<occurrence ISO>`, or `review-due:<occurrence ISO>:snoozed-until:<ISO>` after a snooze. */
  key: string;
  occurrence: Date;
}

export interface DueNudge {
  /** `''` for items without an owner: the caller posts those to the channel. */
  ownerSlackUser: string;
  items: OpenItem[];
  /** `nudge:<owner>:<YYYY-MM-DD>` with the date in the configured time zone. */
  key: string;
}

function parseTime(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
}

/** The key that identifies one occurrence of the review schedule. */
export function reviewReminderKey(occurrence: Date): string {
  return `review-due:${occurrence.toISOString()}`;
}

/**
 * The review reminder due at `now`, if any: the latest occurrence at or before `now`, unless it has
 * fired, a snooze is running, or a review was completed at or after it.
 *
 * - Downtime across several occurrences catches up once, for the latest one only.
 * - There is no grace period: however old the latest occurrence (up to the ~400-day look-back), it is
 *   still reminded once, because a missed review is overdue, not obsolete. A first run with no records
 *   therefore reminds about the latest occurrence unless `reviewCompletedAt` says it was done.
 * - A snooze that ends after the occurrence makes the reminder due again when it ends, under a key that
 *   includes the snooze end (so "remind me tomorrow" works even though the occurrence already fired).
 * - A record fired at or after the moment the reminder became due also counts as fired, even under
 *   another key: after the schedule is edited, the team is not reminded twice for the same period.
 */
export function dueReviewReminder(input: {
  schedule: CronSchedule;
  timeZone: string;
  now: Date;
  lastFired?: ReminderRecord;
  snoozedUntil?: Date;
  /** The latest completed review. */
  reviewCompletedAt?: Date;
}): DueReviewReminder | undefined {
  const { schedule, timeZone, now, lastFired, snoozedUntil, reviewCompletedAt } = input;
  const occurrence = previousOccurrence(schedule, now, timeZone);
  if (occurrence === undefined) return undefined;
  if (reviewCompletedAt !== undefined && reviewCompletedAt.getTime() >= occurrence.getTime())
    return undefined;

  let key = reviewReminderKey(occurrence);
  let dueSince = occurrence.getTime();
  const snoozeEnd = snoozedUntil?.getTime();
  if (snoozeEnd !== undefined && !Number.isNaN(snoozeEnd)) {
    if (snoozeEnd > now.getTime()) return undefined;
    // A snooze that ended before the occurrence belongs to an earlier period: ignore it.
    if (snoozeEnd > dueSince) {
      key = `${key}:snoozed-until:${new Date(snoozeEnd).toISOString()}`;
      dueSince = snoozeEnd;
    }
  }

  if (lastFired !== undefined) {
    if (lastFired.key === key) return undefined;
    const firedAt = parseTime(lastFired.firedAt);
    if (firedAt !== undefined && firedAt >= dueSince) return undefined;
  }
  return { key, occurrence };
}

/**
 * When an open item became overdue: its `dueAt`, or `overdueAfterHours` after it was opened. An
 * unreadable `dueAt` falls back to `openedAt`; an item with neither readable never counts as overdue
 * (better silent than nudging about garbage every day).
 */
export function overdueAt(item: OpenItem, overdueAfterHours: number): number | undefined {
  const due = parseTime(item.dueAt);
  if (due !== undefined) return due;
  const opened = parseTime(item.openedAt);
  return opened === undefined ? undefined : opened + overdueAfterHours * 3_600_000;
}

/**
 * Nudges due at `now`: one per owner per calendar day (in `timeZone`), covering all of that owner's
 * overdue, not-done items. An item is overdue strictly after its deadline. Items without an owner are
 * grouped under `''`. Owners come in the order their first overdue item appears; items keep input order.
 */
export function dueNudges(input: {
  items: OpenItem[];
  now: Date;
  timeZone: string;
  lastNudges: NudgeRecord[];
  /** Items without `dueAt` are overdue this long after `openedAt`. */
  overdueAfterHours: number;
}): DueNudge[] {
  const { items, now, timeZone, lastNudges, overdueAfterHours } = input;
  const today = localDateString(now, timeZone);

  const nudgedToday = new Set<string>();
  for (const record of lastNudges) {
    const sentAt = parseTime(record.sentAt);
    if (sentAt !== undefined && localDateString(new Date(sentAt), timeZone) === today) {
      nudgedToday.add(record.ownerSlackUser.trim());
    }
  }

  const byOwner = new Map<string, OpenItem[]>();
  for (const item of items) {
    if (item.done) continue;
    const deadline = overdueAt(item, overdueAfterHours);
    if (deadline === undefined || now.getTime() <= deadline) continue;
    const owner = item.ownerSlackUser?.trim() ?? '';
    if (nudgedToday.has(owner)) continue;
    const group = byOwner.get(owner);
    if (group === undefined) byOwner.set(owner, [item]);
    else group.push(item);
  }

  return [...byOwner].map(([ownerSlackUser, ownerItems]) => ({
    ownerSlackUser,
    items: ownerItems,
    key: `nudge:${ownerSlackUser}:${today}`,
  }));
}

/**
 * Sites due for a scheduled rescan: those never scanned (or with an unreadable `lastScanAt`) and those
 * last scanned before the schedule's latest occurrence at or before `now`. Input order is kept.
 */
export function dueRescans(input: {
  sites: { url: string; lastScanAt?: string }[];
  schedule: CronSchedule;
  timeZone: string;
  now: Date;
}): string[] {
  const { sites, schedule, timeZone, now } = input;
  const occurrence = previousOccurrence(schedule, now, timeZone);
  if (occurrence === undefined) return [];
  return sites
    .filter((site) => {
      const lastScan = parseTime(site.lastScanAt);
      return lastScan === undefined || lastScan < occurrence.getTime();
    })
    .map((site) => site.url);
}

/**
 * The end of a snooze: tomorrow or in a week, at the same wall-clock time in `timeZone` (so across a
 * DST change a day is 23 or 25 hours). If that time does not exist on the target day it is the first
 * valid instant after the gap; if it happens twice, the first.
 */
export function snoozeUntil(now: Date, choice: 'day' | 'week', timeZone: string): Date {
  const wall = toWallClock(now, timeZone);
  return fromWallClock({ ...wall, day: wall.day + (choice === 'day' ? 1 : 7) }, timeZone);
}
