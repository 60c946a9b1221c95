import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  applyRotationAction,
  BOT_ACTOR,
  type RotationAction,
  type RotationChecklist,
  startRotation,
} from '../../src/checklists/rotation.js';
import type { Finding, Occurrence } from '../../src/scan/findings.js';
import { fingerprintKey, maskKey } from '../../src/scan/redact.js';
import type { SlackMessage } from '../../src/slack/views/blocks.js';
import { rotationMessage } from '../../src/slack/views/rotation-message.js';
import { addIntegrationModal, assignModal } from '../../src/slack/views/rotation-modals.js';
import { type KeyStatus, scanDetailMessages, scanMessage } from '../../src/slack/views/scan-message.js';
import type { ScanReport } from '../../src/store/scans.js';
import { LIMITS, validateMessage, validateView } from '../fakes/block-kit.js';

// Full keys exist here only to derive each finding's mask and fingerprint, as the detector does;
// the findings handed to the views hold the masked form only. Made up: never issued by Klaviyo.
function fullKey(i: number): string {
  return `pk_${createHash('sha256').update(`key ${i}`).digest('hex').slice(0, 34)}`;
}

const NOW = new Date('2026-07-01T12:00:00.000Z');
const PRIVATE_KEY = /pk_(?:[A-Za-z0-9]{6}_[0-9a-f]{34}|[A-Za-z0-9]{34})(?![A-Za-z0-9_])/;

/** A URL of about `length` characters, with characters mrkdwn must escape. */
function longUrl(i: number, length = 1800): string {
  const base = `https://shop.example/collections/summer-sale/products/item-${i}?utm_source=a&utm_campaign=<b>&q=`;
  return base + 'x'.repeat(Math.max(0, length - base.length));
}

function occurrence(url: string, masked: string, i: number): Occurrence {
  return {
    url,
    page: i % 2 === 0 ? url : 'https://shop.example/',
    resource: i % 2 === 0 ? 'page' : 'script',
    ...(i % 2 === 0 ? { location: 'inline-script' as const } : {}),
    line: 10 + i,
    column: 5,
    context: 'company_id',
    encoding: i % 3 === 0 ? 'js-escape' : 'plain',
    confidence: 'high',
    snippet: `klaviyo.init({ company_id: "${masked}", note: \`<&>\` }); // ${'y'.repeat(200)}`,
  };
}

function finding(i: number, occurrences: number, urlLength = 1800): Finding {
  const key = fullKey(i);
  const masked = maskKey(key);
  const kept = Math.min(occurrences, 1000);
  return {
    type: 'private_key',
    masked,
    fingerprint: fingerprintKey(key),
    form: 'legacy',
    confidence: 'high',
    occurrences: Array.from({ length: kept }, (_, n) => occurrence(longUrl(n, urlLength), masked, n)),
    occurrenceCount: occurrences,
  };
}

/** The same finding with ~100-character snippets, as the detector cuts them. */
function ordinary(item: Finding): Finding {
  return {
    ...item,
    occurrences: item.occurrences.map((entry) => ({
      ...entry,
      snippet: `<script>klaviyo.init({ company_id: "${item.masked}" });</script> <div class="footer">`,
    })),
  };
}

function report(findings: Finding[], extra: Partial<ScanReport> = {}): ScanReport {
  return {
    target: 'https://shop.example/',
    finalUrl: 'https://shop.example/',
    startedAt: '2026-07-01T11:59:00.000Z',
    durationMs: 12_345,
    pagesScanned: 200,
    scriptsScanned: 340,
    complete: true,
    findings,
    publicKeys: [{ key: 'XvCJ7h', urls: ['https://shop.example/'], count: 120 }],
    warnings: [],
    errors: [],
    skipped: [],
    truncated: [],
    stats: { requests: 540, bytesFetched: 9_000_000, sitemapsRead: 1 },
    ...extra,
  };
}

