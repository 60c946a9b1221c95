/**
 * Every door of the app, forged. Each registered command, action, form and event is listed here with a
 * forged request: from a user who may not act, and (for doors that act on a rotation, review or scan)
 * from an allowed user in the wrong place. Neither changes anything, in the database or in Slack, and
 * each gets the refusal every other door gives. A door added without an entry here fails the first test.
 */
import type { App } from '@slack/bolt';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerListeners } from '../../src/listeners/app.js';
import type { Door } from '../../src/listeners/chain.js';
import type { Services } from '../../src/listeners/context.js';
import { WRONG_PLACE } from '../../src/listeners/origin.js';
import { createLogger } from '../../src/log.js';
import { AccessPolicy } from '../../src/services/access.js';
import type { FakeView } from '../fakes/slack-api.js';
import { fakeLegacyKey, startSite, type TestSite } from '../fixtures/site-server.js';
import { blockAction, type Harness, startHarness, viewAction, viewSubmission, waitUntil } from './harness.js';

const ALICE = 'U0ALICE';
const BOB = 'U0BOB';
const MALLORY = 'U0MALLORY';
const keys = [fakeLegacyKey(71), fakeLegacyKey(72)];

/** Every listener the app registers, as `<kind> <id>`, with its door. */
function registeredDoors(): Map<string, Door | undefined> {
  const doors = new Map<string, Door | undefined>();
  const record =
    (kind: string) =>
    (id: unknown, ...middleware: unknown[]) => {
      const door = middleware.map((link) => (link as { door?: Door }).door).find(Boolean);
      doors.set(`${kind} ${String(id)}`, door);
    };
  const app = Object.fromEntries(
    ['command', 'action', 'view', 'event', 'options', 'shortcut', 'message', 'function'].map((kind) => [
      kind,
      record(kind),
    ]),
  );
  registerListeners({ ...app, error: () => undefined } as unknown as App, {} as Services);
  return doors;
}

/** Doors anyone may pass, and why. */
const OPEN_DOORS: Record<string, string> = {
  'action /^home:link:\\d+$/': 'link buttons: Slack opens the link; the click is only acknowledged',
  'event app_home_opened': "App Home shows each person their own view, with a lock for those who can't act",
};

/** Members' doors that act on no rotation, review or scan, so they have no message to come from. */
const UNPLACED: Record<string, string> = {
  'command /klaviyo-scan': 'a command is typed anywhere',
  'command /klaviyo-review': 'a command is typed anywhere',
  'action scan:open_rotation': 'only answers with a link to the checklist',
  'action home:start_scan': 'opens the scan form on App Home',
  'action home:start_review': 'opens the review form on App Home',
};

interface World {
  harness: Harness;
  scanId: string;
  fingerprint: string;
  scan: { channel: string; ts: string };
  rotationId: string;
  rotation: { channel: string; ts: string };
  reviewId: string;
  review: { channel: string; ts: string };
  reminder: { channel: string; ts: string };
  users: FakeView;
  addIntegration: FakeView;
  assign: FakeView;
  reason: FakeView;
  reviewStart: FakeView;
  homeScan: FakeView;
}

/** Its own message; the same message timestamp in another channel; another message in its channel. */
type Where = 'own place' | 'other channel' | 'other message';

/** A forged request for one door: as `user`, from its own place or another channel. */
interface Forgery {
  /** Sent from a form (the user list), which carries its origin, rather than from a message. */
  inForm?: boolean;
  send(world: World, user: string, where: Where): Promise<{ status: number; body: string }>;
}

/** Another message the bot posted in the same channel. */
function otherMessage(world: World, ts: string): string {
  return [world.scan.ts, world.rotation.ts, world.review.ts, world.reminder.ts].find(
    (other) => other !== ts,
  ) as string;
}

function onMessage(
  place: (world: World) => { channel: string; ts: string },
  action: (world: World) => {
    action_id: string;
    value?: string;
    selected_option?: { value: string };
    type?: string;
  },
): Forgery {
  return {
    send: (world, user, where) => {
      const own = place(world);
      const at =
        where === 'own place'
          ? own
          : where === 'other channel'
            ? { channel: 'C0OTHER', ts: own.ts }
            : { channel: own.channel, ts: otherMessage(world, own.ts) };
      return world.harness.action(blockAction(world.harness.slack, at, action(world), user));
    },
  };
}

