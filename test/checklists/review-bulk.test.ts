import { describe, expect, test } from 'vitest';
import {
  applyReviewChange,
  completionBlockers,
  decide,
  isSoleOwner,
  type Review,
  type ReviewChange,
  type ReviewPolicy,
  startReview,
} from '../../src/checklists/review.js';
import { csvCell, evidenceCsv, evidenceMarkdown } from '../../src/checklists/review-evidence.js';
import { filterUsers } from '../../src/checklists/review-pages.js';
import { parseRoster, type RosterUser } from '../../src/checklists/roster.js';

const NOW = new Date('2026-06-30T15:00:00Z');
const LATER = new Date('2026-07-01T09:30:00Z');
const POLICY: ReviewPolicy = { companyDomains: ['acme.com'], maxAdmins: 2, idleDays: 90 };
const REVIEWER = { slackUser: 'U_RITA', email: 'rita@acme.com' };

const ROSTER: RosterUser[] = [
  { name: 'Olive Owner', email: 'olive@acme.com', role: 'Owner', lastLogin: '2026-06-29' },
  { name: 'Rita Reviewer', email: 'rita@acme.com', role: 'Admin', lastLogin: '2026-06-30' },
  { name: 'Sam Stale', email: 'sam@acme.com', role: 'Manager', lastLogin: '2026-01-02' },
  { name: 'Nina New', email: 'nina@acme.com', role: 'Analyst', lastLogin: null },
  { name: 'Vic Vendor', email: 'vic@agency.io', role: 'Campaign Coordinator', lastLogin: '2026-06-01' },
  { name: 'Cody Content', email: 'cody@acme.com', role: 'Content Creator', lastLogin: '2026-06-20' },
  { name: 'Una Usual', email: 'una@acme.com', role: 'Analyst', lastLogin: '2026-06-21' },
];

function started(users: RosterUser[] = ROSTER): Review {
  return startReview(users, POLICY, REVIEWER, NOW);
}

function apply(review: Review, change: ReviewChange, at = LATER) {
  return applyReviewChange(review, change, 'U_RITA', at);
}

const indexOf = (review: Review, email: string) => review.users.findIndex((user) => user.email === email);

describe('keeping every unflagged user in one step', () => {
  test('keeps exactly the undecided users without a flag, each recorded with who and when', () => {
    const before = decide(started(), 'una@acme.com', { kind: 'remove' }, 'U_BOB', NOW);
    const { state, skipped, event } = apply(before, { type: 'keep_unflagged' });
    const kept = state.users.filter((user) => user.decision?.kind === 'keep').map((user) => user.email);
    // Olive (the Owner) and Cody have no flag; Una was decided already and keeps her decision.
    expect(kept).toEqual(['olive@acme.com', 'cody@acme.com']);
    expect(state.users.find((user) => user.email === 'una@acme.com')).toMatchObject({
      decision: { kind: 'remove' },
      decidedBy: 'U_BOB',
    });
    for (const email of kept) {
      expect(state.users.find((user) => user.email === email)).toMatchObject({
        decidedBy: 'U_RITA',
        decidedAt: LATER.toISOString(),
      });
    }
    expect(skipped).toEqual([]);
    expect(event).toBe('kept the 2 undecided users without a flag, in one step');
  });

  test('the evidence lists each of them as decided one by one', () => {
    const { state } = apply(started(), { type: 'keep_unflagged' });
    const csv = evidenceCsv(state, {
      reviewer: 'U_RITA',
      period: '2026 Q2',
      people: new Map([['U_RITA', { id: 'U_RITA', name: 'Rita Reviewer', email: 'rita@acme.com' }]]),
    });
    const row = csv.split('\r\n').find((line) => line.startsWith('Cody Content,'));
    expect(row).toContain(`,keep,,,Rita Reviewer <rita@acme.com> (Slack U_RITA),${LATER.toISOString()},`);
  });

  test('a second press changes nothing', () => {
    const once = apply(started(), { type: 'keep_unflagged' }).state;
    const twice = apply(once, { type: 'keep_unflagged' }, new Date('2026-07-02T00:00:00Z'));
    expect(twice.state).toEqual(once);
    expect(twice.event).toBe('kept the 0 undecided users without a flag, in one step');
  });
});

