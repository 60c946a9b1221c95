/**
 * The words of every view, rendered from a corpus of states (every liveness answer, failed and
 * interrupted scans, the review open and complete, the user list with its notes), scanned for ISO
 * dates, internal snake_case names and environment variables. The end-to-end tests scan everything the
 * bot sends the same way (test/e2e/harness.ts); this covers the states they do not reach.
 */
import { describe, expect, test } from 'vitest';
import { applyReviewChange, decide, type Review, startReview } from '../../src/checklists/review.js';
import {
  applyRotationAction,
  BOT_ACTOR,
  type Liveness,
  type RotationChecklist,
  startRotation,
} from '../../src/checklists/rotation.js';
import type { Finding } from '../../src/scan/findings.js';
import { homeView } from '../../src/slack/views/home.js';
import { attentionMessages, type ReviewView, reviewMessage } from '../../src/slack/views/review-message.js';
import { reasonModal, reviewStartModal, usersModal } from '../../src/slack/views/review-modals.js';
import { rotationMessage, rotationSummary } from '../../src/slack/views/rotation-message.js';
import { scanMessage } from '../../src/slack/views/scan-message.js';
import type { ScanReport } from '../../src/store/scans.js';
import { validateMessage, validateView } from '../fakes/block-kit.js';
import { visibleTexts, wordProblems } from './words.js';

const NOW = new Date('2026-07-01T12:00:00.000Z');
const LIVENESS: Liveness[] = ['live', 'live_limited', 'revoked', 'rate_limited', 'unknown', 'not_checked'];

function rotation(keyKept: boolean, durably?: boolean): RotationChecklist {
  let state = startRotation({
    key: { masked: 'pk_…abcd', fingerprint: 'f'.repeat(64), accountPublicKey: 'AbC123' },
    target: 'https://shop.example/',
    locations: [
      { url: 'https://shop.example/', page: 'https://shop.example/', context: 'company_id' },
      { url: 'https://shop.example/app.js', page: 'https://shop.example/', context: 'api_key' },
    ],
    locationCount: 2,
    keyKept,
    ...(durably === undefined ? {} : { keyKeptDurably: durably }),
    startedBy: 'U0ALICE',
    now: NOW,
  });
  for (const action of [
    { type: 'add_integration', id: 'i1', name: 'Shopify sync', owner: 'U0BOB' },
    { type: 'add_integration', id: 'i2', name: 'ERP export' },
  ] as const) {
    state = applyRotationAction(state, action, 'U0ALICE', NOW).state;
  }
  return state;
}

function finding(): Finding {
  return {
    type: 'private_key',
    masked: 'pk_…abcd',
    fingerprint: 'f'.repeat(64),
    form: 'legacy',
    confidence: 'high',
    occurrences: [
      {
        url: 'https://shop.example/',
        page: 'https://shop.example/',
        resource: 'page',
        location: 'inline-script',
        line: 3,
        column: 18,
        context: 'company_id',
        encoding: 'plain',
        confidence: 'high',
        snippet: 'klaviyo.init({ company_id: "pk_…abcd" })',
      },
    ],
    occurrenceCount: 1,
  };
}

function report(): ScanReport {
  return {
    target: 'https://shop.example/',
    finalUrl: 'https://shop.example/',
    startedAt: NOW.toISOString(),
    durationMs: 1234,
    pagesScanned: 3,
    scriptsScanned: 4,
    complete: true,
    findings: [finding()],
    publicKeys: [{ key: 'AbC123', urls: ['https://shop.example/'], count: 1 }],
    warnings: [],
    errors: [{ url: 'https://shop.example/broken', error: 'HTTP 500' }],
    skipped: [],
    truncated: [],
    stats: { requests: 8, bytesFetched: 10_000, sitemapsRead: 0 },
  };
}