/** A click in a modal the bot opened (the user list); elsewhere: the same click in a form not opened for them. */
function inModal(view: (world: World) => FakeView, action: Record<string, unknown>): Forgery {
  return {
    inForm: true,
    send: (world, user) => world.harness.action(viewAction(world.harness.slack, view(world), action, user)),
  };
}

function submitting(
  view: (world: World) => FakeView,
  values: Record<string, Record<string, unknown>>,
): Forgery {
  return {
    send: (world, user) => {
      // A new hash each time, as Slack gives every submission of a changed form.
      const shown = { ...view(world), hash: `h${Math.random().toString(36).slice(2)}` };
      return world.harness.action(viewSubmission(world.harness.slack, shown, values, user));
    },
  };
}

function command(name: string, text: (world: World) => string): Forgery {
  return {
    send: async (world, user) => {
      const result = await world.harness.command(text(world), { user, command: name });
      return { status: result.status, body: result.body };
    },
  };
}

/** A button on App Home. */
function homeClick(harness: Harness, actionId: string, user = ALICE): Record<string, unknown> {
  const home = { id: 'V0HOME', type: 'home', blocks: [] };
  return viewAction(harness.slack, home, { action_id: actionId, type: 'button', value: 'x' }, user);
}

const FORGERIES: Record<string, Forgery> = {
  'command /klaviyo-scan': command('/klaviyo-scan', () => site.url('/')),
  'command /klaviyo-review': command('/klaviyo-review', () => ''),
  'action scan:start_rotation': onMessage(
    (w) => w.scan,
    (w) => ({ action_id: 'scan:start_rotation', value: `${w.scanId}|${w.fingerprint}` }),
  ),
  'action scan:open_rotation': onMessage(
    (w) => w.scan,
    (w) => ({ action_id: 'scan:open_rotation', value: w.rotationId }),
  ),
  'action scan:rescan': onMessage(
    (w) => w.scan,
    (w) => ({ action_id: 'scan:rescan', value: w.scanId }),
  ),
  'action rotation:item_menu': onMessage(
    (w) => w.rotation,
    (w) => ({
      action_id: 'rotation:item_menu',
      selected_option: { value: `${w.rotationId}|s:identify|done` },
    }),
  ),
  'action rotation:add_integration': onMessage(
    (w) => w.rotation,
    (w) => ({ action_id: 'rotation:add_integration', value: w.rotationId }),
  ),
  'action rotation:confirm_delete': onMessage(
    (w) => w.rotation,
    (w) => ({ action_id: 'rotation:confirm_delete', value: w.rotationId }),
  ),
  'action rotation:rescan': onMessage(
    (w) => w.rotation,
    (w) => ({ action_id: 'rotation:rescan', value: w.rotationId }),
  ),
  'action rotation:check_now': onMessage(
    (w) => w.rotation,
    (w) => ({ action_id: 'rotation:check_now', value: w.rotationId }),
  ),
  'action /^review:users/': onMessage(
    (w) => w.review,
    (w) => ({ action_id: 'review:users:all', value: `${w.reviewId}|all` }),
  ),
  'action review:filter': inModal((w) => w.users, {
    action_id: 'review:filter',
    type: 'static_select',
    selected_option: { value: 'all' },
  }),
  'action /^review:page/': inModal((w) => w.users, {
    action_id: 'review:page:next',
    type: 'button',
    value: '2',
  }),
  'action review:decide': inModal((w) => w.users, {
    action_id: 'review:decide',
    type: 'static_select',
    selected_option: { value: '3|remove' },
  }),
  'action review:decide_page': inModal((w) => w.users, {
    action_id: 'review:decide_page',
    type: 'static_select',
    selected_option: { value: 'remove|2,3,4,5' },
  }),
  'action review:keep_unflagged': inModal((w) => w.users, {
    action_id: 'review:keep_unflagged',
    type: 'button',
    value: 'keep',
  }),
  'action review:follow_up': onMessage(
    (w) => w.review,
    (w) => ({ action_id: 'review:follow_up', value: `${w.reviewId}|0123456789abcdef|done` }),
  ),
  'action review:account_item': onMessage(
    (w) => w.review,
    (w) => ({ action_id: 'review:account_item', value: `${w.reviewId}|private_keys_reviewed|done` }),
  ),
  'action review:two_step': onMessage(
    (w) => w.review,
    (w) => ({
      action_id: 'review:two_step',
      type: 'static_select',
      selected_option: { value: `${w.reviewId}|app` },
    }),
  ),
  'action review:complete': onMessage(
    (w) => w.review,
    (w) => ({ action_id: 'review:complete', value: w.reviewId }),
  ),
  'action reminder:start_review': onMessage(
    (w) => w.reminder,
    () => ({ action_id: 'reminder:start_review', value: 'start' }),
  ),
  'action /^reminder:snooze:/': onMessage(
    (w) => w.reminder,
    () => ({ action_id: 'reminder:snooze:week', value: 'week' }),
  ),
  'action home:start_scan': {
    send: (w, user) => w.harness.action(homeClick(w.harness, 'home:start_scan', user)),
  },
  'action home:start_review': {
    send: (w, user) => w.harness.action(homeClick(w.harness, 'home:start_review', user)),
  },
  'view rotation:add_integration': submitting((w) => w.addIntegration, {
    integration_name: { value: { type: 'plain_text_input', value: 'Forged sync' } },
    owner: { user: { type: 'users_select', selected_user: MALLORY } },
  }),
  'view rotation:assign': submitting((w) => w.assign, {
    owner: { user: { type: 'users_select', selected_user: MALLORY } },
  }),
  'view review:start': submitting((w) => w.reviewStart, {
    roster_1: { value: { type: 'plain_text_input', value: 'Eve,eve@evil.example,Owner' } },
  }),
  'view review:reason': submitting((w) => w.reason, {
    reason: { value: { type: 'plain_text_input', value: 'Forged reason for my own access' } },
  }),
  'view home:scan': submitting((w) => w.homeScan, {
    url: { value: { type: 'url_text_input', value: 'http://127.0.0.1:1/' } },
  }),
};