describe('deciding a page at once', () => {
  test('each user gets the decision; the reviewer’s own account and the only Owner are left out, with why', () => {
    const review = started();
    const indexes = review.users.map((_, index) => index);
    const { state, skipped, event } = apply(review, {
      type: 'decide_many',
      indexes,
      decision: { kind: 'remove' },
    });
    const removed = state.users.filter((user) => user.decision?.kind === 'remove').map((user) => user.email);
    expect(removed).toEqual([
      'sam@acme.com',
      'nina@acme.com',
      'vic@agency.io',
      'cody@acme.com',
      'una@acme.com',
    ]);
    expect(state.followUps).toHaveLength(5);
    expect(skipped).toEqual(
      [
        { index: indexOf(review, 'olive@acme.com'), reason: expect.stringContaining('only Owner') },
        { index: indexOf(review, 'rita@acme.com'), reason: expect.stringContaining('Your own account') },
      ].sort((a, b) => a.index - b.index),
    );
    expect(event).toBe('decided to remove 5 users from Klaviyo at once; 2 users left to decide on their own');
  });

  test('indexes outside the roster and repeated ones are ignored', () => {
    const review = started();
    const sam = indexOf(review, 'sam@acme.com');
    const { state, skipped } = apply(review, {
      type: 'decide_many',
      indexes: [sam, sam, 999, -1],
      decision: { kind: 'change_role', to: 'analyst' },
    });
    expect(state.users[sam]?.decision).toEqual({ kind: 'change_role', to: 'Analyst' });
    expect(state.followUps).toHaveLength(1);
    expect(skipped).toEqual([]);
  });
});

describe('the only Owner', () => {
  test('is the only Owner until ownership is transferred; then the old Owner can be removed', () => {
    let review = started();
    const olive = review.users[indexOf(review, 'olive@acme.com')];
    expect(olive && isSoleOwner(review, olive)).toBe(true);
    expect(() => decide(review, 'olive@acme.com', { kind: 'remove' }, 'U_RITA', NOW)).toThrow(
      /only Owner.*Transfer ownership to them/,
    );
    review = decide(review, 'cody@acme.com', { kind: 'change_role', to: 'Owner' }, 'U_RITA', NOW);
    const after = review.users[indexOf(review, 'olive@acme.com')];
    expect(after && isSoleOwner(review, after)).toBe(false);
    // Kept as Owner beside the new one: two Owners, which Klaviyo does not have.
    expect(completionBlockers(review).join(' ')).toMatch(/leave 2 Owners.*exactly one/);
    review = decide(review, 'olive@acme.com', { kind: 'remove' }, 'U_RITA', NOW);
    expect(completionBlockers(review).join(' ')).not.toMatch(/Owner/);
    expect(review.followUps.map((followUp) => followUp.id)).toEqual([
      'change_role:cody@acme.com:Owner',
      'remove:olive@acme.com',
    ]);
  });
});

