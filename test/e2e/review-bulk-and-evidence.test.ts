/**
 * The review as a large team and an auditor meet it: a 2,000-user roster decided with bulk decisions
 * (the clicks counted), the only Owner explained inside the user list, and evidence that names people,
 * the account, and survives hostile roster cells.
 */
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Review } from '../../src/checklists/review.js';
import { evidenceCsv } from '../../src/checklists/review-evidence.js';
import type { FakeView } from '../fakes/slack-api.js';
import {
  blockAction,
  findElement,
  type Harness,
  startHarness,
  viewAction,
  viewSubmission,
  waitUntil,
} from './harness.js';

const ALICE = 'U0ALICE';
let harness: Harness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function start(env: Record<string, string> = {}): Promise<Harness> {
  harness = await startHarness({
    env: { COMPANY_DOMAINS: 'shop.example', MAX_ADMINS: '1000', ...env },
    slack: {
      users: [
        { id: ALICE, name: 'alice', real_name: 'Alice Lead', profile: { email: 'alice@shop.example' } },
        { id: 'U0BOB', name: 'bob', real_name: 'Bob Builder', profile: { email: 'bob@shop.example' } },
      ],
      channels: [{ id: 'C0SHOP', name: 'security', is_member: true }],
    },
  });
  return harness;
}

/** Counts every request a person sends: each click, menu choice, command and form submission. */
class Person {
  requests = 0;
  constructor(
    private readonly harness: Harness,
    readonly user = ALICE,
  ) {}

  async command(text: string, command: string): Promise<void> {
    this.requests++;
    await this.harness.command(text, { command, user: this.user });
  }

  async send(payload: Record<string, unknown>): Promise<{ status: number; body: string }> {
    this.requests++;
    return this.harness.action(payload);
  }

  /** A click or menu choice in a modal, and the modal as the bot redrew it. */
  async inModal(view: FakeView, action: Record<string, unknown>): Promise<FakeView> {
    const slack = this.harness.slack;
    const pushes = slack.callsTo('views.push').length;
    const before = slack.callsTo('views.update').length + pushes;
    await this.send(viewAction(slack, view, action, this.user));
    await waitUntil(
      () => slack.callsTo('views.update').length + slack.callsTo('views.push').length > before,
      `the answer to ${String(action.action_id)}`,
    );
    // A decision on one's own account pushes the reason form; anything else redraws the list.
    const pushed = slack.callsTo('views.push')[pushes];
    if (pushed) return (pushed.result as { view: FakeView }).view;
    return slack.views.get(view.id) as FakeView;
  }
}

/** Submits the own-access reason form pushed over the user list. */
async function giveReason(person: Person, reason: FakeView, list: FakeView, text: string): Promise<void> {
  await person.send(
    viewSubmission(
      (harness as Harness).slack,
      { ...reason, root_view_id: list.id },
      { reason: { value: { type: 'plain_text_input', value: text } } },
    ),
  );
}

/** Starts a review from a CSV roster attached to the start form; returns the review message. */
async function startReview(
  person: Person,
  csv: string,
  account?: string,
): Promise<{ channel: string; ts: string }> {
  const slack = (harness as Harness).slack;
  slack.addFile('F0ROSTER', csv, 'users.csv', 'text/csv');
  const before = slack.callsTo('views.open').length;
  await person.command('', '/klaviyo-review');
  const opened = await waitUntil(() => slack.callsTo('views.open')[before], 'the start form');
  const form = (opened.result as { view: FakeView }).view;
  await person.send(
    viewSubmission(slack, form, {
      roster_file: { value: { type: 'file_input', files: [{ id: 'F0ROSTER', name: 'users.csv' }] } },
      ...(account ? { account: { value: { type: 'plain_text_input', value: account } } } : {}),
    }),
  );
  const posted = await slack.waitFor('chat.postMessage', (call) =>
    String(call.args.text).includes('access review'),
  );
  return { channel: 'C0SHOP', ts: String((posted.result as { ts: string }).ts) };
}

async function openUsers(person: Person, message: { channel: string; ts: string }, filter = 'undecided') {
  const slack = (harness as Harness).slack;
  const shown = slack.message(message.channel, message.ts);
  const button = findElement(
    shown?.blocks,
    filter === 'undecided' ? 'review:users' : `review:users:${filter}`,
  );
  const before = slack.callsTo('views.open').length;
  await person.send(blockAction(slack, message, button as never, person.user));
  const opened = await waitUntil(() => slack.callsTo('views.open')[before], 'the user list');
  return (opened.result as { view: FakeView }).view;
}

function blocksOf(view: FakeView): Record<string, unknown>[] {
  return view.blocks as Record<string, unknown>[];
}

