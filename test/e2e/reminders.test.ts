import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WRONG_PLACE } from '../../src/listeners/origin.js';
import type { FakeMessage } from '../fakes/slack-api.js';
import { blockAction, findElement, type Harness, snoozedUntil, startHarness } from './harness.js';

let clock = new Date('2026-12-20T12:00:00Z');
let harness: Harness;

function reminders(): FakeMessage[] {
  return harness.slack
    .messagesIn('C0SHOP')
    .filter((message) => !message.thread_ts && message.text.includes('Klaviyo security review'));
}

beforeAll(async () => {
  harness = await startHarness({
    env: { REVIEW_CHANNEL: 'C0SHOP', REVIEW_TIMEZONE: 'Europe/London' },
    now: () => clock,
    scheduler: false,
  });
});

afterAll(async () => {
  await harness?.close();
});

describe('the quarterly review reminder, on a clock the test controls', () => {
  it('reminds once about the quarter that is due, and not again on the next tick', async () => {
    const first = await harness.bot.scheduler.tick(clock);
    // 1 October 2026 is a Thursday: the first weekday of the quarter, 10:00 in London.
    expect(first.reviewReminder).toBe('review-due:2026-10-01T09:00:00.000Z');
    expect(reminders()).toHaveLength(1);
    clock = new Date('2026-12-20T12:05:00Z');
    expect((await harness.bot.scheduler.tick(clock)).reviewReminder).toBeUndefined();
    expect(reminders()).toHaveLength(1);
  });

  it('neither loses nor repeats a reminder across a restart', async () => {
    await harness.restart();
    expect((await harness.bot.scheduler.tick(clock)).reviewReminder).toBeUndefined();
    expect(reminders()).toHaveLength(1);
  });

  it('takes Snooze and Start only from the reminder it posted: a copy on another message changes nothing', async () => {
    const message = reminders()[0] as FakeMessage;
    const forgeries = [
      { ...message, channel: 'C0NOTJOINED' },
      { ...message, ts: '1699999999.000100' },
    ];
    for (const where of forgeries) {
      for (const id of ['reminder:snooze:week', 'reminder:start_review']) {
        const before = harness.slack.responses.length;
        const opened = harness.slack.callsTo('views.open').length;
        await harness.action(blockAction(harness.slack, where, findElement(message.blocks, id) as never));
        const answer = await harness.slack.waitForResponse(
          (post) => harness.slack.responses.indexOf(post) >= before,
        );
        expect(JSON.stringify(answer.body), `${id} in ${where.channel} ${where.ts}`).toContain(
          WRONG_PLACE.slice(0, 60),
        );
        expect(harness.slack.callsTo('views.open')).toHaveLength(opened);
      }
    }
    expect(snoozedUntil(harness)).toBeUndefined();
  });

  it('comes back after a snooze, once', async () => {
    const message = reminders()[0] as FakeMessage;
    const snooze = findElement(message.blocks, 'reminder:snooze:day');
    await harness.action(blockAction(harness.slack, message, snooze as never));
    await harness.slack.waitForResponse((post) => JSON.stringify(post.body).includes('Snoozed'));
    expect(snoozedUntil(harness)).toBeDefined();
    clock = new Date('2026-12-21T11:00:00Z');
    expect((await harness.bot.scheduler.tick(clock)).reviewReminder).toBeUndefined();
    clock = new Date('2026-12-21T12:06:00Z');
    expect((await harness.bot.scheduler.tick(clock)).reviewReminder).toMatch(
      /^review-due:2026-10-01T09:00:00.000Z/,
    );
    expect((await harness.bot.scheduler.tick(clock)).reviewReminder).toBeUndefined();
    expect(reminders()).toHaveLength(2);
  });

  it('reminds again when the next quarter begins, at 10:00 on its first weekday', async () => {
    clock = new Date('2027-01-01T09:59:00Z');
    expect((await harness.bot.scheduler.tick(clock)).reviewReminder).toBeUndefined();
    clock = new Date('2027-01-01T10:00:30Z');
    expect((await harness.bot.scheduler.tick(clock)).reviewReminder).toBe(
      'review-due:2027-01-01T10:00:00.000Z',
    );
    expect(reminders()).toHaveLength(3);
  });

  it('catches up once after being down for two quarters', async () => {
    await harness.bot.stop();
    clock = new Date('2027-07-15T08:00:00Z');
    await harness.restart().catch(() => undefined);
    const report = await harness.bot.scheduler.tick(clock);
    // 1 July 2027 is a Thursday; London is on summer time, so 10:00 there is 09:00 UTC.
    expect(report.reviewReminder).toBe('review-due:2027-07-01T09:00:00.000Z');
    expect((await harness.bot.scheduler.tick(clock)).reviewReminder).toBeUndefined();
    expect(reminders()).toHaveLength(4);
    expect(harness.slack.problems()).toEqual([]);
  });
});