let site: TestSite;
let world: World;
let refusal: string;

/** Everything a forged request could change: the database and what the bot did in Slack. */
function effects(harness: Harness, forger: string): string {
  const db = new BetterSqlite3(harness.databasePath, { readonly: true, fileMustExist: true });
  try {
    const stored = {
      rotations: db.prepare('SELECT id, revision, state, message_ts FROM rotations ORDER BY id').all(),
      reviews: db.prepare('SELECT id, revision, status, state FROM reviews ORDER BY id').all(),
      scans: db.prepare('SELECT count(*) AS n FROM scans').get(),
      audit: db.prepare('SELECT count(*) AS n FROM audit_events').get(),
      settings: db
        .prepare("SELECT name, value FROM settings WHERE name <> 'form_seal_key' ORDER BY name")
        .all(),
    };
    // The refusal itself goes to the forger alone; anything else sent to Slack is an effect.
    const slack = harness.slack.calls
      .filter(
        (call) =>
          [
            'chat.postMessage',
            'chat.update',
            'views.open',
            'views.push',
            'views.update',
            'files.completeUploadExternal',
          ].includes(call.method) && call.args.channel !== forger,
      )
      .map((call) => call.method);
    return JSON.stringify({ stored, slack });
  } finally {
    db.close();
  }
}

/** Waits until `text` reached `user`: through the response URL, ephemerally, in a DM or in the form. */
async function told(
  harness: Harness,
  user: string,
  text: string,
  ack: string,
  since: number[],
): Promise<void> {
  const [responses, calls] = since as [number, number];
  await waitUntil(() => {
    if (ack.includes(text)) return true;
    if (harness.slack.responses.slice(responses).some((post) => JSON.stringify(post.body).includes(text)))
      return true;
    return harness.slack.calls
      .slice(calls)
      .some((call) =>
        (call.method === 'chat.postEphemeral' && call.args.user === user) ||
        (call.method === 'chat.postMessage' && call.args.channel === user)
          ? JSON.stringify(call.args).includes(text)
          : false,
      );
  }, `the refusal for ${user}`);
}

async function forge(key: string, user: string, where: Where, expected: string): Promise<void> {
  const forgery = FORGERIES[key] as Forgery;
  const before = effects(world.harness, user);
  const since = [world.harness.slack.responses.length, world.harness.slack.calls.length];
  const answer = await forgery.send(world, user, where);
  expect(answer.status, key).toBe(200);
  await told(world.harness, user, expected, answer.body, since);
  expect(effects(world.harness, user), `${key} changed something`).toBe(before);
}