/** Every string Slack shows: the `text` of every text object, at any depth. */
function shownTexts(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(shownTexts);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, field]) =>
    key === 'text' && typeof field === 'string' ? [field] : shownTexts(field),
  );
}

/** Valid for chat.update (the scan and rotation messages are updated in place) and without a full key. */
function expectValidMessage(message: SlackMessage, keys: string[] = []): void {
  expect(validateMessage(message, { maxTextLength: LIMITS.updateText })).toEqual([]);
  expectNoFullKey(message, keys);
}

/** Every problem except the total text limit, which the tests marked as failing check on their own. */
function problemsBesidesTotalText(
  message: SlackMessage,
  options: { maxTextLength: number } = { maxTextLength: LIMITS.updateText },
): string[] {
  return validateMessage(message, options).filter((problem) => !problem.startsWith('msg_blocks_too_long'));
}

function totalTextProblems(message: SlackMessage): string[] {
  return validateMessage(message).filter((problem) => problem.startsWith('msg_blocks_too_long'));
}

function expectNoFullKey(value: unknown, keys: string[]): void {
  const json = JSON.stringify(value);
  expect(json).not.toMatch(PRIVATE_KEY);
  for (const key of keys) {
    expect(json).not.toContain(key);
    expect(json).not.toContain(key.slice(3, 20));
  }
}

const SCAN = { scanId: 'scan-1', target: 'https://shop.example/', requestedBy: 'U0ALICE' };

describe('scanMessage', () => {
  test.each<[string, Parameters<typeof scanMessage>[0]]>([
    ['queued', { ...SCAN, status: 'queued' }],
    ['queued behind others', { ...SCAN, status: 'queued', queuePosition: 3 }],
    ['running, starting', { ...SCAN, status: 'running' }],
    [
      'running with progress',
      { ...SCAN, status: 'running', progress: { pagesScanned: 12, scriptsScanned: 30, findings: 1 } },
    ],
    ['failed', { ...SCAN, status: 'failed', error: `could not resolve <host> & ${'z'.repeat(5000)}` }],
    ['failed without an error', { ...SCAN, status: 'failed' }],
    ['interrupted', { ...SCAN, status: 'interrupted' }],
    ['done without a report', { ...SCAN, status: 'done' }],
    ['a long target', { ...SCAN, target: longUrl(0, 3500), status: 'running' }],
  ])('%s is valid', (_name, input) => {
    expectValidMessage(scanMessage(input));
  });

  test('done with no key found', () => {
    const message = scanMessage({ ...SCAN, status: 'done', report: report([]) });
    expectValidMessage(message);
    expect(message.text).toBe('No Klaviyo private key found on https://shop.example/');
    expect(shownTexts(message).join('\n')).toContain('No Klaviyo private key found');
  });

  function twelveKeys(urlLength: number): { message: SlackMessage; findings: Finding[] } {
    const findings = Array.from({ length: 12 }, (_, i) => finding(i, 50 + i, urlLength));
    const keys: Record<string, KeyStatus> = {
      [findings[0]?.fingerprint as string]: { liveness: 'live', account: 'XvCJ7h' },
      [findings[1]?.fingerprint as string]: { liveness: 'revoked', account: 'Other1', rotationId: 'rot-1' },
      [findings[2]?.fingerprint as string]: { liveness: 'rate_limited' },
    };
    const errors = Array.from({ length: 40 }, (_, i) => ({ url: longUrl(i, 900), error: 'HTTP 500' }));
    const warnings = Array.from({ length: 6 }, (_, i) => ({
      code: 'incomplete' as const,
      message: `warning ${i} <&> ${'w'.repeat(150)}`,
    }));
    const message = scanMessage({
      ...SCAN,
      target: longUrl(99, urlLength),
      status: 'done',
      report: report(findings, { errors, warnings, complete: false, stoppedBy: 'max-pages' }),
      keys,
    });
    return { message, findings };
  }

  test('done with 12 keys: valid, masked keys, shortened fingerprints', () => {
    const { message, findings } = twelveKeys(110);
    expectValidMessage(
      message,
      findings.map((_, i) => fullKey(i)),
    );
    const shown = shownTexts(message).join('\n');
    expect(message.text).toContain('12 exposed Klaviyo private keys');
    expect(shown).toContain('…and 2 more keys');
    for (const item of findings.slice(0, 10)) {
      expect(shown).toContain(item.masked);
      // The fingerprint is shown shortened, never whole.
      expect(shown).toContain(`${item.fingerprint.slice(0, 12)}…`);
      expect(shown).not.toContain(item.fingerprint);
    }
    expect(shown).toContain("this site's account");
    expect(shown).toContain('another account than the site uses');
    expect(JSON.stringify(message.blocks)).toContain('"value":"rot-1"');
  });

  test('done with 12 keys seen in places with long URLs: within every per-block limit, no full key', () => {
    const { message, findings } = twelveKeys(1800);
    expect(problemsBesidesTotalText(message)).toEqual([]);
    expectNoFullKey(
      message,
      findings.map((_, i) => fullKey(i)),
    );
  });

  // Slack answers msg_blocks_too_long past ~12,000 characters of block text in one message.
  test("done with 12 keys seen in places with long URLs: total text within Slack's limit", () => {
    expect(totalTextProblems(twelveKeys(1800).message)).toEqual([]);
  });
});

