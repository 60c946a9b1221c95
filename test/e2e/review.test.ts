import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeMessage, FakeView } from '../fakes/slack-api.js';
import {
  blockAction,
  viewAction as clickInView,
  findElement,
  type Harness,
  openHome,
  startHarness,
  waitUntil,
} from './harness.js';

const ROLES = ['Admin', 'Manager', 'Analyst', 'Campaign Coordinator', 'Content Creator', 'Support'];

/** A roster as copied from Klaviyo's Users page: tab-separated, with a header and some noise. */
function roster(count: number): string[] {
  const lines = ['Name\tEmail\tRole\tDate added\tLast login'];
  lines.push('Sam Owner\tsam@shop.example\tOwner\t2020-01-01\t2026-11-20');
  lines.push('Alice Reviewer\talice@shop.example\tAdmin\t2021-02-01\t2026-11-25');
  for (let i = 2; i < count; i++) {
    const login = i % 7 === 0 ? 'Never' : i % 5 === 0 ? '2026-03-01' : '2026-11-01';
    const domain = i % 11 === 0 ? 'agency.example' : 'shop.example';
    lines.push(
      `User ${i}\tuser${i}@${domain}\t${ROLES[i % ROLES.length]}\t2024-05-0${(i % 9) + 1}\t${login}`,
    );
  }
  // Bits of the page that come along when the table is copied.
  lines.splice(40, 0, 'Pending invites');
  lines.splice(80, 0, 'this line has no email address at all');
  lines.splice(100, 0, 'Someone\tnot-an-email\tAdmin');
  // Three paste boxes of at most 3000 characters, as Slack caps one box.
  const parts: string[] = [];
  let current = '';
  for (const line of lines) {
    if (current.length + line.length + 1 > 2900) {
      parts.push(current);
      current = '';
    }
    current += `${line}\n`;
  }
  parts.push(current);
  return parts;
}

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({
    env: { COMPANY_DOMAINS: 'shop.example', MAX_ADMINS: '5', REVIEW_TIMEZONE: 'Europe/London' },
    slack: {
      users: [
        { id: 'U0ALICE', name: 'alice', profile: { email: 'alice@shop.example' } },
        { id: 'U0BOB', name: 'bob', profile: { email: 'bob@shop.example' } },
      ],
      channels: [{ id: 'C0SHOP', name: 'security', is_member: true }],
    },
  });
});

afterAll(async () => {
  await harness?.close();
});

function viewSubmission(
  view: { id: string; hash: string; private_metadata: string; callback_id: string; root_view_id?: string },
  values: Record<string, unknown>,
  user = 'U0ALICE',
) {
  return {
    type: 'view_submission',
    team: { id: harness.slack.teamId },
    user: { id: user, team_id: harness.slack.teamId },
    api_app_id: harness.slack.appId,
    view: { ...view, type: 'modal', state: { values }, root_view_id: view.root_view_id ?? view.id },
  };
}

function viewAction(view: FakeView, action: Record<string, unknown>, user = 'U0ALICE') {
  return clickInView(harness.slack, view, action, user);
}

