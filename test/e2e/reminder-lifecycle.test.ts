import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeMessage, FakeView } from '../fakes/slack-api.js';
import {
  blockAction,
  findElement,
  type Harness,
  snoozedUntil,
  startHarness,
  viewSubmission,
  waitUntil,
} from './harness.js';

/** The test's clock: the bot reads it for reminders, reviews and their dates. */
let clock = new Date('2026-12-01T12:00:00Z');
let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({
    env: { REVIEW_CHANNEL: 'C0SHOP', REVIEW_TIMEZONE: 'Europe/London', COMPANY_DOMAINS: 'shop.example' },
    slack: {
      users: [
        { id: 'U0ALICE', name: 'alice', profile: { email: 'alice@shop.example' } },
        { id: 'U0BOB', name: 'bob', profile: { email: 'bob@shop.example' } },
      ],
    },
    now: () => clock,
    scheduler: false,
  });
});

afterAll(async () => {
  await harness?.close();
});

const ISO_DATE = /\d{4}-\d{2}-\d{2}/;
/** 1 October 2026, 10:00 in London: the first weekday of Q4. */
const Q4_DUE = Date.UTC(2026, 9, 1, 9) / 1000;

function reminders(): FakeMessage[] {
  return harness.slack
    .messagesIn('C0SHOP')
    .filter((message) => !message.thread_ts && message.text.includes('Klaviyo security review'));
}

function shown(message: FakeMessage | undefined): string {
  return JSON.stringify([message?.text, message?.blocks]);
}

function viewAction(view: FakeView, action: Record<string, unknown>) {
  return {
    type: 'block_actions',
    team: { id: harness.slack.teamId },
    user: { id: 'U0ALICE', team_id: harness.slack.teamId },
    api_app_id: harness.slack.appId,
    container: { type: 'view', view_id: view.id },
    trigger_id: harness.slack.issueTriggerId(),
    view: { ...view },
    actions: [{ block_id: 'b', action_ts: `${Date.now() / 1000}`, ...action }],
  };
}

/** Clicks Snooze on the reminder as it was first posted (an old client still shows the buttons). */
async function snoozeOn(original: FakeMessage): Promise<string> {
  const before = harness.slack.responses.length;
  const snooze = findElement(original.blocks, 'reminder:snooze:day');
  await harness.action(blockAction(harness.slack, original, snooze as never, 'U0BOB'));
  const answer = await harness.slack.waitForResponse(
    (post) => harness.slack.responses.indexOf(post) >= before,
  );
  expect(answer.body.response_type).toBe('ephemeral');
  return JSON.stringify(answer.body);
}