/** The option values of a user's decision menu in the list. */
function optionsOf(view: FakeView, blockId: string): string[] {
  const block = blocksOf(view).find((candidate) => candidate.block_id === blockId);
  const menu = block?.accessory as { options?: { value: string }[] } | undefined;
  return (menu?.options ?? []).map((option) => option.value);
}

function storedReview(h: Harness): Review {
  const db = new BetterSqlite3(h.databasePath, { readonly: true });
  try {
    const row = db.prepare("SELECT state FROM reviews WHERE status = 'open'").get() as { state: string };
    return JSON.parse(row.state) as Review;
  } finally {
    db.close();
  }
}

describe('a 2,000-user roster', () => {
  it('is decided in a few dozen requests instead of one per user, each user recorded as decided one by one', async () => {
    const h = await start();
    const lines = ['name,email,role,last login', 'Sam Owner,sam@shop.example,Owner,2026-11-20'];
    lines.push('Alice Lead,alice@shop.example,Admin,2026-11-25');
    const roles = ['Manager', 'Analyst', 'Campaign Coordinator', 'Content Creator', 'Support', 'Admin'];
    for (let i = 2; i < 2000; i++) {
      const login = i % 25 === 0 ? 'Never' : '2026-11-01';
      const domain = i % 60 === 1 ? 'agency.example' : 'shop.example';
      lines.push(`Person ${i},person${i}@${domain},${roles[i % roles.length]},${login}`);
    }
    const alice = new Person(h);
    const message = await startReview(alice, lines.join('\n'));
    let view = await openUsers(alice, message);

    // Everyone without a flag, in one step.
    const keep = findElement(blocksOf(view), 'review:keep_unflagged');
    expect(keep?.value).toBe('keep');
    view = await alice.inModal(view, { action_id: 'review:keep_unflagged', type: 'button', value: 'keep' });

    // The flagged: each flag's list, decided a page at a time (a decided page leaves the list).
    const decidePages = async (filter: string, kind: string) => {
      view = await alice.inModal(view, {
        action_id: 'review:filter',
        type: 'static_select',
        selected_option: { value: filter },
      });
      for (let round = 0; round < 200; round++) {
        const menu = blocksOf(view)
          .flatMap((block) => (block.elements as Record<string, unknown>[] | undefined) ?? [])
          .find((element) => element.action_id === 'review:decide_page') as
          | { options: { value: string }[] }
          | undefined;
        const option = menu?.options.find((candidate) => candidate.value.startsWith(`${kind}|`));
        if (option === undefined) return;
        view = await alice.inModal(view, {
          action_id: 'review:decide_page',
          type: 'static_select',
          selected_option: { value: option.value },
        });
      }
    };
    await decidePages('flag:never_logged_in', 'remove');
    await decidePages('flag:outside_company_domain', 'remove');
    // Left: Alice's own account, which needs a reason.
    view = await alice.inModal(view, {
      action_id: 'review:filter',
      type: 'static_select',
      selected_option: { value: 'undecided' },
    });
    const own = blocksOf(view).find((block) => JSON.stringify(block).includes('alice@shop.example'));
    expect(own).toBeDefined();
    const reason = await alice.inModal(view, {
      action_id: 'review:decide',
      type: 'static_select',
      selected_option: { value: `${String(own?.block_id).slice(5)}|keep` },
    });
    expect(reason.callback_id).toBe('review:reason');
    await giveReason(alice, reason, view, 'Runs the review; keeps Admin.');
    await waitUntil(
      () => JSON.stringify(h.slack.message(message.channel, message.ts)?.blocks).includes('2,000 of 2,000'),
      'every decision on the review message',
    );

    const review = storedReview(h);
    expect(review.users.every((user) => user.decision && user.decidedBy === ALICE && user.decidedAt)).toBe(
      true,
    );
    const removed = review.users.filter((user) => user.decision?.kind === 'remove').length;
    // Never logged in: every 25th person; at the agency: every 60th (from the 61st).
    expect(removed).toBe(79 + 33);
    // The evidence has a row per user with who decided and when, as if decided one by one.
    const csv = evidenceCsv(review, { reviewer: ALICE, period: 'now' }).trim().split('\r\n');
    expect(csv).toHaveLength(2001);
    expect(csv.slice(1).every((row) => /,Slack user U0ALICE,\d{4}-\d{2}-\d{2}T/.test(row))).toBe(true);

    // One by one, the same roster took a menu choice per user (2,000) plus opening the list.
    const oneByOne = 1 + review.users.length;
    expect(alice.requests).toBeLessThan(40);
    expect(alice.requests * 50).toBeLessThan(oneByOne);
    expect(h.slack.problems()).toEqual([]);
    process.stdout.write(
      `2,000-user roster: ${alice.requests} requests with bulk decisions (one by one: ${oneByOne})\n`,
    );
  }, 120_000);
});

