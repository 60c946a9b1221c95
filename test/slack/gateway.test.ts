import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { boltLogger, createLogger } from '../../src/log.js';
import { SlackGateway, slackFailure } from '../../src/slack/gateway.js';
import { type FakeSlack, startFakeSlack } from '../fakes/slack-api.js';
import { fakeLegacyKey } from '../fixtures/site-server.js';

// A made-up key in Klaviyo's legacy private form: random hex, never issued by Klaviyo.
const KEY = 'pk_c553824640cf9d938df817d4e33354cdd9';

let slack: FakeSlack;
let client: webApi.WebClient;
let gateway: SlackGateway;

/** Like the bot's own client (src/listeners/app.ts): one call each, every failure handed back. */
function botClient(): webApi.WebClient {
  return new webApi.WebClient(slack.token, {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logger: boltLogger(
      createLogger('error', () => {}),
      webApi.LogLevel.ERROR,
    ),
  });
}

function newGateway(retry: { attempts?: number; baseMs?: number; maxRetryAfterMs?: number } = {}) {
  return new SlackGateway(client, {
    botToken: slack.token,
    log: createLogger('error', () => {}),
    retry: { baseMs: 1, ...retry },
  });
}

beforeAll(async () => {
  slack = await startFakeSlack({ channels: [{ id: 'C0SHOP' }] });
  client = botClient();
  gateway = newGateway();
});

beforeEach(() => {
  slack.reset();
});

afterAll(async () => {
  await slack.close();
});

const text = (value: string) => ({ text: value, blocks: [] });

async function posted(): Promise<string> {
  return (await gateway.post('C0SHOP', text('first'))).ts;
}

describe('SlackGateway', () => {
  it('masks keys in uploaded files, their names and the comment, like every message', async () => {
    await gateway.uploadFiles('C0SHOP', `Evidence (${KEY})`, [
      { filename: `review-${KEY}.csv`, title: `Review ${KEY}`, content: `name,note\nRita,${KEY}\n` },
    ]);
    const file = slack.uploadedFiles.at(-1);
    expect(file?.channel).toBe('C0SHOP');
    const everything = JSON.stringify({ ...file, content: file?.content.toString('utf8') });
    expect(everything).toContain('Rita,pk_…cdd9');
    expect(everything).not.toContain(KEY);
  });

  it('masks keys in a message before it is posted', async () => {
    const result = await gateway.post('C0SHOP', { text: `found ${KEY}`, blocks: [] });
    expect(slack.message('C0SHOP', result.ts)?.text).toBe('found pk_…cdd9');
  });
});

describe('SlackGateway: failed calls', () => {
  it.each([
    ['service_unavailable', () => slack.failNext('chat.update', 'service_unavailable')],
    ['internal_error', () => slack.failNext('chat.update', 'internal_error')],
    ['fatal_error', () => slack.failNext('chat.update', 'fatal_error')],
    ['request_timeout', () => slack.failNext('chat.update', 'request_timeout')],
    ['an HTTP 500', () => slack.failNext('chat.update', 'internal_error', 1, 500)],
    ['an HTTP 503', () => slack.failNext('chat.update', 'service_unavailable', 1, 503)],
    ['a 429 without Retry-After', () => slack.rateLimit('chat.update', 1)],
    ['a 429 with Retry-After: 0', () => slack.rateLimit('chat.update', 1, 0)],
  ])('an update that fails once with %s is tried again and lands', async (_name, fault) => {
    const ts = await posted();
    fault();
    let accepted = 0;
    await gateway.updateLatest('C0SHOP', ts, () => text('second'), { accepted: () => accepted++ });
    expect(slack.message('C0SHOP', ts)?.text).toBe('second');
    expect(slack.callsTo('chat.update').map((call) => call.result.ok)).toEqual([false, true]);
    expect(accepted).toBe(1);
  });

  it('tries a bounded number of times while Slack stays down, then leaves the message to the reconciler', async () => {
    const ts = await posted();
    slack.outage('chat.update');
    const refused: string[] = [];
    let accepted = 0;
    await newGateway({ attempts: 3 }).updateLatest('C0SHOP', ts, () => text('second'), {
      accepted: () => accepted++,
      refused: (code) => refused.push(code),
    });
    expect(slack.callsTo('chat.update')).toHaveLength(3);
    expect(slack.message('C0SHOP', ts)?.text).toBe('first');
    expect({ accepted, refused }).toEqual({ accepted: 0, refused: [] });
    slack.recover('chat.update');
  });

  it('does not try again what Slack refuses for good, and says so', async () => {
    const refused: string[] = [];
    await gateway.updateLatest('C0SHOP', '1.000001', () => text('second'), {
      refused: (code) => refused.push(code),
    });
    expect(refused).toEqual(['message_not_found']);
    expect(slack.callsTo('chat.update')).toHaveLength(1);
  });

  it('waits as long as Retry-After says, and not at all when that is longer than it may wait', async () => {
    const ts = await posted();
    slack.rateLimit('chat.update', 1, 5);
    const refused: string[] = [];
    await newGateway({ maxRetryAfterMs: 1_000 }).updateLatest('C0SHOP', ts, () => text('second'), {
      refused: (code) => refused.push(code),
    });
    // One call: a 5 s wait is longer than allowed, so the reconciler will draw it later.
    expect(slack.callsTo('chat.update').map((call) => call.status)).toEqual([429]);
    expect(refused).toEqual([]);
  });

  it('draws the latest state for each try, and a newer update replaces a waiting retry', async () => {
    const ts = await posted();
    slack.failNext('chat.update', 'service_unavailable', 2);
    let state = 'second';
    const first = gateway.updateLatest('C0SHOP', ts, () => text(state));
    state = 'third';
    const second = gateway.updateLatest('C0SHOP', ts, () => text(state));
    await Promise.all([first, second]);
    expect(slack.message('C0SHOP', ts)?.text).toBe('third');
  });

  it('posts again after service_unavailable, but not after an error that may have posted it', async () => {
    slack.failNext('chat.postMessage', 'service_unavailable');
    await gateway.post('C0SHOP', text('once'));
    expect(slack.callsTo('chat.postMessage').map((call) => call.result.ok)).toEqual([false, true]);
    slack.reset();
    slack.failNext('chat.postMessage', 'internal_error', 1, 500);
    await expect(gateway.post('C0SHOP', text('maybe'))).rejects.toMatchObject({ statusCode: 500 });
    expect(slack.callsTo('chat.postMessage')).toHaveLength(1);
  });

  it('names what went wrong for the log', () => {
    expect(slackFailure(new Error('boom'))).toMatchObject({ code: 'boom', transient: false });
  });

  it('masks a key in an error of its own, as that text is kept as the refusal', () => {
    const key = fakeLegacyKey(5);
    const { code } = slackFailure(new Error(`could not draw the checklist of ${key}`));
    expect(code).not.toContain(key);
    expect(code).toContain(`pk_…${key.slice(-4)}`);
  });
});