function modalFrom(call: { result?: unknown }): FakeView {
  return (call.result as { view: FakeView }).view;
}

beforeAll(async () => {
  site = await startSite({
    '/': {
      body: `<script>var a = "${keys[0]}";</script><script>var b = { token: "${keys[1]}" };</script>`,
    },
  });
  const harness = await startHarness({
    env: { ALLOWED_USERS: `${ALICE},${BOB}`, COMPANY_DOMAINS: 'shop.example', REVIEW_CHANNEL: 'C0SHOP' },
    slack: {
      channels: [
        { id: 'C0SHOP', name: 'security', is_member: true },
        { id: 'C0OTHER', name: 'marketing', is_member: true },
      ],
      users: [
        { id: ALICE, name: 'alice', real_name: 'Alice Lead', profile: { email: 'alice@shop.example' } },
        { id: BOB, name: 'bob', profile: { email: 'bob@shop.example' } },
        { id: MALLORY, name: 'mallory', profile: { email: 'mallory@shop.example' } },
      ],
    },
  });
  refusal = new AccessPolicy({ users: [ALICE, BOB] }, { groupMembers: async () => [] }, createLogger('error'))
    .refusal()
    .slice(0, 150);
  const slack = harness.slack;

  // The review reminder the bot posts at start (the review is overdue): its buttons are forged too.
  const reminderMessage = await waitUntil(
    () => slack.messagesIn('C0SHOP').find((message) => message.text.includes('Klaviyo security review')),
    'the review reminder',
  );

  // A scan with two keys; a rotation of the first.
  await harness.command(site.url('/'));
  const scanMessage = await waitUntil(
    () =>
      slack
        .messagesIn('C0SHOP')
        .find((message) => JSON.stringify(message.blocks).includes('scan:start_rotation')),
    'the scan result',
  );
  const starts = JSON.stringify(scanMessage.blocks).match(/"value":"([^"|]+)\|([0-9a-f]{64})"/g) ?? [];
  const [scanId, firstKey] = (starts[0] ?? '').replace(/"value":"|"/g, '').split('|') as [string, string];
  const secondKey = (starts[1] ?? '').replace(/"value":"|"/g, '').split('|')[1] as string;
  await harness.action(
    blockAction(slack, scanMessage, { action_id: 'scan:start_rotation', value: `${scanId}|${firstKey}` }),
  );
  const rotationMessage = await waitUntil(
    () => slack.messagesIn('C0SHOP').find((message) => message.text.includes('Rotation of the exposed')),
    'the checklist',
  );
  const rotationId = String(JSON.stringify(rotationMessage.blocks).match(/"value":"([^"|]+)"/)?.[1]);

  // Two review forms opened by Alice: one starts the review, the other stays open for forging.
  const reviewForm = async () => {
    const before = slack.callsTo('views.open').length;
    await harness.command('', { command: '/klaviyo-review' });
    return modalFrom(await waitUntil(() => slack.callsTo('views.open')[before], 'the review form'));
  };
  const starting = await reviewForm();
  const reviewStart = await reviewForm();
  const roster = ['Name,Email,Role,Last login', 'Sam Owner,sam@shop.example,Owner,2026-06-01'];
  roster.push('Alice Lead,alice@shop.example,Admin,2026-06-01');
  for (let i = 1; i <= 20; i++) roster.push(`User ${i},u${i}@shop.example,Analyst,2026-06-0${(i % 9) + 1}`);
  await harness.action(
    viewSubmission(slack, starting, {
      roster_1: { value: { type: 'plain_text_input', value: roster.join('\n') } },
    }),
  );
  const posted = await slack.waitFor('chat.postMessage', (call) =>
    String(call.args.text).includes('access review'),
  );
  const review = { channel: 'C0SHOP', ts: String((posted.result as { ts: string }).ts) };
  const reviewId = String(
    JSON.stringify(slack.message('C0SHOP', review.ts)?.blocks).match(/"value":"([^"|]+)\|undecided"/)?.[1],
  );

  // The forms Alice opens: the user list, her own-access reason, the integration and owner forms, Home's scan form.
  const opened = async (send: () => Promise<unknown>, method = 'views.open') => {
    const before = slack.callsTo(method).length;
    await send();
    return modalFrom(await waitUntil(() => slack.callsTo(method)[before], method));
  };
  const users = await opened(() =>
    harness.action(blockAction(slack, review, { action_id: 'review:users:all', value: `${reviewId}|all` })),
  );
  const rotation = { channel: 'C0SHOP', ts: rotationMessage.ts };
  world = {
    harness,
    scanId,
    fingerprint: secondKey,
    scan: { channel: 'C0SHOP', ts: scanMessage.ts },
    rotationId,
    rotation,
    reviewId,
    review,
    reminder: { channel: 'C0SHOP', ts: reminderMessage.ts },
    users,
    reviewStart,
    // Alice is the reviewer: a decision on her own account (row 1) asks for a reason first.
    reason: await opened(() => harness.action(decideInList(harness, users, '1|keep')), 'views.push'),
    addIntegration: await opened(() =>
      harness.action(
        blockAction(slack, rotation, { action_id: 'rotation:add_integration', value: rotationId }),
      ),
    ),
    assign: await opened(() =>
      harness.action(
        blockAction(slack, rotation, {
          action_id: 'rotation:item_menu',
          selected_option: { value: `${rotationId}|s:identify|assign` },
        }),
      ),
    ),
    homeScan: await opened(() => harness.action(homeClick(harness, 'home:start_scan'))),
  };
  // A removal Alice decided, so the review has a follow-up to confirm.
  const beforeDecision = slack.callsTo('views.update').length;
  await harness.action(decideInList(harness, users, '2|remove'));
  await waitUntil(() => slack.callsTo('views.update').length > beforeDecision, 'the decision');
  // Forms opened before a restart are still checked (and accepted) after it.
  await harness.restart();
}, 60_000);