describe('/klaviyo-review with a 120-user roster', () => {
  let reviewTs: string;

  it('opens the start form and reads a roster pasted over three boxes, reporting the unreadable lines', async () => {
    await harness.command('', { command: '/klaviyo-review' });
    const opened = await harness.slack.waitFor('views.open');
    const form = (opened.result as { view: FakeView }).view;
    expect(JSON.stringify(form.blocks)).toContain('roster_3');
    const parts = roster(120);
    expect(parts.length).toBe(3);
    expect(parts.every((part) => part.length <= 3000)).toBe(true);
    const submitted = await harness.action(
      viewSubmission(form as never, {
        roster_1: { value: { type: 'plain_text_input', value: parts[0] } },
        roster_2: { value: { type: 'plain_text_input', value: parts[1] } },
        roster_3: { value: { type: 'plain_text_input', value: parts[2] } },
        roster_file: { value: { type: 'file_input', files: [] } },
      }),
    );
    expect(submitted.status).toBe(200);
    const posted = await harness.slack.waitFor('chat.postMessage', (call) =>
      String(call.args.text).includes('access review'),
    );
    reviewTs = String((posted.result as { ts: string }).ts);
    const message = harness.slack.message('C0SHOP', reviewTs) as FakeMessage;
    expect(JSON.stringify(message.blocks)).toContain('0 of 120');
    expect(JSON.stringify(message.blocks)).toContain('3 roster lines could not be read');
    const detail = await harness.slack.waitFor(
      'chat.postMessage',
      (call) => call.args.thread_ts === reviewTs,
    );
    // The line is named by its place and what is wrong; its text (it may hold an email) stays out.
    expect(JSON.stringify(detail.args)).toMatch(/box \d, line \d+: no email address/);
    expect(JSON.stringify(detail.args)).not.toContain('this line has no email address at all');
    // The thread counts the roster and names who needs attention: no email, role or last login.
    const thread = await waitUntil(() => {
      const text = JSON.stringify(
        harness.slack
          .callsTo('chat.postMessage')
          .filter((call) => call.args.thread_ts === reviewTs)
          .map((call) => call.args),
      );
      return text.includes('Needs attention') ? text : undefined;
    }, 'who needs attention, in the thread');
    expect(thread).toContain('*The roster: 120 users, ');
    expect(thread).toContain('• User 7: Never logged in');
    expect(thread).not.toMatch(/@(shop|agency)\.example|Analyst|Manager|2026-/);
  });

  it('shows every user, page by page, and records a decision for each', async () => {
    const message = harness.slack.message('C0SHOP', reviewTs) as FakeMessage;
    const all = findElement(message.blocks, 'review:users:all');
    await harness.action(blockAction(harness.slack, message, all as never));
    const opened = await harness.slack.waitFor('views.open', (call) =>
      JSON.stringify(call.args).includes('review:users'),
    );
    let view = (opened.result as { view: FakeView }).view;
    const seen = new Set<string>();
    for (let page = 1; page <= 20; page++) {
      for (const block of view.blocks as Record<string, unknown>[]) {
        if (String(block.block_id ?? '').startsWith('user_')) seen.add(String(block.block_id));
      }
      const next = findElement(view.blocks as unknown[], 'review:page:next');
      if (!next) break;
      const before = harness.slack.callsTo('views.update').length;
      await harness.action(
        viewAction(view, { action_id: 'review:page:next', type: 'button', value: next.value }),
      );
      const updated = await waitUntil(() => harness.slack.callsTo('views.update')[before], 'the next page');
      view = (updated.result as { view: FakeView }).view;
    }
    expect(seen.size).toBe(120);

    // Decide everyone from the undecided list: keep most, remove the agency accounts, demote one Admin.
    for (let round = 0; round < 200; round++) {
      const current = harness.slack.views.get(view.id) as FakeView;
      const userBlock = (current.blocks as Record<string, unknown>[]).find(
        (block) =>
          String(block.block_id ?? '').startsWith('user_') &&
          !JSON.stringify(block).includes('initial_option'),
      );
      if (!userBlock) {
        const filter = findElement(current.blocks as unknown[], 'review:filter');
        if (!filter) break;
        const before = harness.slack.callsTo('views.update').length;
        await harness.action(
          viewAction(current, {
            action_id: 'review:filter',
            type: 'static_select',
            selected_option: { value: 'undecided' },
          }),
        );
        await waitUntil(() => harness.slack.callsTo('views.update').length > before, 'the undecided list');
        const after = harness.slack.views.get(view.id) as FakeView;
        if (
          !(after.blocks as Record<string, unknown>[]).some((block) =>
            String(block.block_id ?? '').startsWith('user_'),
          )
        )
          break;
        continue;
      }
      const index = Number(String(userBlock.block_id).slice(5));
      const text = JSON.stringify(userBlock);
      const value = text.includes('agency.example')
        ? `${index}|remove`
        : index === 4
          ? `${index}|role:Analyst`
          : `${index}|keep`;
      const before =
        harness.slack.callsTo('views.update').length + harness.slack.callsTo('views.push').length;
      await harness.action(
        viewAction(current, {
          action_id: 'review:decide',
          type: 'static_select',
          selected_option: { value },
        }),
      );
      await waitUntil(
        () =>
          harness.slack.callsTo('views.update').length + harness.slack.callsTo('views.push').length > before,
        'the decision to show',
      );
      const pushed = harness.slack.callsTo('views.push').at(-1);
      if (
        pushed &&
        harness.slack.callsTo('views.push').length + harness.slack.callsTo('views.update').length > before &&
        text.includes('alice@shop.example') &&
        !text.includes('initial_option')
      ) {
        // Alice reviews her own account: a reason is asked for.
        const reasonView = (pushed.result as { view: FakeView }).view;
        if (JSON.stringify(reasonView.blocks).includes('your own account')) {
          const submittedReason = await harness.action(
            viewSubmission(
              { ...(reasonView as unknown as Record<string, string>), root_view_id: view.id } as never,
              {
                reason: {
                  value: { type: 'plain_text_input', value: 'Security lead; needs Admin for the review.' },
                },
              },
            ),
          );
          expect(submittedReason.status).toBe(200);
          // Alice is decided now, so the undecided list no longer shows her.
          await waitUntil(
            () =>
              !JSON.stringify((harness.slack.views.get(view.id) as FakeView).blocks).includes(
                'alice@shop.example',
              ),
            'the reason to be recorded',
          );
        }
      }
    }
    const final = harness.slack.message('C0SHOP', reviewTs) as FakeMessage;
    await waitUntil(
      () => JSON.stringify(harness.slack.message('C0SHOP', reviewTs)?.blocks).includes('120 of 120'),
      'every decision',
    );
    expect(JSON.stringify(final.blocks)).toContain('Follow-ups in Klaviyo');
  });

  it('keeps working after a restart, from the message posted before it', async () => {
    await harness.restart();
    const message = harness.slack.message('C0SHOP', reviewTs) as FakeMessage;
    const before = harness.slack.callsTo('chat.update').length;
    const reviewId = String(findElement(message.blocks, 'review:complete')?.value);
    await harness.action(
      blockAction(harness.slack, message, {
        action_id: 'review:two_step',
        type: 'static_select',
        selected_option: { value: `${reviewId}|app` },
      }),
    );
    await waitUntil(() => harness.slack.callsTo('chat.update').length > before, 'the update');
    await waitUntil(
      () => JSON.stringify(harness.slack.message('C0SHOP', reviewTs)?.blocks).includes('(authenticator app)'),
      'the two-step method',
    );
  });

  it('confirms every follow-up and account item, completes, and exports the evidence', async () => {
    for (let round = 0; round < 40; round++) {
      const message = harness.slack.message('C0SHOP', reviewTs) as FakeMessage;
      const next =
        findElement(message.blocks, 'review:follow_up', (value) => value.endsWith('|done')) ??
        findElement(message.blocks, 'review:account_item', (value) => value.endsWith('|done'));
      if (!next) break;
      const before = harness.slack.callsTo('chat.update').length;
      await harness.action(blockAction(harness.slack, message, next as never));
      await waitUntil(() => harness.slack.callsTo('chat.update').length > before, 'the update');
      await harness.bot.idle();
    }
    const message = harness.slack.message('C0SHOP', reviewTs) as FakeMessage;
    const complete = findElement(message.blocks, 'review:complete');
    await harness.action(blockAction(harness.slack, message, complete as never));
    await waitUntil(() => harness.slack.uploadedFiles.length >= 2, 'the evidence upload');
    const csv = harness.slack.uploadedFiles.find((file) => file.name.endsWith('.csv'));
    expect(csv?.content.toString()).toContain('user11@agency.example');
    expect(csv?.content.toString()).toMatch(/user11@agency\.example.*remove/);
    expect(harness.slack.uploadedFiles.some((file) => file.name.endsWith('.md'))).toBe(true);
    await waitUntil(
      () => JSON.stringify(harness.slack.message('C0SHOP', reviewTs)?.blocks).includes('Completed by'),
      'completion',
    );
    expect(JSON.stringify(harness.slack.message('C0SHOP', reviewTs)?.blocks)).toContain('Next review due');
    // The notice in the channel says how far the decisions went, in the words of the message's text.
    await harness.bot.idle();
    const notice = harness.slack
      .messagesIn('C0SHOP')
      .find((m) => /access review .* is complete/.test(m.text ?? ''));
    expect(notice?.text).toMatch(
      /is complete: (\d+) of \1 decided\. The evidence for the auditor is in this thread\./,
    );
  });

  it('publishes a valid App Home with the review', async () => {
    const home = await openHome(harness);
    expect(JSON.stringify(home)).toContain('Klaviyo Checkup');
    expect(harness.slack.problems()).toEqual([]);
  });
});

