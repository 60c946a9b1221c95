import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBot } from '../../src/main.js';
import { ACTION_NAME, BLOCK_NAME, BLOCK_OWNER } from '../../src/slack/views/rotation-modals.js';
import type { FakeMessage, FakeView } from '../fakes/slack-api.js';
import { fakeLegacyKey, startSite, type TestSite } from '../fixtures/site-server.js';
import {
  blockAction,
  clickAndWait,
  findElement,
  type Harness,
  openHome,
  scanAndStartRotation,
  startHarness,
  viewSubmission,
  waitUntil,
} from './harness.js';

/**
 * Socket Mode, end to end: the real @slack/socket-mode client inside Bolt, connected to a fake Socket Mode
 * server. Every command, click, submission and event arrives as an envelope and must be acked on the socket.
 */

const key = fakeLegacyKey(120);
let harness: Harness;
let site: TestSite;
let checklist: FakeMessage;

beforeAll(async () => {
  site = await startSite({ '/': { body: `<script>klaviyo.init({ company_id: "${key}" });</script>` } });
  harness = await startHarness({ socketMode: true });
  harness.klaviyo.keys.set(key, { status: 'live', account: 'XvCJDh' });
});

afterAll(async () => {
  await harness?.close();
  await site?.close();
});

const socket = () => {
  if (harness.socket === undefined) throw new Error('the harness is not in Socket Mode');
  return harness.socket;
};

function healthz(path = '/healthz') {
  return request(`http://127.0.0.1:${harness.bot.port}${path}`);
}

describe('Socket Mode', () => {
  it('connects with the app-level token, and says so', async () => {
    const opened = harness.slack.callsTo('apps.connections.open');
    expect(opened).toHaveLength(1);
    expect(opened[0]?.result).toMatchObject({ ok: true });
    expect(socket().current()?.number).toBe(1);
    expect(harness.logs.join('')).toContain('"mode":"socket"');
  });

  it('answers GET /healthz on PORT, and nothing else there', async () => {
    const health = await healthz();
    expect(health.statusCode).toBe(200);
    expect(await health.body.json()).toEqual({ ok: true });
    const other = await healthz('/slack/events');
    expect(other.statusCode).toBe(404);
    await other.body.dump();
  });

  it('acks a slash command on the socket, then posts the scan and starts a rotation from its button', async () => {
    checklist = await scanAndStartRotation(harness, site.url('/'));
    const command = socket().envelopes.find((envelope) => envelope.type === 'slash_commands');
    expect(command?.ack).toBeDefined();
    expect(command?.payload).toMatchObject({ command: '/klaviyo-scan', text: site.url('/') });
    const button = socket().envelopes.find((envelope) => envelope.payload.type === 'block_actions');
    expect(button?.ack).toEqual({});
    expect(JSON.stringify(checklist.blocks)).toContain(`pk_…${key.slice(-4)}`);
  });

  it('applies a checklist button', async () => {
    await clickAndWait(harness, checklist, 'rotation:item_menu', (value) => value.endsWith('|s:replace|me'));
    expect(JSON.stringify(harness.slack.message(checklist.channel, checklist.ts)?.blocks)).toContain(
      "in the site's code* · owner <@U0ALICE>",
    );
  });

  it('answers a modal submission with field errors in the ack, then accepts the corrected form', async () => {
    const message = harness.slack.message(checklist.channel, checklist.ts) as FakeMessage;
    const add = findElement(message.blocks, 'rotation:add_integration');
    await harness.action(blockAction(harness.slack, message, add as never));
    const opened = await harness.slack.waitFor('views.open');
    const view = (opened.result as { view: FakeView }).view;
    const submit = (name: string) =>
      harness.action(
        viewSubmission(harness.slack, view, {
          [BLOCK_NAME]: { [ACTION_NAME]: { type: 'plain_text_input', value: name } },
          [BLOCK_OWNER]: { user: { type: 'users_select', selected_user: 'U0BOB' } },
        }),
      );

    const refused = await submit('   ');
    expect(JSON.parse(refused.body)).toEqual({
      response_action: 'errors',
      errors: { [BLOCK_NAME]: 'Give the integration a name.' },
    });
    const envelope = socket().envelopes.at(-1);
    expect(envelope?.type).toBe('interactive');
    expect(envelope?.ack).toMatchObject({ response_action: 'errors' });

    const accepted = await submit('Shopify sync');
    expect(accepted.body).toBe('');
    await waitUntil(
      () =>
        JSON.stringify(harness.slack.message(checklist.channel, checklist.ts)?.blocks).includes(
          'Shopify sync',
        ),
      'the integration on the checklist',
    );
  });

  it('publishes App Home on app_home_opened', async () => {
    const home = await openHome(harness);
    expect(JSON.stringify(home.blocks)).toContain(`pk_…${key.slice(-4)}`);
    expect(socket().envelopes.at(-1)).toMatchObject({ type: 'events_api', ack: {} });
  });

  it.each([
    ['Slack asks it to reconnect (refresh_requested)', () => socket().disconnect('refresh_requested')],
    ['Slack warns the connection will be recycled', () => socket().disconnect('warning')],
    ['the connection drops without a close frame', () => socket().drop()],
  ])('reconnects when %s, and serves the next command on the new connection', async (_, cut) => {
    const before = socket().connections.length;
    await cut();
    const next = await socket().waitForConnection(before + 1, 20_000);
    expect(harness.slack.callsTo('apps.connections.open')).toHaveLength(before + 1);
    const reply = await harness.command('help');
    expect(reply.status).toBe(200);
    expect(socket().envelopes.at(-1)?.connection).toBe(next.number);
    const answer = await harness.slack.waitForResponse((post) => JSON.stringify(post.body).includes('Usage'));
    expect(answer.body.response_type).toBe('ephemeral');
  });

  it('closes its connection cleanly on stop, and a restart reconnects and keeps old buttons working', async () => {
    const before = socket().current();
    await harness.restart();
    expect(before?.closedWith).toBe(1000);
    await socket().waitForConnection((before?.number ?? 0) + 1);
    await clickAndWait(harness, checklist, 'rotation:item_menu', (value) =>
      value.endsWith('|s:identify|done'),
    );
    expect(JSON.stringify(harness.slack.message(checklist.channel, checklist.ts)?.blocks)).toContain(
      '~*3. Identify every integration',
    );
    expect(harness.slack.problems()).toEqual([]);
    expect(harness.everything()).not.toContain(key);
  });

  it('stops start-up with a clear error when the app-level token is refused', async () => {
    const start = startBot({
      env: {
        ...harness.env,
        SLACK_APP_TOKEN: 'xapp-1-A0FAKE-1-wrong',
        DATABASE_PATH: join(harness.dir, 'refused.sqlite'),
      },
      host: '127.0.0.1',
      scheduler: false,
      writeLog: () => {},
    });
    await expect(start).rejects.toThrow(/invalid_auth/);
  });
});