function decideInList(harness: Harness, view: FakeView, value: string): Record<string, unknown> {
  return viewAction(harness.slack, view, {
    action_id: 'review:decide',
    type: 'static_select',
    selected_option: { value },
  });
}

afterAll(async () => {
  await world?.harness.close();
  await site?.close();
});

describe('every door', () => {
  it('is in this table, and only the doors that change nothing and show nothing private are open to anyone', () => {
    const doors = registeredDoors();
    expect([...doors.keys()].sort()).toEqual([...Object.keys(FORGERIES), ...Object.keys(OPEN_DOORS)].sort());
    for (const [key, door] of doors) {
      expect(door, `${key} is not built with the chain`).toBeDefined();
      expect(door?.who, key).toBe(key in OPEN_DOORS ? 'anyone' : 'members');
    }
  });

  it.each(Object.keys(FORGERIES))(
    '%s: a forged request from someone who may not act changes nothing and is refused in the same words',
    async (key) => {
      await forge(key, MALLORY, 'own place', refusal);
    },
  );
});

describe('doors that act on a rotation, a review or a scan', () => {
  const placed = [...registeredDoors()].filter(([, door]) => door?.from !== undefined).map(([key]) => key);

  it('are every door but these, which name none', () => {
    expect(placed.sort()).toEqual(
      Object.keys(FORGERIES)
        .filter((key) => !(key in UNPLACED))
        .sort(),
    );
  });

  const cases: [string, string][] = placed.flatMap((key): [string, string][] =>
    key.startsWith('view ') || FORGERIES[key]?.inForm
      ? [[key, 'a form not opened for them']]
      : key.startsWith('action scan:')
        ? // A scan's result is posted in several places (joined channels, response URLs), so its
          // buttons are accepted from any message in a channel it was posted in, and no other.
          [[key, 'other channel']]
        : [
            [key, 'other channel'],
            [key, 'other message'],
          ],
  );

  it.each(cases)('%s: an allowed user acting from %s changes nothing', async (key, where) => {
    await forge(
      key,
      BOB,
      where === 'other message' ? 'other message' : 'other channel',
      WRONG_PLACE.slice(0, 150),
    );
  });

  it('from its own message, the same click by an allowed user does change the checklist', async () => {
    const before = effects(world.harness, BOB);
    await (FORGERIES['action rotation:item_menu'] as Forgery).send(world, ALICE, 'own place');
    await waitUntil(() => effects(world.harness, BOB) !== before, 'the change');
  });

  it('a form the bot opened for that person before a restart is accepted after it', async () => {
    const before = effects(world.harness, BOB);
    const answer = await (FORGERIES['view rotation:assign'] as Forgery).send(world, ALICE, 'own place');
    expect(answer.body).toBe('');
    await waitUntil(() => effects(world.harness, BOB) !== before, 'the owner to be assigned');
  });
});
