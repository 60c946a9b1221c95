import { plural } from '../../words.js';

/** Dates as people read them: Slack shows each reader their own time zone; the fallback is in words. */

const DAY_MS = 86_400_000;

/** "Oct 1, 2026", in the given time zone. */
export function dayInWords(date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', {
    month: 'short',
    day: 'numeric',
    year: 'numeric',
    timeZone,
  }).format(date);
}

/** A day in Slack's date formatting ("today", "Oct 1, 2026" in the reader's time zone), with a fallback in words. */
export function slackDay(date: Date, timeZone: string): string {
  return `<!date^${Math.floor(date.getTime() / 1000)}^{date_short_pretty}|${dayInWords(date, timeZone)}>`;
}

/** A day and time in Slack's date formatting, with a fallback in words. */
export function slackDayAndTime(date: Date, timeZone: string): string {
  const time = new Intl.DateTimeFormat('en-US', { hour: 'numeric', minute: '2-digit', timeZone }).format(
    date,
  );
  return `<!date^${Math.floor(date.getTime() / 1000)}^{date_short_pretty} at {time}|${dayInWords(date, timeZone)} at ${time}>`;
}

/** How long ago `then` was at `now`, roughly, as a person says it: "2 months ago", "3 days ago". */
export function timeAgo(then: Date, now: Date): string {
  const ms = now.getTime() - then.getTime();
  const count = (n: number, unit: string) => `${plural(n, unit)} ago`;
  if (ms < 60_000) return 'just now';
  if (ms < 3_600_000) return count(Math.floor(ms / 60_000), 'minute');
  if (ms < DAY_MS) return count(Math.floor(ms / 3_600_000), 'hour');
  const days = Math.floor(ms / DAY_MS);
  if (days < 14) return count(days, 'day');
  if (days < 60) return count(Math.floor(days / 7), 'week');
  if (days < 365) return count(Math.floor(days / 30.44), 'month');
  return count(Math.floor(days / 365.25), 'year');
}
