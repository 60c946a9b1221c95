import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, LogLevel as BoltLogLevel } from '@slack/bolt';
import { type Logger, LogLevel, WebClient, type WebClientOptions } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeSlack, type FakeSlackOptions, startFakeSlack } from './slack-api.js';

const quiet: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => LogLevel.ERROR,
  setName: () => {},
};

const fakes: FakeSlack[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

async function setup(options: FakeSlackOptions = {}, clientOptions: WebClientOptions = {}) {
  const slack = await startFakeSlack(options);
  fakes.push(slack);
  const client = new WebClient(slack.token, {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
    logger: quiet,
    ...clientOptions,
  });
  return { slack, client };
}

/** The Slack error code of a rejected WebClient call. */
async function slackError(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    const data = (error as { data?: { error?: string } }).data;
    return data?.error ?? (error as { code?: string }).code ?? String(error);
  }
  throw new Error('expected the call to fail');
}

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

describe('fake Slack Web API: auth', () => {
  it('answers auth.test with the bot identity and rejects other tokens', async () => {
    const { slack, client } = await setup({ teamId: 'T1', botUserId: 'U1BOT', botId: 'B1' });
    expect(slack.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/$/);
    const auth = await client.auth.test();
    expect(auth).toMatchObject({ ok: true, team_id: 'T1', user_id: 'U1BOT', bot_id: 'B1' });

    const stranger = new WebClient('xoxb-wrong', {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
      logger: quiet,
    });
    expect(await slackError(stranger.auth.test())).toBe('invalid_auth');
    const anonymous = await fetch(`${slack.apiUrl}auth.test`, { method: 'POST' });
    expect(await anonymous.json()).toEqual({ ok: false, error: 'not_authed' });
    expect(await slackError(client.apiCall('chat.scheduleMessage', { channel: 'C1', text: 'x' }))).toBe(
      'unknown_method',
    );
  });

  it('accepts JSON bodies as well as form-encoded ones', async () => {
    const { slack } = await setup();
    const res = await fetch(`${slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${slack.token}`, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ channel: 'C1', text: 'json', blocks: [section('hi')], unfurl_links: false }),
    });
    expect(await res.json()).toMatchObject({ ok: true, channel: 'C1' });
    expect(slack.lastCall('chat.postMessage')?.args).toMatchObject({
      blocks: [section('hi')],
      unfurl_links: false,
    });
  });
});