describe('scanDetailMessages', () => {
  const bigReport = () =>
    report([finding(0, 1000), finding(1, 3, 200)], {
      errors: Array.from({ length: 300 }, (_, i) => ({
        url: longUrl(i, 600),
        error: `connect ECONNREFUSED <${i}> ${'e'.repeat(300)}`,
      })),
    });

  test('a key seen 1000 times and 300 fetch errors: at most 2 valid messages, the rest in the export', () => {
    const { messages, abridged } = scanDetailMessages(bigReport());
    expect(messages.length).toBeGreaterThan(0);
    expect(messages.length).toBeLessThanOrEqual(2);
    for (const message of messages) {
      expect(message.blocks.length).toBeLessThanOrEqual(LIMITS.messageBlocks);
      expect(problemsBesidesTotalText(message, { maxTextLength: LIMITS.messageText })).toEqual([]);
      expectNoFullKey(message, [fullKey(0), fullKey(1)]);
    }
    expect(abridged).toBe(true);
    expect(shownTexts(messages).join('\n')).toContain('Could not fetch 300 files');
  });

  // Slack answers msg_blocks_too_long past ~12,000 characters of block text in one message.
  test.each<[string, () => ScanReport]>([
    ['a key seen 1000 times and 300 fetch errors', bigReport],
    ['a key seen 60 times on ordinary URLs', () => report([ordinary(finding(0, 60, 120))])],
    ['200 keys seen 5 times each', () => report(Array.from({ length: 200 }, (_, i) => finding(i, 5, 300)))],
  ])('%s: every message within the total text limit', (_name, build) => {
    for (const message of scanDetailMessages(build()).messages)
      expect(totalTextProblems(message)).toEqual([]);
  });

  test('the same inline snippet on 200 pages is one line naming three of them', () => {
    const item = ordinary(finding(0, 200, 60));
    const layout: Finding = {
      ...item,
      occurrences: item.occurrences.map((entry) => ({
        ...entry,
        page: entry.url,
        resource: 'page',
        location: 'inline-script',
        encoding: 'plain',
        line: 3,
      })),
    };
    const { messages, abridged } = scanDetailMessages(report([layout]));
    expect(messages).toHaveLength(1);
    const shown = shownTexts(messages).join('\n');
    expect(shown).toContain('The same inline script on 200 pages (likely the theme layout)');
    expect(shown).toContain('and 197 more');
    expect(shown.match(/•/g)).toHaveLength(1);
    expect(abridged).toBe(true);
  });

  test('a small report fits in one valid message listing every place and error, with nothing left out', () => {
    const findings = [finding(0, 2, 120)];
    const errors = [{ url: 'https://shop.example/broken.js', error: 'HTTP 404' }];
    const { messages, abridged } = scanDetailMessages(report(findings, { errors }));
    expect(messages).toHaveLength(1);
    const [message] = messages as [SlackMessage];
    expect(validateMessage(message)).toEqual([]);
    const shown = shownTexts(message).join('\n');
    expect(shown).toContain('seen 2× on 2 pages');
    expect(shown).toContain('/broken.js (HTTP 404)');
    expect(abridged).toBe(false);
    expectNoFullKey(message, [fullKey(0)]);
  });

  test('no findings and no errors: nothing to post', () => {
    expect(scanDetailMessages(report([]))).toEqual({ messages: [], abridged: false });
  });
});