describe('a review reminder, from overdue to completed, on the injected clock', () => {
  let original: FakeMessage;
  let reviewTs = '';

  it('says the review is overdue and by how long, with Slack date formatting and no ISO date', async () => {
    expect((await harness.bot.scheduler.tick(clock)).reviewReminder).toBe(
      'review-due:2026-10-01T09:00:00.000Z',
    );
    // A copy: the fake updates its messages in place, and the test clicks the buttons as first posted.
    original = structuredClone(reminders()[0] as FakeMessage);
    expect(original.text).toBe(
      'The 2026 Q4 Klaviyo security review is overdue: it was due Oct 1, 2026, 2 months ago.',
    );
    expect(shown(original)).toContain(
      `It was due <!date^${Q4_DUE}^{date_short_pretty}|Oct 1, 2026>, 2 months ago.`,
    );
    expect(shown(original)).not.toMatch(ISO_DATE);
    expect(findElement(original.blocks, 'reminder:snooze:day')).toBeDefined();
  });

  it('turns into "under way" when the review starts from it, and Snooze then changes nothing', async () => {
    clock = new Date('2026-12-01T13:00:00Z');
    const start = findElement(original.blocks, 'reminder:start_review');
    await harness.action(blockAction(harness.slack, original, start as never));
    const opened = await harness.slack.waitFor('views.open');
    const form = (opened.result as { view: FakeView }).view;
    const roster = 'Name\tEmail\tRole\nSam Owner\tsam@shop.example\tOwner\n';
    await harness.action(
      viewSubmission(harness.slack, form, {
        roster_1: { value: { type: 'plain_text_input', value: roster } },
        roster_file: { value: { type: 'file_input', files: [] } },
      }),
    );
    const posted = await harness.slack.waitFor('chat.postMessage', (call) =>
      String(call.args.text).includes('access review'),
    );
    reviewTs = String((posted.result as { ts: string }).ts);
    await waitUntil(
      () => shown(harness.slack.message('C0SHOP', original.ts)).includes('under way'),
      'under way',
    );
    const now = harness.slack.message('C0SHOP', original.ts);
    expect(now?.text).toBe(
      'The 2026 Q4 Klaviyo security review is under way: started by <@U0ALICE> on Dec 1, 2026.',
    );
    expect(findElement(now?.blocks, 'reminder:snooze:day')).toBeUndefined();

    const said = await snoozeOn(original);
    expect(said).toContain('Nothing to snooze: the review is under way (started by <@U0ALICE>');
    expect(snoozedUntil(harness)).toBeUndefined();
  });

  it('turns into "Completed by … on …, next due …" when the review completes', async () => {
    clock = new Date('2026-12-02T15:00:00Z');
    const message = () => harness.slack.message('C0SHOP', reviewTs) as FakeMessage;
    const users = findElement(message().blocks, 'review:users');
    await harness.action(blockAction(harness.slack, message(), users as never));
    const opened = await harness.slack.waitFor('views.open', (call) =>
      JSON.stringify(call.args).includes('sam@'),
    );
    const modal = (opened.result as { view: FakeView }).view;
    const before = harness.slack.callsTo('views.update').length;
    await harness.action(
      viewAction(modal, {
        action_id: 'review:decide',
        type: 'static_select',
        selected_option: { value: '0|keep' },
      }),
    );
    await waitUntil(() => harness.slack.callsTo('views.update').length > before, 'the decision');
    const reviewId = String(findElement(message().blocks, 'review:complete')?.value);
    await harness.action(
      blockAction(harness.slack, message(), {
        action_id: 'review:two_step',
        type: 'static_select',
        selected_option: { value: `${reviewId}|app` },
      }),
    );
    await waitUntil(() => shown(message()).includes('(authenticator app)'), 'the two-step method');
    for (let round = 0; round < 10; round++) {
      const next = findElement(message().blocks, 'review:account_item', (value) => value.endsWith('|done'));
      if (next === undefined) break;
      const updates = harness.slack.callsTo('chat.update').length;
      await harness.action(blockAction(harness.slack, message(), next as never));
      await waitUntil(() => harness.slack.callsTo('chat.update').length > updates, 'the account item');
      await harness.bot.idle();
    }
    // Slack fails every update while the review completes: the reminder catches up on the next tick.
    harness.slack.failNext('chat.update', 'service_unavailable', 1_000);
    const uploads = harness.slack.uploadedFiles.length;
    await harness.action(
      blockAction(harness.slack, message(), findElement(message().blocks, 'review:complete') as never),
    );
    await waitUntil(() => harness.slack.uploadedFiles.length >= uploads + 2, 'the evidence');
    await harness.bot.scheduler.refreshReminders();
    expect(shown(harness.slack.message('C0SHOP', original.ts))).toContain('under way');
    harness.slack.failNext('chat.update', 'service_unavailable', 0);
    await harness.bot.scheduler.tick(clock);
    await waitUntil(
      () => shown(harness.slack.message('C0SHOP', original.ts)).includes('Completed by'),
      'completed',
    );
    const done = harness.slack.message('C0SHOP', original.ts) as FakeMessage;
    // The next quarter begins on Friday 1 January 2027, 10:00 in London.
    expect(done.text).toBe(
      'The 2026 Q4 Klaviyo security review is done. Completed by <@U0ALICE> on Dec 2, 2026, next due Jan 1, 2027.',
    );
    const completedAt = Math.floor(clock.getTime() / 1000);
    const nextDue = Date.UTC(2027, 0, 1, 10) / 1000;
    expect(shown(done)).toContain(
      `Completed by <@U0ALICE> on <!date^${completedAt}^{date_short_pretty}|Dec 2, 2026>, next due <!date^${nextDue}^{date_short_pretty}|Jan 1, 2027>.`,
    );
    expect(shown(done)).not.toMatch(ISO_DATE);
    expect(findElement(done.blocks, 'reminder:snooze:day')).toBeUndefined();
  });

  it('refuses Snooze after completion, says why, and schedules nothing', async () => {
    const said = await snoozeOn(original);
    expect(said).toContain('Nothing to snooze: the 2026 Q4 review was completed by <@U0ALICE> on');
    expect(said).not.toContain('Snoozed');
    expect(snoozedUntil(harness)).toBeUndefined();
    clock = new Date('2026-12-03T16:00:00Z');
    expect((await harness.bot.scheduler.tick(clock)).reviewReminder).toBeUndefined();
  });

  it('stays completed across a restart, and the next quarter is reminded on time', async () => {
    await harness.restart();
    const updates = harness.slack
      .callsTo('chat.update')
      .filter((call) => call.args.ts === original.ts).length;
    expect((await harness.bot.scheduler.tick(clock)).reviewReminder).toBeUndefined();
    expect(harness.slack.callsTo('chat.update').filter((call) => call.args.ts === original.ts)).toHaveLength(
      updates,
    );

    clock = new Date('2027-01-01T10:00:30Z');
    expect((await harness.bot.scheduler.tick(clock)).reviewReminder).toBe(
      'review-due:2027-01-01T10:00:00.000Z',
    );
    const next = reminders().at(-1) as FakeMessage;
    expect(next.ts).not.toBe(original.ts);
    expect(next.text).toBe('The 2027 Q1 Klaviyo security review is due Jan 1, 2027.');
    expect(findElement(next.blocks, 'reminder:snooze:day')).toBeDefined();
    expect(harness.slack.problems()).toEqual([]);
  });
});