describe('fake Slack Web API: messages', () => {
  it('posts, records and stores messages with increasing ts, threads included', async () => {
    const { slack, client } = await setup();
    const first = await client.chat.postMessage({
      channel: 'C1',
      text: 'Scan started',
      blocks: [section('*Scanning*')],
    });
    expect(first).toMatchObject({ ok: true, channel: 'C1', ts: '1700000000.000100' });
    expect(first.message).toMatchObject({
      text: 'Scan started',
      blocks: [section('*Scanning*')],
      bot_id: 'B0BOT',
    });
    const reply = await client.chat.postMessage({ channel: 'C1', text: 'detail', thread_ts: first.ts });
    expect(Number(reply.ts)).toBeGreaterThan(Number(first.ts));
    expect(slack.messagesIn('C1').map((m) => m.text)).toEqual(['Scan started', 'detail']);
    expect(slack.message('C1', first.ts as string)?.reply_count).toBe(1);
    expect(slack.message('C1', reply.ts as string)?.thread_ts).toBe(first.ts);

    const call = slack.lastCall('chat.postMessage');
    expect(call?.args).toMatchObject({ channel: 'C1', text: 'detail', thread_ts: first.ts });
    expect(slack.callsTo('chat.postMessage')).toHaveLength(2);
    expect(slack.rejectedCalls()).toEqual([]);
    expect(slack.problems()).toEqual([]);
  });

  it('rejects invalid Block Kit with invalid_blocks and records the call as rejected', async () => {
    const { slack, client } = await setup();
    const error = client.chat.postMessage({ channel: 'C1', text: 'x', blocks: [section('ok'), section('')] });
    await expect(error).rejects.toMatchObject({
      data: {
        ok: false,
        error: 'invalid_blocks',
        errors: ['invalid_blocks: blocks[1].text.text: must be 1-3000 characters'],
      },
    });
    expect(await slackError(client.chat.postMessage({ channel: 'C1', text: '' }))).toBe('no_text');
    expect(slack.messagesIn('C1')).toEqual([]);
    expect(slack.rejectedCalls().map((c) => c.error)).toEqual(['invalid_blocks', 'no_text']);
    expect(slack.problems()).toEqual([
      'chat.postMessage: invalid_blocks: blocks[1].text.text: must be 1-3000 characters',
      'chat.postMessage: no_text: text: is required when there are no blocks',
    ]);
  });

  it('answers not_in_channel until the bot joins, and channel_not_found for private channels it cannot see', async () => {
    const { client } = await setup({
      channels: [
        { id: 'C0OUT', name: 'security', is_member: false },
        { id: 'G0SECRET', name: 'secret', is_private: true, is_member: false },
      ],
    });
    expect(await slackError(client.chat.postMessage({ channel: 'C0OUT', text: 'hi' }))).toBe(
      'not_in_channel',
    );
    expect(await slackError(client.chat.postMessage({ channel: 'G0SECRET', text: 'hi' }))).toBe(
      'channel_not_found',
    );
    expect(await slackError(client.chat.postMessage({ channel: 'G0UNKNOWN', text: 'hi' }))).toBe(
      'channel_not_found',
    );
    expect(await slackError(client.conversations.join({ channel: 'G0SECRET' }))).toBe('channel_not_found');
    expect((await client.conversations.info({ channel: 'C0OUT' })).channel).toMatchObject({
      name: 'security',
      is_member: false,
    });

    const joined = await client.conversations.join({ channel: 'C0OUT' });
    expect(joined.channel).toMatchObject({ id: 'C0OUT', is_member: true });
    expect(await client.chat.postMessage({ channel: 'C0OUT', text: 'hi' })).toMatchObject({ ok: true });
    expect(await client.chat.postMessage({ channel: '#security', text: 'by name' })).toMatchObject({
      channel: 'C0OUT',
    });
  });

  it('updates messages in place; text without blocks removes the blocks, as Slack does', async () => {
    const { slack, client } = await setup();
    const posted = await client.chat.postMessage({
      channel: 'C1',
      text: 'Scanning',
      blocks: [section('*Scanning*')],
    });
    const ts = posted.ts as string;

    const updated = await client.chat.update({
      channel: 'C1',
      ts,
      text: 'Done',
      blocks: [section('*Done*')],
    });
    expect(updated).toMatchObject({ ok: true, channel: 'C1', ts, text: 'Done' });
    expect(slack.message('C1', ts)).toMatchObject({ text: 'Done', blocks: [section('*Done*')] });
    expect(slack.message('C1', ts)?.edited).toBeDefined();

    await client.chat.update({ channel: 'C1', ts, text: 'Plain now' });
    expect(slack.message('C1', ts)?.blocks).toBeUndefined();
    expect(slack.messagesIn('C1')).toHaveLength(1);

    expect(await slackError(client.chat.update({ channel: 'C1', ts: '1.000001', text: 'x' }))).toBe(
      'message_not_found',
    );
    expect(await slackError(client.chat.update({ channel: 'C1', ts, text: 'a'.repeat(4001) }))).toBe(
      'msg_too_long',
    );
    await client.chat.update({ channel: 'C1', ts, text: 'a'.repeat(4000) });
    expect(
      await slackError(
        client.chat.update({ channel: 'C1', ts, text: 'x', blocks: [{ type: 'divider', foo: 1 } as never] }),
      ),
    ).toBe('invalid_blocks');
  });

  it('posts ephemeral messages and builds permalinks', async () => {
    const { slack, client } = await setup();
    const eph = await client.chat.postEphemeral({
      channel: 'C1',
      user: 'U1',
      text: 'Only you',
      blocks: [section('psst')],
    });
    expect(eph.message_ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(slack.ephemerals).toEqual([
      { channel: 'C1', user: 'U1', message_ts: eph.message_ts, text: 'Only you', blocks: [section('psst')] },
    ]);
    expect(slack.messagesIn('C1')).toEqual([]);

    const posted = await client.chat.postMessage({ channel: 'C1', text: 'hi' });
    const link = await client.chat.getPermalink({ channel: 'C1', message_ts: posted.ts as string });
    expect(link.permalink).toBe(
      `https://fake-workspace.slack.com/archives/C1/p${(posted.ts as string).replace('.', '')}`,
    );
    expect(await slackError(client.chat.getPermalink({ channel: 'C1', message_ts: '1.2' }))).toBe(
      'message_not_found',
    );
  });

  it('injects failures on demand', async () => {
    const { slack, client } = await setup();
    slack.failNext('chat.postMessage', 'fatal_error');
    expect(await slackError(client.chat.postMessage({ channel: 'C1', text: 'x' }))).toBe('fatal_error');
    expect(await client.chat.postMessage({ channel: 'C1', text: 'x' })).toMatchObject({ ok: true });
  });
});

describe('fake Slack Web API: views', () => {
  const modal = {
    type: 'modal' as const,
    callback_id: 'roster',
    title: { type: 'plain_text' as const, text: 'Access review' },
    submit: { type: 'plain_text' as const, text: 'Save' },
    blocks: [
      {
        type: 'input',
        block_id: 'roster',
        label: { type: 'plain_text' as const, text: 'People' },
        element: { type: 'plain_text_input', action_id: 'lines', multiline: true },
      },
    ],
  };

  it('opens a modal with a fresh trigger_id, once', async () => {
    const { slack, client } = await setup();
    const trigger = slack.issueTriggerId();
    const opened = await client.views.open({ trigger_id: trigger, view: modal });
    expect(opened.view).toMatchObject({
      id: expect.stringMatching(/^V/),
      hash: expect.any(String),
      callback_id: 'roster',
    });
    expect(slack.views.get(opened.view?.id as string)).toMatchObject({ title: modal.title });
    expect(await slackError(client.views.open({ trigger_id: trigger, view: modal }))).toBe(
      'expired_trigger_id',
    );
    expect(await slackError(client.views.open({ trigger_id: '123.456.abc', view: modal }))).toBe(
      'expired_trigger_id',
    );
  });

  it('refuses a trigger_id older than 3 seconds', async () => {
    let now = 1_000_000;
    const { slack, client } = await setup({ now: () => now });
    const trigger = slack.issueTriggerId();
    now += 3_001;
    expect(await slackError(client.views.open({ trigger_id: trigger, view: modal }))).toBe(
      'expired_trigger_id',
    );
    const fresh = slack.issueTriggerId();
    now += 3_000;
    expect(await client.views.open({ trigger_id: fresh, view: modal })).toMatchObject({ ok: true });
  });

  it('validates views: invalid_arguments with the problems', async () => {
    const { slack, client } = await setup();
    const { submit: _submit, ...noSubmit } = modal;
    const error = client.views.open({ trigger_id: slack.issueTriggerId(), view: noSubmit });
    await expect(error).rejects.toMatchObject({
      data: {
        error: 'invalid_arguments',
        errors: ['invalid_arguments: view.submit: is required when there are input blocks'],
      },
    });
    expect(slack.rejectedCalls()).toHaveLength(1);
  });

  it('updates by view_id with hash checks, and pushes', async () => {
    const { slack, client } = await setup();
    const opened = await client.views.open({ trigger_id: slack.issueTriggerId(), view: modal });
    const { id, hash } = opened.view as { id: string; hash: string };
    const title = { type: 'plain_text' as const, text: 'Saved' };
    const updated = await client.views.update({ view_id: id, hash, view: { ...modal, title } });
    expect(updated.view).toMatchObject({ id, title });
    expect(updated.view?.hash).not.toBe(hash);
    expect(await slackError(client.views.update({ view_id: id, hash, view: modal }))).toBe('hash_conflict');
    expect(await slackError(client.views.update({ view_id: 'V404', view: modal }))).toBe('not_found');
    const long = { type: 'plain_text' as const, text: 'x'.repeat(25) };
    expect(await slackError(client.views.update({ view_id: id, view: { ...modal, title: long } }))).toBe(
      'invalid_arguments',
    );

    const pushed = await client.views.push({ trigger_id: slack.issueTriggerId(), view: modal });
    expect(pushed.view).toMatchObject({ previous_view_id: id });
  });

  it('publishes Home tabs per user and validates them as home views', async () => {
    const { slack, client } = await setup();
    const home = { type: 'home' as const, blocks: [section('Open reviews: 2')] };
    const published = await client.views.publish({ user_id: 'U1', view: home });
    expect(published.view).toMatchObject({ type: 'home', id: expect.any(String) });
    expect(slack.homeViews.get('U1')?.blocks).toEqual(home.blocks);
    const input = {
      type: 'input',
      label: { type: 'plain_text', text: 'x' },
      element: { type: 'plain_text_input' },
    };
    expect(
      await slackError(client.views.publish({ user_id: 'U1', view: { type: 'home', blocks: [input] } })),
    ).toBe('invalid_arguments');
    expect(slack.homeViews.get('U1')?.blocks).toEqual(home.blocks);
  });
});

describe('fake Slack Web API: rate limits', () => {
  it('answers 429 with Retry-After; rejectRateLimitedCalls surfaces it', async () => {
    const { slack, client } = await setup({}, { rejectRateLimitedCalls: true });
    slack.rateLimit('chat.update', 1, 7);
    const posted = await client.chat.postMessage({ channel: 'C1', text: 'x' });
    await expect(
      client.chat.update({ channel: 'C1', ts: posted.ts as string, text: 'y' }),
    ).rejects.toMatchObject({
      code: 'slack_webapi_rate_limited_error',
      retryAfter: 7,
    });
    expect(slack.lastCall('chat.update')).toMatchObject({ status: 429, error: 'ratelimited' });
    expect(await client.chat.update({ channel: 'C1', ts: posted.ts as string, text: 'y' })).toMatchObject({
      ok: true,
    });
  });

  it('answers 429 without Retry-After when asked to, which the client cannot wait out', async () => {
    const { slack, client } = await setup({}, { rejectRateLimitedCalls: true });
    slack.rateLimit('chat.update', 1);
    const posted = await client.chat.postMessage({ channel: 'C1', text: 'x' });
    await expect(client.chat.update({ channel: 'C1', ts: posted.ts as string, text: 'y' })).rejects.toThrow(
      /Retry header did not contain a valid timeout/,
    );
    expect(slack.lastCall('chat.update')).toMatchObject({ status: 429, error: 'ratelimited' });
  });

  it('fails with a server status, and stays down until it recovers', async () => {
    const { slack, client } = await setup();
    const posted = await client.chat.postMessage({ channel: 'C1', text: 'x' });
    slack.failNext('chat.update', 'internal_error', 1, 503);
    await expect(
      client.chat.update({ channel: 'C1', ts: posted.ts as string, text: 'y' }),
    ).rejects.toMatchObject({ code: 'slack_webapi_http_error', statusCode: 503 });
    slack.outage('chat.update');
    for (let i = 0; i < 3; i++)
      expect(
        await slackError(client.chat.update({ channel: 'C1', ts: posted.ts as string, text: 'y' })),
      ).toBe('service_unavailable');
    expect(slack.message('C1', posted.ts as string)?.text).toBe('x');
    slack.recover('chat.update');
    expect(await client.chat.update({ channel: 'C1', ts: posted.ts as string, text: 'y' })).toMatchObject({
      ok: true,
    });
    expect(slack.message('C1', posted.ts as string)?.text).toBe('y');
  });

  it('lets the client retry after Retry-After', async () => {
    const { slack, client } = await setup({}, { retryConfig: { retries: 1, minTimeout: 0, maxTimeout: 0 } });
    slack.rateLimit('chat.postMessage', 1, 1);
    const started = Date.now();
    expect(await client.chat.postMessage({ channel: 'C1', text: 'x' })).toMatchObject({ ok: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(slack.callsTo('chat.postMessage').map((c) => c.status)).toEqual([429, 200]);
  });
});

describe('fake Slack Web API: users, usergroups, files', () => {
  it('answers users.info with the configured time zone and usergroups.users.list', async () => {
    const { client } = await setup({
      users: [{ id: 'U1', name: 'ana', tz: 'Europe/Berlin' }],
      usergroups: { S1: ['U1', 'U2'] },
    });
    const info = await client.users.info({ user: 'U1' });
    expect(info.user).toMatchObject({ id: 'U1', name: 'ana', tz: 'Europe/Berlin' });
    expect([3600, 7200]).toContain(info.user?.tz_offset);
    expect(await slackError(client.users.info({ user: 'U404' }))).toBe('user_not_found');
    expect((await client.usergroups.users.list({ usergroup: 'S1' })).users).toEqual(['U1', 'U2']);
    expect(await slackError(client.usergroups.users.list({ usergroup: 'S2' }))).toBe('no_such_subteam');
  });

  it('serves added files only with the bot token', async () => {
    const { slack, client } = await setup();
    slack.addFile('F1', 'name,email\nAna,ana@example.com\n', 'roster.csv', 'text/csv');
    const info = await client.files.info({ file: 'F1' });
    const url = info.file?.url_private_download as string;
    expect(url.startsWith(slack.origin)).toBe(true);
    const authorized = await fetch(url, { headers: { authorization: `Bearer ${slack.token}` } });
    expect(authorized.status).toBe(200);
    expect(await authorized.text()).toBe('name,email\nAna,ana@example.com\n');
    expect((await fetch(url)).status).toBe(403);
    expect(await slackError(client.files.info({ file: 'F404' }))).toBe('file_not_found');
  });

  it('round-trips files.uploadV2: upload URL, bytes, completion, then download', async () => {
    const { slack, client } = await setup();
    const content = 'finding,fingerprint\nlegacy key,ab12\n';
    const result = await client.filesUploadV2({
      channel_id: 'C1',
      content,
      filename: 'report.csv',
      title: 'Scan report',
      initial_comment: 'Here is the report',
    });
    expect(result.ok).toBe(true);
    expect(slack.callsTo('files.getUploadURLExternal')[0]?.args).toMatchObject({ filename: 'report.csv' });
    expect(slack.uploadedFiles).toHaveLength(1);
    const [file] = slack.uploadedFiles;
    expect(file).toMatchObject({
      name: 'report.csv',
      title: 'Scan report',
      channel: 'C1',
      initial_comment: 'Here is the report',
    });
    expect(file?.content.toString('utf8')).toBe(content);

    const info = await client.files.info({ file: file?.id as string });
    const res = await fetch(info.file?.url_private_download as string, {
      headers: { authorization: `Bearer ${slack.token}` },
    });
    expect(await res.text()).toBe(content);
  });

  it('refuses to complete an upload whose bytes never arrived', async () => {
    const { client } = await setup();
    const url = await client.files.getUploadURLExternal({ filename: 'a.txt', length: 3 });
    expect(
      await slackError(client.files.completeUploadExternal({ files: [{ id: url.file_id as string }] })),
    ).toBe('file_not_found');
  });
});

describe('fake Slack: response URLs', () => {
  const post = (url: string, body: unknown) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('accepts 5 valid posts, then answers used_url', async () => {
    const { slack } = await setup();
    const url = slack.responseUrl();
    expect(url.startsWith(`${slack.origin}/response/`)).toBe(true);
    for (let i = 0; i < 5; i++) {
      const res = await post(url, {
        text: `update ${i}`,
        response_type: 'ephemeral',
        replace_original: true,
      });
      expect(res.status).toBe(200);
    }
    const sixth = await post(url, { text: 'one more' });
    expect(sixth.status).toBe(404);
    expect(await sixth.json()).toMatchObject({ error: 'used_url' });
    expect(slack.responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 404]);
    expect(slack.responses[0]?.body).toEqual({
      text: 'update 0',
      response_type: 'ephemeral',
      replace_original: true,
    });
  });

  it('expires after 30 minutes and rejects invalid messages', async () => {
    let now = 5_000_000;
    const { slack } = await setup({ now: () => now });
    const url = slack.responseUrl();
    const invalid = await post(url, { text: 'x', blocks: [{ type: 'section' }] });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ error: 'invalid_blocks' });
    expect(slack.problems()).toEqual(['response_url: invalid_blocks: blocks[0]: needs text or fields']);
    expect((await post(url, { delete_original: true })).status).toBe(200);

    now += 30 * 60_000 + 1;
    const late = await post(url, { text: 'late' });
    expect(late.status).toBe(404);
    expect(await late.json()).toMatchObject({ error: 'expired_url' });
    expect((await post(`${slack.origin}/response/nope`, { text: 'x' })).status).toBe(404);
  });

  it('waits for a response post', async () => {
    const { slack } = await setup();
    const url = slack.responseUrl();
    const waiting = slack.waitForResponse((r) => r.body.text === 'second');
    await post(url, { text: 'first' });
    setTimeout(() => void post(url, { text: 'second' }), 20);
    expect((await waiting).body).toEqual({ text: 'second' });
  });
});