function checklist(keyKept = true): RotationChecklist {
  const item = finding(0, 30);
  return startRotation({
    key: { masked: item.masked, fingerprint: item.fingerprint, accountPublicKey: 'XvCJ7h' },
    target: 'https://shop.example/',
    locations: item.occurrences.map((entry) => ({
      url: entry.url,
      page: entry.page,
      context: entry.context,
    })),
    locationCount: item.occurrenceCount,
    keyKept,
    startedBy: 'U0ALICE',
    now: new Date('2026-07-01T10:00:00.000Z'),
  });
}

function run(state: RotationChecklist, actions: RotationAction[], actor = 'U0ALICE'): RotationChecklist {
  return actions.reduce((current, action) => applyRotationAction(current, action, actor, NOW).state, state);
}

const LONG_NAMES = Array.from({ length: 20 }, (_, i) =>
  `Integration ${String(i + 1).padStart(2, '0')} <ERP> & "custom" checkout_code export ${'n'.repeat(40)}`.slice(
    0,
    80,
  ),
);

const SHORT_NAMES = ['Shopify sync', 'ERP export', 'R&D <custom> checkout'];

const integrationId = (i: number) => `int${String(i).padStart(9, 'x')}`;

function withIntegrations(state: RotationChecklist, names: string[], done: boolean): RotationChecklist {
  const actions: RotationAction[] = names.map((name, i) => ({
    type: 'add_integration',
    id: integrationId(i),
    name,
    owner: i % 2 === 0 ? 'U0BOB' : 'U0CAROL',
  }));
  if (done) {
    names.forEach((_, i) => {
      actions.push(
        { type: 'mark', item: { integration: integrationId(i), part: 'keyCreated' }, done: true },
        { type: 'mark', item: { integration: integrationId(i), part: 'updated' }, done: true },
      );
    });
  }
  return run(state, actions);
}

const ready = (names: string[], keyKept = true) =>
  run(withIntegrations(checklist(keyKept), names, true), [
    { type: 'mark', item: { step: 'identify' }, done: true },
  ]);
const deleted = (names: string[], keyKept = true) =>
  run(ready(names, keyKept), [{ type: 'mark', item: { step: 'delete' }, done: true }]);
const completed = (names: string[]) =>
  run(
    deleted(names),
    [
      { type: 'rescan_result', clean: true, scanId: 'scan-2' },
      { type: 'liveness_result', status: 'revoked' },
    ],
    BOT_ACTOR,
  );

/** Checklist states from start to finish, with the given integrations. */
function states(names: string[]): [string, () => RotationChecklist][] {
  return [
    ['integrations listed, none done', () => withIntegrations(checklist(), names, false)],
    ['every integration updated', () => withIntegrations(checklist(), names, true)],
    ['ready to delete', () => ready(names)],
    ['deleted, key kept', () => deleted(names, true)],
    ['deleted, key not kept', () => deleted(names, false)],
    ['completed', () => completed(names)],
  ];
}

function expectMaskedKey(message: SlackMessage, state: RotationChecklist): void {
  expectNoFullKey(message, [fullKey(0)]);
  const shown = shownTexts(message).join('\n');
  expect(shown).toContain(state.key.masked);
  // The fingerprint is shown shortened, never whole.
  expect(shown).toContain(`${state.key.fingerprint.slice(0, 16)}…`);
  expect(shown).not.toContain(state.key.fingerprint);
}