function review(): Review {
  let state = startReview(
    [
      { name: 'Sam Owner', email: 'sam@shop.example', role: 'Owner', lastLogin: '2026-06-30' },
      { name: 'Alice Lead', email: 'alice@shop.example', role: 'Admin', lastLogin: '2026-06-01' },
      { name: 'Idle Ivy', email: 'ivy@shop.example', role: 'Manager', lastLogin: '2025-01-02' },
      { name: 'Never Ned', email: 'ned@agency.example', role: 'Analyst', lastLogin: null },
      { name: 'Custom Cat', email: 'cat@shop.example', role: 'Superuser' },
    ],
    { companyDomains: ['shop.example'], maxAdmins: 1, idleDays: 90 },
    { slackUser: 'U0ALICE', email: 'alice@shop.example' },
    NOW,
  );
  state.account = 'Acme Store (AbC123)';
  state = decide(state, 'ivy@shop.example', { kind: 'change_role', to: 'Analyst' }, 'U0ALICE', NOW);
  state = decide(state, 'ned@agency.example', { kind: 'remove' }, 'U0ALICE', NOW);
  state = applyReviewChange(
    state,
    { type: 'account_item', id: 'two_step_required', done: true, note: 'app' },
    'U0BOB',
    NOW,
  ).state;
  return state;
}

function reviewView(state: Review, complete = false): ReviewView {
  return {
    id: 'R1',
    period: '2026 Q3',
    state: complete ? { ...state, completedAt: NOW.toISOString(), completedBy: 'U0ALICE' } : state,
    unreadable: [],
    ...(complete ? { nextDue: '2026-10-01T09:00:00.000Z' } : {}),
  };
}

const CORPUS: [string, unknown][] = [
  ...LIVENESS.flatMap((status): [string, unknown][] => {
    const checked = applyRotationAction(
      rotation(true, true),
      { type: 'liveness_result', status },
      BOT_ACTOR,
      NOW,
    );
    return [
      [`checklist, Klaviyo says ${status}`, rotationMessage('rot1', checked.state, NOW)],
      [
        `scan, Klaviyo says ${status}`,
        scanMessage({
          scanId: 's1',
          target: 'https://shop.example/',
          status: 'done',
          requestedBy: 'U0ALICE',
          report: report(),
          keys: { ['f'.repeat(64)]: { liveness: status, account: 'AbC123' } },
        }),
      ],
    ];
  }),
  ['checklist, key in memory only', rotationMessage('rot1', rotation(true, false), NOW)],
  ['checklist, key not kept', rotationMessage('rot1', rotation(false), NOW)],
  ['rotation summary', rotationSummary({ ...rotation(true), completedAt: NOW.toISOString() })],
  [
    'scan that could not run',
    scanMessage({
      scanId: 's1',
      target: 'https://shop.example/',
      status: 'failed',
      requestedBy: 'U0ALICE',
      error: 'https://shop.example/ could not be scanned: connection refused',
    }),
  ],
  [
    'interrupted scan',
    scanMessage({
      scanId: 's1',
      target: 'https://shop.example/',
      status: 'interrupted',
      requestedBy: 'U0ALICE',
    }),
  ],
  ['review, open', reviewMessage(reviewView(review()))],
  ['review, complete', reviewMessage(reviewView(review(), true))],
  ['who needs attention, in the thread', attentionMessages(reviewView(review()))],
  [
    'user list with notes',
    usersModal(
      reviewView(review()),
      { filter: 'all', page: 1, origin: 'sealed' },
      new Map([[2, 'Not recorded: a reason.']]),
    ),
  ],
  [
    'user list, one flag',
    usersModal(reviewView(review()), { filter: 'flag:not_a_klaviyo_role', page: 1, origin: 'x' }),
  ],
  [
    'reason form',
    reasonModal(1, 'keep', 'alice@shop.example', { reviewId: 'R1', filter: 'all', page: 1, origin: 'x' }),
  ],
  ['review start form', reviewStartModal('x', { period: '2026 Q2', users: 5 }, 'Acme Store')],
  [
    'scan of one page and one script',
    scanMessage({
      scanId: 's1',
      target: 'https://shop.example/',
      status: 'done',
      requestedBy: 'U0ALICE',
      report: { ...report(), pagesScanned: 1, scriptsScanned: 1 },
    }),
  ],
  ['review of one user', reviewMessage(reviewView(oneUserReview()))],
  ['review start form, one user before', reviewStartModal('x', { period: '2026 Q2', users: 1 }, undefined)],
];