describe('fake Slack: waiting for calls', () => {
  it('resolves for calls already made and calls still to come', async () => {
    const { slack, client } = await setup();
    await client.chat.postMessage({ channel: 'C1', text: 'early' });
    expect((await slack.waitFor('chat.postMessage')).args.text).toBe('early');

    const later = slack.waitFor('chat.postMessage', (c) => c.args.text === 'late');
    setTimeout(() => void client.chat.postMessage({ channel: 'C1', text: 'late' }), 20);
    expect((await later).args.text).toBe('late');

    slack.reset();
    expect(slack.calls).toEqual([]);
    expect(slack.messagesIn('C1')).toHaveLength(2);
  });

  it('times out with the calls it did see', async () => {
    const { slack, client } = await setup();
    await client.auth.test();
    await expect(slack.waitFor('views.open', undefined, 50)).rejects.toThrow(
      'no matching views.open call within 50 ms; calls so far: auth.test',
    );
  });
});

describe('fake Slack with a Bolt app on the real HTTP receiver', () => {
  it('serves auth.test, respond(), chat.postMessage and views.open for a slash command', async () => {
    const { slack } = await setup();
    const signingSecret = 'fake-signing-secret';
    const app = new App({
      token: slack.token,
      signingSecret,
      logLevel: BoltLogLevel.ERROR,
      clientOptions: { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } },
    });
    app.command('/checkup', async ({ ack, respond, client, body }) => {
      await ack();
      await respond({ text: 'Scanning…', response_type: 'ephemeral' });
      await client.chat.postMessage({ channel: body.channel_id, text: `Scan of ${body.text}` });
      await client.views.open({
        trigger_id: body.trigger_id,
        view: { type: 'modal', title: { type: 'plain_text', text: 'Checkup' }, blocks: [section('Hi')] },
      });
    });
    const server = (await app.start(0)) as Server;
    try {
      const { port } = server.address() as AddressInfo;
      const form = new URLSearchParams({
        command: '/checkup',
        text: 'shop.example',
        team_id: slack.teamId,
        channel_id: 'C1',
        user_id: 'U1',
        response_url: slack.responseUrl(),
        trigger_id: slack.issueTriggerId(),
      }).toString();
      const timestamp = Math.floor(Date.now() / 1000);
      const signature = `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${form}`).digest('hex')}`;
      const res = await fetch(`http://127.0.0.1:${port}/slack/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-slack-request-timestamp': String(timestamp),
          'x-slack-signature': signature,
        },
        body: form,
      });
      expect(res.status).toBe(200);
      await slack.waitFor('views.open');
      expect((await slack.waitForResponse()).body).toEqual({ text: 'Scanning…', response_type: 'ephemeral' });
      expect(slack.messagesIn('C1').map((m) => m.text)).toEqual(['Scan of shop.example']);
      expect(slack.callsTo('auth.test').length).toBeGreaterThan(0);
      expect(slack.calls.filter((c) => c.error)).toEqual([]);
      expect(slack.problems()).toEqual([]);
    } finally {
      await app.stop();
    }
  });
});