describe('the only Owner', () => {
  it('is explained in the user list, under that user, and offers only what Klaviyo allows', async () => {
    const h = await start();
    const alice = new Person(h);
    const message = await startReview(
      alice,
      [
        'name,email,role,last login',
        'Sam Owner,sam@shop.example,Owner,2026-11-20',
        'Bob Builder,bob@shop.example,Admin,2026-11-20',
        'Cora,cora@shop.example,Analyst,2026-11-20',
      ].join('\n'),
    );
    let view = await openUsers(alice, message, 'all');
    const samOptions = () => optionsOf(view, 'user_0');
    expect(samOptions()).toEqual(['0|keep']);
    expect(JSON.stringify(blocksOf(view))).toContain('Klaviyo does not let the Owner be removed');

    // A Remove for the only Owner (from an older list, say) is refused under Sam, not in a message.
    const directBefore = h.slack
      .callsTo('chat.postMessage')
      .filter((call) => call.args.channel === ALICE).length;
    view = await alice.inModal(view, {
      action_id: 'review:decide',
      type: 'static_select',
      selected_option: { value: '0|remove' },
    });
    const blocks = blocksOf(view);
    const sam = blocks.findIndex((block) => block.block_id === 'user_0');
    expect(JSON.stringify(blocks[sam + 1])).toContain('Not recorded: sam@shop.example is the only Owner');
    expect(JSON.stringify(blocks[sam + 1])).toContain('Transfer ownership to them');
    expect(h.slack.callsTo('chat.postMessage').filter((call) => call.args.channel === ALICE)).toHaveLength(
      directBefore,
    );
    expect(storedReview(h).users[0]?.decision).toBeUndefined();

    // Ownership moves to Bob first; then Sam can be removed.
    expect(optionsOf(view, 'user_1')).toContain('1|role:Owner');
    view = await alice.inModal(view, {
      action_id: 'review:decide',
      type: 'static_select',
      selected_option: { value: '1|role:Owner' },
    });
    expect(samOptions()).toContain('0|remove');
    view = await alice.inModal(view, {
      action_id: 'review:decide',
      type: 'static_select',
      selected_option: { value: '0|remove' },
    });
    expect(storedReview(h).users[0]?.decision).toEqual({ kind: 'remove' });
    expect(storedReview(h).followUps.map((followUp) => followUp.id)).toEqual([
      'change_role:bob@shop.example:Owner',
      'remove:sam@shop.example',
    ]);
  });
});