describe('a 500-user roster', () => {
  it('goes in as a file and stays inside Block Kit limits everywhere', async () => {
    const local = await startHarness({
      slack: { users: [{ id: 'U0ALICE', name: 'alice', profile: { email: 'alice@shop.example' } }] },
    });
    try {
      const csv = ['name,email,role,last login'];
      for (let i = 0; i < 500; i++)
        csv.push(
          `Person ${i},person${i}@shop.example,${i === 0 ? 'Owner' : ROLES[i % ROLES.length]},2026-10-01`,
        );
      local.slack.addFile('F0ROSTER', csv.join('\n'), 'users.csv', 'text/csv');
      await local.command('', { command: '/klaviyo-review' });
      const opened = await local.slack.waitFor('views.open');
      const form = (opened.result as { view: FakeView }).view;
      await local.action({
        type: 'view_submission',
        team: { id: local.slack.teamId },
        user: { id: 'U0ALICE', team_id: local.slack.teamId },
        api_app_id: local.slack.appId,
        view: {
          ...form,
          state: {
            values: {
              roster_file: { value: { type: 'file_input', files: [{ id: 'F0ROSTER', name: 'users.csv' }] } },
            },
          },
        },
      });
      const posted = await local.slack.waitFor('chat.postMessage', (call) =>
        String(call.args.text).includes('access review'),
      );
      const message = local.slack.message(
        'C0SHOP',
        String((posted.result as { ts: string }).ts),
      ) as FakeMessage;
      expect(JSON.stringify(message.blocks)).toContain('0 of 500');
      expect((message.blocks ?? []).length).toBeLessThanOrEqual(50);
      const all = findElement(message.blocks, 'review:users:all');
      await local.action(blockAction(local.slack, message, all as never));
      const list = await local.slack.waitFor('views.open', (call) =>
        JSON.stringify(call.args).includes('review:users'),
      );
      expect(((list.result as { view: FakeView }).view.blocks as unknown[]).length).toBeLessThanOrEqual(100);
      expect(JSON.stringify((list.result as { view: FakeView }).view.blocks)).toContain('page 1 of 34');
      expect(local.slack.problems()).toEqual([]);
    } finally {
      await local.close();
    }
  });
});

