import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { AccessPolicy } from '../../src/services/access.js';
import { SlackGateway } from '../../src/slack/gateway.js';
import { type FakeSlack, startFakeSlack } from '../fakes/slack-api.js';

const log = createLogger('error', () => {});
let slack: FakeSlack;
let gateway: SlackGateway;

beforeAll(async () => {
  slack = await startFakeSlack({ usergroups: { S0SEC: ['U0ALICE'] } });
  const client = new webApi.WebClient(slack.token, {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
  });
  gateway = new SlackGateway(client, { botToken: slack.token, log });
});

afterAll(async () => {
  await slack.close();
});

describe('AccessPolicy', () => {
  it('lets anyone act when nothing is configured, without asking Slack', async () => {
    const policy = new AccessPolicy({ users: [] }, gateway, log);
    expect(policy.knownDecision('U0ANYONE')).toBe(true);
    expect(await policy.canAct('U0ANYONE')).toBe(true);
    expect(slack.callsTo('usergroups.users.list')).toHaveLength(0);
  });

  it('lets listed users and group members act, asking Slack once for clicks that arrive together', async () => {
    slack.reset();
    const policy = new AccessPolicy({ users: ['U0BOB'], userGroup: 'S0SEC' }, gateway, log);
    expect(policy.knownDecision('U0BOB')).toBe(true);
    expect(policy.knownDecision('U0ALICE')).toBeUndefined();
    const answers = await Promise.all([
      policy.canAct('U0ALICE'),
      policy.canAct('U0EVE'),
      policy.canAct('U0ALICE'),
    ]);
    expect(answers).toEqual([true, false, true]);
    expect(slack.callsTo('usergroups.users.list')).toHaveLength(1);
    expect(policy.knownDecision('U0EVE')).toBe(false);
    expect(policy.refusal()).toContain('<!subteam^S0SEC>');
  });
});
