import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeLegacyKey, startSite, type TestSite } from '../fixtures/site-server.js';
import {
  blockAction,
  findElement,
  type Harness,
  scanAndStartRotation,
  startHarness,
  waitUntil,
} from './harness.js';

const key = fakeLegacyKey(70);
let harness: Harness;
let site: TestSite;

beforeAll(async () => {
  site = await startSite({
    '/': { body: `<html><script>klaviyo.init({ company_id: "${key}" });</script></html>` },
  });
  harness = await startHarness();
  harness.klaviyo.keys.set(key, { status: 'live', account: 'XvCJDh' });
});

afterAll(async () => {
  await harness?.close();
  await site?.close();
});

describe('one error handler for every listener', () => {
  it('tells the person a rule of the checklist in its own words, and nothing else', async () => {
    const checklist = await scanAndStartRotation(harness, site.url('/'));
    const menu = findElement(checklist.blocks, 'rotation:item_menu', (value) =>
      value.includes('|s:replace|'),
    );
    const markReplaced = {
      ...menu,
      selected_option: { value: `${menu?.selected_option?.value.split('|')[0]}|s:replace|done` },
    };
    const click = blockAction(harness.slack, checklist, markReplaced as never);
    await harness.action(click);
    const answer = await harness.slack.waitForResponse((post) => post.url === click.response_url);
    expect(answer.body.text).toBe(
      ':warning: A re-scan that no longer finds the key completes this step: press "Re-scan".',
    );
    expect(answer.body.response_type).toBe('ephemeral');
    expect(harness.logs.join('')).not.toContain('"level":"error"');
  });

  it('answers a fault with a reference that the log has too, and no detail', async () => {
    const checklist = harness.slack
      .messagesIn('C0SHOP')
      .find((message) => message.text.includes('Rotation of'));
    if (checklist === undefined) throw new Error('no checklist');
    harness.slack.failNext('views.open', 'internal_error');
    const click = blockAction(
      harness.slack,
      checklist,
      findElement(checklist.blocks, 'rotation:add_integration') as never,
    );
    await harness.action(click);
    const answer = await harness.slack.waitForResponse((post) => post.url === click.response_url);
    const text = String(answer.body.text);
    const reference = /reference `([0-9a-f]{8})`/.exec(text)?.[1];
    expect(text).toMatch(/^:x: Something went wrong while opening the form \(reference `[0-9a-f]{8}`\)/);
    expect(text).not.toContain('internal_error');
    const logged = await waitUntil(
      () => harness.logs.find((line) => line.includes('"level":"error"') && line.includes(`${reference}`)),
      'the logged fault',
    );
    expect(JSON.parse(logged)).toMatchObject({
      msg: 'opening the form failed',
      reference,
      userId: 'U0ALICE',
    });
  });

  it('applies a click that Slack delivers twice once', async () => {
    const checklist = harness.slack
      .messagesIn('C0SHOP')
      .find((message) => message.text.includes('Rotation of'));
    if (checklist === undefined) throw new Error('no checklist');
    const click = blockAction(
      harness.slack,
      checklist,
      findElement(checklist.blocks, 'rotation:rescan') as never,
    );
    await harness.action(click);
    await harness.action(click);
    await harness.slack.waitForResponse((post) => post.url === click.response_url);
    // Everything the two deliveries started has finished once the bot has stopped.
    await harness.bot.stop();
    const answers = harness.slack.responses.filter((post) => post.url === click.response_url);
    expect(answers.map((post) => post.body.text)).toEqual([
      ':mag: Re-scanning the site; the result appears in the checklist’s thread.',
    ]);
  });
});