describe('App Home buttons', () => {
  it('open valid forms, and a scan started from Home reports to the person directly', async () => {
    const local = await startHarness();
    try {
      const home = await openHome(local);
      const homeAction = (actionId: string) => ({
        type: 'block_actions',
        team: { id: local.slack.teamId },
        user: { id: 'U0ALICE', team_id: local.slack.teamId },
        api_app_id: local.slack.appId,
        container: { type: 'view', view_id: 'V0HOME' },
        trigger_id: local.slack.issueTriggerId(),
        view: { id: 'V0HOME', type: 'home', blocks: home.blocks },
        actions: [
          {
            action_id: actionId,
            block_id: 'b',
            type: 'button',
            value: 'x',
            action_ts: `${Date.now() / 1000}`,
          },
        ],
      });
      expect(findElement(home.blocks, 'home:start_scan')).toBeDefined();
      await local.action(homeAction('home:start_review'));
      await local.slack.waitFor('views.open', (call) => JSON.stringify(call.args).includes('review:start'));
      await local.action(homeAction('home:start_scan'));
      const opened = await local.slack.waitFor('views.open', (call) =>
        JSON.stringify(call.args).includes('home:scan'),
      );
      const form = (opened.result as { view: FakeView }).view;
      const submitted = await local.action({
        type: 'view_submission',
        team: { id: local.slack.teamId },
        user: { id: 'U0ALICE', team_id: local.slack.teamId },
        api_app_id: local.slack.appId,
        view: {
          ...form,
          state: { values: { url: { value: { type: 'url_text_input', value: 'http://169.254.169.254/' } } } },
        },
      });
      // A refused target is answered in the form itself.
      expect(submitted.body).toContain('response_action');
      expect(local.slack.problems()).toEqual([]);
    } finally {
      await local.close();
    }
  });
});