function oneUserReview(): Review {
  return startReview(
    [{ name: 'Sam Owner', email: 'sam@shop.example', role: 'Owner', lastLogin: '2026-06-01' }],
    { companyDomains: ['shop.example'], maxAdmins: 1, idleDays: 90 },
    { slackUser: 'U0ALICE' },
    NOW,
  );
}

describe('the words of every view', () => {
  test('the checks catch what they look for', () => {
    const bad = { text: 'checked change_role at 2026-07-01T12:00 (set KEY_ENCRYPTION_KEY)' };
    expect(wordProblems(bad, 'sample')).toHaveLength(3);
    expect(wordProblems(bad, 'sample', { admin: true })).toHaveLength(2);
    // Code spans, dates Slack formats, mentions, emoji, links and email addresses are not our words.
    const fine = {
      text: ':white_check_mark: <@U0ALICE> <!date^1^{date_short}|2026-07-01> `company_id` <https://x.example/a_b|the site> jo_e@x.example',
    };
    expect(wordProblems(fine, 'sample')).toEqual([]);
  });

  test('a count of one takes the singular, and no noun is left with "(s)"', () => {
    for (const bad of [
      'Scanned 1 pages and 2 scripts',
      ':rotating_light: *1 exposed Klaviyo private keys* on the site',
      '*0 of 1 users* decided',
      'found 3 key(s)',
    ])
      expect(wordProblems({ text: bad }, 'sample'), bad).toHaveLength(1);
    for (const fine of [
      'Scanned 1 page and 2 scripts',
      '1 access review is open',
      'Scanned 11 pages, 2.1 seconds, 1,001 users',
      'an http(s) address',
      '1 was kept',
    ])
      expect(wordProblems({ text: fine }, 'sample'), fine).toEqual([]);
  });

  test.each(CORPUS)('%s: no ISO date, internal name or variable, and valid Block Kit', (name, view) => {
    expect(wordProblems(view, name)).toEqual([]);
    const modal = (view as { type?: string }).type === 'modal';
    const messages = Array.isArray(view) ? view : [view];
    for (const item of messages) {
      expect(modal ? validateView(item, 'modal') : validateMessage(item as never)).toEqual([]);
    }
  });

  test('no stutter and no doubled words', () => {
    const all = CORPUS.flatMap(([, view]) => visibleTexts(view)).join('\n');
    expect(all).not.toMatch(/live: it still works|Live check: live|could not run: .* could not be scanned/);
    expect(all).not.toMatch(/Checked with Klaviyo[^\n]*: not checked/);
    expect(all).toContain('Checked with Klaviyo: the key still works');
    expect(all).toContain(
      'The scan did not finish. https://shop.example/ could not be scanned: connection refused.',
    );
    expect(all).toContain('(authenticator app)');
  });

  test('checklist steps are numbered one after another, integrations under step 3', () => {
    const text = visibleTexts(rotationMessage('rot1', rotation(true), NOW)).join('\n');
    const numbers = [...text.matchAll(/\*(\d\.\d|\d)\.? (?!of )/g)].map((match) => match[1]);
    expect(numbers).toEqual(['1', '2', '3', '3.1', '3.2', '4', '5']);
  });

  test('App Home may name the settings (admins read it); nothing else does', () => {
    const home = homeView({
      viewer: 'U0ALICE',
      now: NOW,
      rotations: [],
      lastScans: [],
      canAct: true,
      settings: { keysKept: 'memory', restricted: false, reviewSchedule: '@quarterly-first-weekday' },
    });
    expect(JSON.stringify(home)).toContain('KEY_ENCRYPTION_KEY');
    expect(wordProblems(home, 'home', { admin: true })).toEqual([]);
  });
});
