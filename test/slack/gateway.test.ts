import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { SlackGateway } from '../../src/slack/gateway.js';
import { type FakeSlack, startFakeSlack } from '../fakes/slack-api.js';

// A made-up key in Klaviyo's legacy private form: random hex, never issued by Klaviyo.
const KEY = 'pk_c553824640cf9d938df817d4e33354cdd9';

let slack: FakeSlack;
let gateway: SlackGateway;

beforeAll(async () => {
  slack = await startFakeSlack({ channels: [{ id: 'C0SHOP' }] });
  const client = new webApi.WebClient(slack.token, {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
  });
  gateway = new SlackGateway(client, { botToken: slack.token, log: createLogger('error', () => {}) });
});

afterAll(async () => {
  await slack.close();
});

describe('SlackGateway', () => {
  it('masks keys in uploaded files, their names and the comment, like every message', async () => {
    await gateway.uploadFiles('C0SHOP', `Evidence (${KEY})`, [
      { filename: `review-${KEY}.csv`, title: `Review ${KEY}`, content: `name,note\nRita,${KEY}\n` },
    ]);
    const [file] = slack.uploadedFiles;
    expect(file?.channel).toBe('C0SHOP');
    const everything = JSON.stringify({ ...file, content: file?.content.toString('utf8') });
    expect(everything).toContain('Rita,pk_…cdd9');
    expect(everything).not.toContain(KEY);
  });

  it('masks keys in a message before it is posted', async () => {
    const posted = await gateway.post('C0SHOP', { text: `found ${KEY}`, blocks: [] });
    expect(slack.message('C0SHOP', posted.ts)?.text).toBe('found pk_…cdd9');
  });
});