describe('rotationMessage', () => {
  test.each<[string, () => RotationChecklist]>([
    ['fresh', () => checklist()],
    ['fresh, key not kept', () => checklist(false)],
    [
      'with owners on steps',
      () => run(checklist(), [{ type: 'assign', item: { step: 'replace' }, owner: 'U0BOB' }]),
    ],
    [
      're-scan still finds the key',
      () => run(checklist(), [{ type: 'rescan_result', clean: false, scanId: 's' }]),
    ],
    ...states(SHORT_NAMES),
  ])('%s: valid, the key masked, the fingerprint shortened', (_name, build) => {
    const state = build();
    const message = rotationMessage('rot-AbCdEf12', state, NOW);
    expectValidMessage(message, [fullKey(0)]);
    expectMaskedKey(message, state);
  });

  test.each(states(LONG_NAMES))(
    '20 integrations with long names, %s: within every per-block limit, the key masked',
    (_name, build) => {
      const state = build();
      expect(state.integrations).toHaveLength(20);
      const message = rotationMessage('rot-AbCdEf12', state, NOW);
      expect(message.blocks.length).toBeLessThanOrEqual(LIMITS.messageBlocks);
      expect(problemsBesidesTotalText(message)).toEqual([]);
      expectMaskedKey(message, state);
    },
  );

  // Slack answers msg_blocks_too_long past ~12,000 characters of block text in one message.
  test.each(states(LONG_NAMES))(
    "20 integrations with long names, %s: total text within Slack's limit",
    (_name, build) => {
      expect(totalTextProblems(rotationMessage('rot-AbCdEf12', build(), NOW))).toEqual([]);
    },
  );

  test('a completed rotation offers no more actions', () => {
    const message = rotationMessage('rot-AbCdEf12', completed(SHORT_NAMES), NOW);
    const json = JSON.stringify(message.blocks);
    expect(json).not.toContain('"type":"button"');
    expect(json).not.toContain('"type":"overflow"');
    expect(json).not.toContain('"type":"actions"');
    expect(message.blocks[0]).toMatchObject({
      type: 'header',
      text: { text: expect.stringContaining('complete') },
    });
  });

  test('ready to delete: the delete button asks for confirmation naming the last four characters', () => {
    const state = ready(SHORT_NAMES);
    const message = rotationMessage('rot-AbCdEf12', state, NOW);
    const last4 = state.key.masked.slice(-4);
    const deleteBlock = message.blocks.find((block) => block.block_id === 'item_s_delete');
    expect(deleteBlock).toMatchObject({
      accessory: { type: 'button', style: 'danger', confirm: { style: 'danger' } },
    });
    expect(JSON.stringify(deleteBlock)).toContain(last4);
  });
});

describe('modals', () => {
  test('add an integration', () => {
    const view = addIntegrationModal('rot-AbCdEf12', maskKey(fullKey(0)), 'sealed-origin');
    expect(validateView(view, 'modal')).toEqual([]);
    expectNoFullKey(view, [fullKey(0)]);
    expect(JSON.stringify(view)).toContain(maskKey(fullKey(0)));
  });

  test.each([
    ['a step', { step: 'delete' as const }, 'Delete the exposed key in Klaviyo'],
    [
      'an integration part',
      { integration: 'intxxxxxxxx1', part: 'updated' as const },
      `Update ${LONG_NAMES[0]} with the new key`,
    ],
    ['a very long label', { step: 'identify' as const }, `<${'label & '.repeat(400)}>`],
  ])('assign an owner to %s', (_name, item, label) => {
    const view = assignModal('rot-AbCdEf12', item, label, 'sealed-origin');
    expect(validateView(view, 'modal')).toEqual([]);
    expect(JSON.parse(view.private_metadata as string)).toMatchObject({ rotationId: 'rot-AbCdEf12' });
  });
});