describe('words in the audit trail', () => {
  const cases: [string, (review: Review) => ReviewChange, string][] = [
    [
      'two-step by app',
      () => ({ type: 'account_item', id: 'two_step_required', done: true, note: 'app' }),
      'confirmed that two-step authentication is required for all users (authenticator app)',
    ],
    [
      'keys reviewed',
      () => ({ type: 'account_item', id: 'private_keys_reviewed', done: true }),
      'marked “Private API keys reviewed” done',
    ],
    [
      'a role change',
      (review) => ({
        type: 'decide',
        index: indexOf(review, 'sam@acme.com'),
        decision: { kind: 'change_role', to: 'Analyst' },
      }),
      'decided to change sam@acme.com to Analyst',
    ],
    [
      'a transfer',
      (review) => ({
        type: 'decide',
        index: indexOf(review, 'cody@acme.com'),
        decision: { kind: 'change_role', to: 'Owner' },
      }),
      'decided to transfer ownership to cody@acme.com',
    ],
  ];
  test.each(cases)('%s', (_name, change, words) => {
    const review = started();
    expect(apply(review, change(review)).event).toBe(words);
  });

  test('a follow-up confirmed in Klaviyo, and reopened', () => {
    let review = decide(started(), 'sam@acme.com', { kind: 'change_role', to: 'Analyst' }, 'U_RITA', NOW);
    const id = review.followUps[0]?.id ?? '';
    const done = apply(review, { type: 'follow_up', id, done: true });
    expect(done.event).toBe('confirmed in Klaviyo: sam@acme.com now has the Analyst role');
    review = done.state;
    expect(apply(review, { type: 'follow_up', id, done: false }).event).toBe(
      'reopened the follow-up “change sam@acme.com to Analyst”',
    );
  });

  test('no internal names: no snake_case identifier in any event', () => {
    const review = started();
    const events = [
      apply(review, { type: 'account_item', id: 'activity_log_checked', done: false }).event,
      apply(review, { type: 'keep_unflagged' }).event,
      apply(review, {
        type: 'decide_many',
        indexes: [2, 3],
        decision: { kind: 'change_role', to: 'Support' },
      }).event,
    ];
    for (const event of events) expect(event).not.toMatch(/\b[a-z]+_[a-z_]+\b/);
  });
});

describe('hostile roster cells', () => {
  test('bidirectional overrides, zero-width characters and NUL are stripped when the roster is read', () => {
    const text = [
      'Name\tEmail\tRole\tLast login',
      'Mallory \u202Eredro\u202C\tmal\u200Blory@acme.com\tAd\u0000min\t2026-06-01',
      '\u2066Eve\u2069\u200D\tEve@acme.com\u00AD\tAnalyst\u200E\t2026-06-01',
    ].join('\n');
    const { users, unreadable } = parseRoster(text, NOW);
    expect(unreadable).toEqual([]);
    expect(users).toEqual([
      { name: 'Mallory redro', email: 'mallory@acme.com', role: 'Admin', lastLogin: '2026-06-01' },
      { name: 'Eve', email: 'eve@acme.com', role: 'Analyst', lastLogin: '2026-06-01' },
    ]);
  });

  test('the evidence strips them too, from whatever reached it', () => {
    const review = started([{ name: 'Zed\u202E\u0000\u200B', email: 'zed@acme.com', role: 'Owner' }]);
    const csv = evidenceCsv(review, { reviewer: 'U_RITA', period: 'Q2' });
    const markdown = evidenceMarkdown(review, { reviewer: 'U_RITA', period: 'Q2' });
    for (const text of [csv, markdown]) expect(text).not.toMatch(/[\u0000\u200B\u202E]/);
    expect(csv).toContain('\r\nZed,zed@acme.com,Owner,');
  });

  test.each([
    ['＝HYPERLINK("http://evil.example")', `"'＝HYPERLINK(""http://evil.example"")"`],
    ['＋1 555', "'＋1 555"],
    ['－2＋3', "'－2＋3"],
    ['＠SUM(A1)', "'＠SUM(A1)"],
    ['﹦1+1', "'﹦1+1"],
    ['\u200B=1+1', "'=1+1"],
    ['a＝b', 'a＝b'],
  ])('full-width formula characters are neutralised like their ASCII forms: %j', (value, written) => {
    expect(csvCell(value)).toBe(written);
  });

  test('roles that are not Klaviyo roles are flagged; Klaviyo’s roles in any spelling are not', () => {
    const review = started([
      ...ROSTER,
      { name: 'Gus', email: 'gus@acme.com', role: 'Superuser' },
      { name: 'Cam', email: 'cam@acme.com', role: 'campaign_coordinator' },
    ]);
    expect(review.users.find((user) => user.email === 'gus@acme.com')?.flags).toContain('not_a_klaviyo_role');
    expect(review.users.find((user) => user.email === 'cam@acme.com')?.flags).not.toContain(
      'not_a_klaviyo_role',
    );
    expect(filterUsers(review, 'flag:not_a_klaviyo_role').map((user) => user.email)).toEqual([
      'gus@acme.com',
    ]);
  });
});