describe('the evidence', () => {
  it('names people and the account, and carries no invisible characters or formulas from the roster', async () => {
    const h = await start();
    const alice = new Person(h);
    const message = await startReview(
      alice,
      [
        'name,email,role,last login',
        'Sam Owner,sam@shop.example,Owner,2026-11-20',
        'Alice Lead,alice@shop.example,Admin,2026-11-20',
        `"Mallory \u202Eexe.gnp",mal\u200Blory@shop.example,Ad\u0000min,2025-01-20`,
        '"＝HYPERLINK(""http://evil.example"")",formula@shop.example,Superuser,2026-11-20',
        '"<https://evil.example|Klaviyo login> <!channel>",link@shop.example,Viewer,2026-11-20',
      ].join('\n'),
      'Acme Store (AbC123)',
    );
    // In Slack: who needs attention in the thread, by name, without the invisible characters.
    const thread = await waitUntil(() => {
      const text = JSON.stringify(
        h.slack.callsTo('chat.postMessage').filter((call) => call.args.thread_ts === message.ts),
      );
      return text.includes('Needs attention') ? text : undefined;
    }, 'who needs attention, in the thread');
    expect(thread).not.toMatch(/[\u202E\u200B\u0000]|\\u202e|\\u200b|\\u0000/i);
    expect(thread).toContain('• Mallory exe.gnp: No login for 90+ days');
    expect(JSON.stringify(h.slack.message(message.channel, message.ts)?.blocks)).toContain(
      'Acme Store (AbC123)',
    );

    // Decide everyone, confirm the follow-ups and account items (Bob confirms one), complete.
    let view = await openUsers(alice, message, 'all');
    view = await alice.inModal(view, {
      action_id: 'review:decide_page',
      type: 'static_select',
      selected_option: { value: 'keep|0,2' },
    });
    view = await alice.inModal(view, {
      action_id: 'review:decide',
      type: 'static_select',
      selected_option: { value: '3|remove' },
    });
    view = await alice.inModal(view, {
      action_id: 'review:decide',
      type: 'static_select',
      selected_option: { value: '4|remove' },
    });
    const reason = await alice.inModal(view, {
      action_id: 'review:decide',
      type: 'static_select',
      selected_option: { value: '1|keep' },
    });
    await giveReason(alice, reason, view, 'Runs the review.');
    await waitUntil(
      () => JSON.stringify(h.slack.message(message.channel, message.ts)?.blocks).includes('5 of 5'),
      'the decisions',
    );
    const bob = new Person(h, 'U0BOB');
    for (let round = 0; round < 10; round++) {
      const shown = h.slack.message(message.channel, message.ts);
      const next =
        findElement(shown?.blocks, 'review:follow_up', (value) => value.endsWith('|done')) ??
        findElement(shown?.blocks, 'review:account_item', (value) => value.endsWith('|done'));
      const reviewId = String(findElement(shown?.blocks, 'review:complete')?.value);
      const action =
        next ??
        (JSON.stringify(shown?.blocks).includes(':white_square: *Two-step')
          ? {
              action_id: 'review:two_step',
              type: 'static_select',
              selected_option: { value: `${reviewId}|app` },
            }
          : undefined);
      if (action === undefined) break;
      const before = h.slack.callsTo('chat.update').length;
      await (round === 0 ? bob : alice).send(
        blockAction(h.slack, message, action as never, round === 0 ? 'U0BOB' : ALICE),
      );
      await waitUntil(() => h.slack.callsTo('chat.update').length > before, 'the update');
    }
    const complete = findElement(h.slack.message(message.channel, message.ts)?.blocks, 'review:complete');
    await alice.send(blockAction(h.slack, message, complete as never));
    await waitUntil(() => h.slack.uploadedFiles.length >= 2, 'the evidence');
    // The evidence goes to the review's thread, where the auditor's copy is expected.
    expect(h.slack.uploadedFiles.map((file) => [file.channel, file.thread_ts])).toEqual([
      ['C0SHOP', message.ts],
      ['C0SHOP', message.ts],
    ]);
    const csv = h.slack.uploadedFiles.find((file) => file.name.endsWith('.csv'))?.content.toString() ?? '';
    const markdown =
      h.slack.uploadedFiles.find((file) => file.name.endsWith('.md'))?.content.toString() ?? '';
    await waitUntil(
      () => h.slack.messagesIn('C0SHOP').some((posted) => posted.text.includes('is complete')),
      'the completion in the thread',
    );

    // No message the channel reads names a roster email, role or last login: the review's message
    // and its thread (follow-ups, who confirmed them, the completion). Only the evidence files do.
    const emails = [
      'sam@shop.example',
      'alice@shop.example',
      'mallory@shop.example',
      'formula@shop.example',
      'link@shop.example',
    ];
    const channel = JSON.stringify([
      h.slack.messagesIn('C0SHOP'),
      h.slack.calls.filter(
        (call) => ['chat.postMessage', 'chat.update'].includes(call.method) && call.args.channel === 'C0SHOP',
      ),
    ]);
    for (const email of emails) expect(channel).not.toContain(email);
    expect(channel).not.toContain('2026-11-20');
    // The removal, and who confirmed it, name the user as the roster does.
    expect(channel).toContain(
      'confirmed in Klaviyo: ＝HYPERLINK(\\"http://evil.example\\") was removed from Klaviyo',
    );
    expect(channel).toContain('The evidence for the auditor is in this thread.');
    // A roster name is shown as text, never read as a link or a mention, also in the thread's lines.
    expect(channel).toContain('&lt;https://evil.example|Klaviyo login&gt; &lt;!channel&gt;');
    expect(channel).not.toMatch(/<https:\/\/evil\.example|<!channel>/);
    // The user list, shown only to the people who decide, has them.
    const list = JSON.stringify(h.slack.calls.filter((call) => call.method.startsWith('views.')));
    for (const email of emails) expect(list).toContain(email);

    // The evidence an auditor reads: every user with name, email, role and decision, who decided, when.
    const rows = csv.split('\r\n');
    for (const email of emails)
      expect(
        rows.find((row) => row.includes(`,${email},`)),
        email,
      ).toMatch(/,(keep|remove),.*,Alice Lead <alice@shop\.example> \(Slack U0ALICE\),\d{4}-\d{2}-\d{2}T/);

    expect(markdown).toContain('- Klaviyo account: Acme Store (AbC123)');
    expect(markdown).toContain('- Reviewer: Alice Lead \\<alice@shop.example\\> (Slack U0ALICE)');
    expect(csv).toContain('Alice Lead <alice@shop.example> (Slack U0ALICE)');
    expect(csv).toContain('Bob Builder <bob@shop.example> (Slack U0BOB)');
    for (const text of [csv, markdown]) expect(text).not.toMatch(/[\u202E\u200B\u0000]/);
    expect(csv).toContain('"\'＝HYPERLINK(""http://evil.example"")",formula@shop.example,Superuser');
    expect(csv).toMatch(/formula@shop\.example,Superuser,2026-11-20,"Not one of Klaviyo’s roles/);
    expect(csv).toContain('Mallory exe.gnp,mallory@shop.example,Admin,');
    expect(h.slack.problems()).toEqual([]);
  });
});
