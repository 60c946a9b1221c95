import { describe, expect, test } from 'vitest';
import {
  completeFollowUp,
  completeReview,
  type Decision,
  decide,
  type Flag,
  flagsFor,
  type Review,
  type ReviewErrorCode,
  type ReviewPolicy,
  reopenFollowUp,
  reviewProgress,
  reviewSummary,
  setAccountItem,
  startReview,
  undecide,
} from '../../src/checklists/review.js';
import {
  csvCell,
  EVIDENCE_COLUMNS,
  evidenceCsv,
  evidenceMarkdown,
} from '../../src/checklists/review-evidence.js';
import { filterUsers, pageOf } from '../../src/checklists/review-pages.js';
import { parseRoster, type RosterUser } from '../../src/checklists/roster.js';
import { CheckupError } from '../../src/errors.js';

const NOW = new Date('2026-06-30T15:00:00Z');
const LATER = new Date('2026-07-01T09:30:00Z');
const POLICY: ReviewPolicy = { companyDomains: ['acme.com'], maxAdmins: 2, idleDays: 90 };
const REVIEWER = { slackUser: 'U_REVIEWER', email: 'Rita@Acme.com' };

const ROSTER: RosterUser[] = [
  { name: 'Olive Owner', email: 'olive@acme.com', role: 'Owner', lastLogin: '2026-06-29' },
  { name: 'Rita Reviewer', email: 'rita@acme.com', role: 'Admin', lastLogin: '2026-06-30' },
  { name: 'Sam Stale', email: 'sam@acme.com', role: 'Manager', lastLogin: '2026-01-02' },
  { name: 'Nina New', email: 'nina@eu.acme.com', role: 'Analyst', lastLogin: null },
  { name: 'Vic Vendor', email: 'vic@agency.io', role: 'Campaign Coordinator', lastLogin: '2026-06-01' },
  { name: 'Cody Content', email: 'cody@acme.com', role: 'Content Creator' },
];

function started(users: RosterUser[] = ROSTER, policy: ReviewPolicy = POLICY): Review {
  return startReview(users, policy, REVIEWER, NOW);
}

function expectReviewError(run: () => unknown, code: ReviewErrorCode, message?: RegExp | string): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(CheckupError);
  expect((caught as CheckupError).code).toBe(code);
  if (message !== undefined) expect((caught as CheckupError).message).toMatch(message);
}

// Frozen all the way down: any mutation of the input throws (ESM modules are strict mode).
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** A review where every user is decided, every follow-up done and every account item ticked. */
function finished(): Review {
  let review = started();
  for (const user of review.users) {
    const decision: Decision =
      user.email === 'sam@acme.com'
        ? { kind: 'remove', reason: 'left the company' }
        : user.email === 'vic@agency.io'
          ? { kind: 'change_role', to: 'Content Creator' }
          : { kind: 'keep', reason: 'needed' };
    review = decide(review, user.email, decision, 'U_REVIEWER', NOW);
  }
  for (const followUp of review.followUps) review = completeFollowUp(review, followUp.id, 'U_ADMIN', NOW);
  for (const item of review.accountItems) review = setAccountItem(review, item.id, true, 'U_ADMIN', NOW);
  return review;
}

describe('startReview and flags', () => {
  test('starts with every user undecided, no follow-ups and three open account items', () => {
    const review = started();
    expect(review.users).toHaveLength(ROSTER.length);
    expect(review.users.every((user) => user.decision === undefined)).toBe(true);
    expect(review.followUps).toEqual([]);
    expect(review.accountItems).toEqual([
      { id: 'two_step_required', done: false },
      { id: 'private_keys_reviewed', done: false },
      { id: 'activity_log_checked', done: false },
    ]);
    expect(review.reviewerEmail).toBe('rita@acme.com');
    expect(review.reviewerSlackUser).toBe('U_REVIEWER');
    expect(review.startedAt).toBe(NOW.toISOString());
  });

  test.each<[string, Flag[]]>([
    ['olive@acme.com', []],
    ['rita@acme.com', ['reviewer_own_account']],
    ['sam@acme.com', ['idle_90_days']],
    ['nina@eu.acme.com', ['never_logged_in']],
    ['vic@agency.io', ['outside_company_domain']],
    ['cody@acme.com', []],
  ])('%s is flagged %j', (email, flags) => {
    expect(started().users.find((user) => user.email === email)?.flags).toEqual(flags);
  });

  const user = (over: Partial<RosterUser>): RosterUser => ({
    name: 'X',
    email: 'x@acme.com',
    role: 'Analyst',
    lastLogin: '2026-06-01',
    ...over,
  });

  test.each<[string, RosterUser, ReviewPolicy, Flag[]]>([
    ['login 90 days ago is not older than 90 days', user({ lastLogin: '2026-04-01' }), POLICY, []],
    ['login 91 days ago is idle', user({ lastLogin: '2026-03-31' }), POLICY, ['idle_90_days']],
    [
      'a shorter idle policy',
      user({ lastLogin: '2026-05-30' }),
      { ...POLICY, idleDays: 30 },
      ['idle_90_days'],
    ],
    ['never logged in', user({ lastLogin: null }), POLICY, ['never_logged_in']],
    ['no login column: no login flag', user({ lastLogin: undefined }), POLICY, []],
    ['subdomain of a company domain', user({ email: 'x@mail.acme.com' }), POLICY, []],
    ['lookalike domain', user({ email: 'x@notacme.com' }), POLICY, ['outside_company_domain']],
    [
      'domain that only starts the same',
      user({ email: 'x@acme.com.evil.io' }),
      POLICY,
      ['outside_company_domain'],
    ],
    [
      'no company domains: no domain check',
      user({ email: 'x@gmail.com' }),
      { ...POLICY, companyDomains: [] },
      [],
    ],
    [
      'domains written with @ and in capitals',
      user({ email: 'x@acme.com' }),
      { ...POLICY, companyDomains: ['@ACME.com'] },
      [],
    ],
    ['reviewer, case-insensitively', user({ email: 'RITA@acme.com' }), POLICY, ['reviewer_own_account']],
  ])('%s', (_label, subject, policy, flags) => {
    expect(flagsFor(subject, [subject], policy, 'rita@acme.com', NOW)).toEqual(flags);
  });

  test('more than one Owner flags every Owner', () => {
    const users = [
      user({ email: 'a@acme.com', role: 'Owner' }),
      user({ email: 'b@acme.com', role: 'owner' }),
    ];
    const review = started([...users, user({ email: 'c@acme.com' })]);
    expect(review.users.map((u) => u.flags)).toEqual([['multiple_owners'], ['multiple_owners'], []]);
  });

  test('more Admins than maxAdmins flags every Admin; exactly maxAdmins flags none', () => {
    const admins = (count: number) =>
      Array.from({ length: count }, (_, i) => user({ email: `admin${i}@acme.com`, role: 'Admin' }));
    expect(started(admins(2)).users.every((u) => u.flags.length === 0)).toBe(true);
    expect(started(admins(3)).users.map((u) => u.flags)).toEqual([
      ['too_many_admins'],
      ['too_many_admins'],
      ['too_many_admins'],
    ]);
    // An Owner is not an Admin.
    expect(started([...admins(2), user({ role: 'Owner' })]).users.every((u) => u.flags.length === 0)).toBe(
      true,
    );
  });

  test('refuses an empty roster and a roster with the same email twice', () => {
    expectReviewError(() => started([]), 'empty_roster');
    expectReviewError(
      () => started([user({ email: 'a@acme.com' }), user({ email: 'A@acme.com' })]),
      'duplicate_user',
    );
  });
});

describe('decide', () => {
  test.each<[string, Decision, Partial<{ action: string; toRole: string }> | undefined]>([
    ['keep', { kind: 'keep' }, undefined],
    ['remove', { kind: 'remove', reason: 'left in May' }, { action: 'remove' }],
    ['change role', { kind: 'change_role', to: 'analyst' }, { action: 'change_role', toRole: 'Analyst' }],
  ])('%s is recorded with who and when', (_label, decision, followUp) => {
    const review = decide(started(), 'SAM@acme.com', decision, 'U_REVIEWER', NOW);
    const sam = review.users.find((u) => u.email === 'sam@acme.com');
    expect(sam?.decision?.kind).toBe(decision.kind);
    expect(sam?.decidedBy).toBe('U_REVIEWER');
    expect(sam?.decidedAt).toBe(NOW.toISOString());
    if (followUp) {
      expect(review.followUps).toEqual([expect.objectContaining({ email: 'sam@acme.com', ...followUp })]);
      expect(review.followUps[0]?.doneAt).toBeUndefined();
    } else {
      expect(review.followUps).toEqual([]);
    }
  });

  test('change role stores the role in Klaviyo spelling', () => {
    const review = decide(
      started(),
      'sam@acme.com',
      { kind: 'change_role', to: 'content creator' },
      'U1',
      NOW,
    );
    expect(review.users.find((u) => u.email === 'sam@acme.com')?.decision).toEqual({
      kind: 'change_role',
      to: 'Content Creator',
    });
  });

  test('a changed decision replaces the follow-up; keep removes it', () => {
    let review = decide(started(), 'sam@acme.com', { kind: 'remove' }, 'U1', NOW);
    const removeId = review.followUps[0]?.id;
    review = decide(review, 'sam@acme.com', { kind: 'change_role', to: 'Analyst' }, 'U1', NOW);
    expect(review.followUps).toHaveLength(1);
    expect(review.followUps[0]).toMatchObject({ action: 'change_role', toRole: 'Analyst' });
    expect(review.followUps[0]?.id).not.toBe(removeId);
    review = decide(review, 'sam@acme.com', { kind: 'change_role', to: 'Support' }, 'U1', NOW);
    expect(review.followUps).toEqual([expect.objectContaining({ action: 'change_role', toRole: 'Support' })]);
    review = decide(review, 'sam@acme.com', { kind: 'keep' }, 'U1', NOW);
    expect(review.followUps).toEqual([]);
  });

  test('follow-ups of different users are kept apart', () => {
    let review = decide(started(), 'sam@acme.com', { kind: 'remove' }, 'U1', NOW);
    review = decide(review, 'vic@agency.io', { kind: 'remove' }, 'U1', NOW);
    review = decide(review, 'sam@acme.com', { kind: 'keep' }, 'U1', NOW);
    expect(review.followUps.map((f) => f.email)).toEqual(['vic@agency.io']);
    expect(new Set(review.followUps.map((f) => f.id)).size).toBe(review.followUps.length);
  });

  test.each<[Decision, string]>([
    [{ kind: 'keep' }, 'a reason is required to keep your own access'],
    [{ kind: 'keep', reason: '   ' }, 'a reason is required to keep your own access'],
    [{ kind: 'remove' }, 'a reason is required to remove your own access'],
    [{ kind: 'change_role', to: 'Manager' }, 'a reason is required to change your own role'],
  ])("the reviewer's own account needs a reason: %j", (decision, message) => {
    expectReviewError(
      () => decide(started(), 'rita@acme.com', decision, 'U_REVIEWER', NOW),
      'reason_required',
      message,
    );
  });

  test("the reviewer's own account with a reason is accepted, reason trimmed", () => {
    const review = decide(
      started(),
      'Rita@acme.com',
      { kind: 'keep', reason: '  I run the account ' },
      'U1',
      NOW,
    );
    expect(review.users.find((u) => u.email === 'rita@acme.com')?.decision).toEqual({
      kind: 'keep',
      reason: 'I run the account',
    });
  });

  test('other users need no reason', () => {
    expect(() => decide(started(), 'cody@acme.com', { kind: 'keep' }, 'U1', NOW)).not.toThrow();
  });

  test.each<[string, () => unknown, ReviewErrorCode, RegExp]>([
    [
      'unknown user',
      () => decide(started(), 'nobody@acme.com', { kind: 'keep' }, 'U1', NOW),
      'unknown_user',
      /nobody/,
    ],
    [
      'change to the same role (any case)',
      () => decide(started(), 'sam@acme.com', { kind: 'change_role', to: 'MANAGER' }, 'U1', NOW),
      'same_role',
      /already has the Manager role/,
    ],
    [
      'change to no role',
      () => decide(started(), 'sam@acme.com', { kind: 'change_role', to: '  ' }, 'U1', NOW),
      'bad_role',
      /role/,
    ],
    [
      'remove the only Owner',
      () => decide(started(), 'olive@acme.com', { kind: 'remove', reason: 'x' }, 'U1', NOW),
      'sole_owner',
      /only Owner, and Klaviyo does not let the Owner be removed\. First choose “Transfer ownership to them”/,
    ],
    [
      'change the role of the only Owner',
      () => decide(started(), 'olive@acme.com', { kind: 'change_role', to: 'Admin' }, 'U1', NOW),
      'sole_owner',
      /only Owner/,
    ],
    [
      'decide on a completed review',
      () => decide(completeReview(finished(), 'U1', LATER), 'cody@acme.com', { kind: 'remove' }, 'U1', LATER),
      'completed',
      /already complete/,
    ],
  ])('refuses: %s', (_label, run, code, message) => {
    expectReviewError(run, code, message);
  });

  test('with two Owners one may be removed, but not the last one', () => {
    const users = [...ROSTER, { name: 'Otto', email: 'otto@acme.com', role: 'Owner' }];
    const review = decide(started(users), 'otto@acme.com', { kind: 'remove' }, 'U1', NOW);
    expectReviewError(() => decide(review, 'olive@acme.com', { kind: 'remove' }, 'U1', NOW), 'sole_owner');
  });

  test('ownership can move: make someone else Owner, then change the old Owner', () => {
    let review = decide(started(), 'cody@acme.com', { kind: 'change_role', to: 'Owner' }, 'U1', NOW);
    review = decide(review, 'olive@acme.com', { kind: 'change_role', to: 'Admin' }, 'U1', NOW);
    expect(review.followUps.map((f) => f.toRole)).toEqual(['Owner', 'Admin']);
  });

  test('the same decision twice (a retry, a double click) leaves the same state', () => {
    const once = decide(started(), 'sam@acme.com', { kind: 'remove', reason: 'left' }, 'U1', NOW);
    const twice = decide(once, 'sam@acme.com', { kind: 'remove', reason: 'left ' }, 'U2', LATER);
    expect(twice).toEqual(once);
    const keepOnce = decide(started(), 'cody@acme.com', { kind: 'keep' }, 'U1', NOW);
    expect(decide(keepOnce, 'cody@acme.com', { kind: 'keep' }, 'U1', LATER)).toEqual(keepOnce);
  });

  test('a decision whose follow-up is done cannot change until the follow-up is reopened', () => {
    let review = decide(started(), 'sam@acme.com', { kind: 'remove' }, 'U1', NOW);
    const id = review.followUps[0]?.id ?? '';
    review = completeFollowUp(review, id, 'U_ADMIN', NOW);
    expectReviewError(
      () => decide(review, 'sam@acme.com', { kind: 'keep' }, 'U1', NOW),
      'follow_up_done',
      /reopen/,
    );
    expectReviewError(() => undecide(review, 'sam@acme.com'), 'follow_up_done');
    review = reopenFollowUp(review, id);
    expect(decide(review, 'sam@acme.com', { kind: 'keep' }, 'U1', NOW).followUps).toEqual([]);
  });
});

describe('undecide, follow-ups and account items', () => {
  test('undecide clears the decision and its follow-up; undeciding twice changes nothing', () => {
    const decided = decide(started(), 'sam@acme.com', { kind: 'remove' }, 'U1', NOW);
    const cleared = undecide(decided, 'sam@acme.com');
    expect(cleared).toEqual(started());
    expect(undecide(cleared, 'sam@acme.com')).toEqual(cleared);
    expectReviewError(() => undecide(cleared, 'nobody@acme.com'), 'unknown_user');
  });

  test('completing a follow-up records who and when; a second click keeps the first', () => {
    const decided = decide(started(), 'sam@acme.com', { kind: 'remove' }, 'U1', NOW);
    const id = decided.followUps[0]?.id ?? '';
    const done = completeFollowUp(decided, id, 'U_ADMIN', NOW);
    expect(done.followUps[0]).toMatchObject({ doneBy: 'U_ADMIN', doneAt: NOW.toISOString() });
    expect(completeFollowUp(done, id, 'U_OTHER', LATER)).toEqual(done);
    const reopened = reopenFollowUp(done, id);
    expect(reopened).toEqual(decided);
    expect(reopenFollowUp(reopened, id)).toEqual(reopened);
    expectReviewError(
      () => completeFollowUp(decided, 'remove:nobody@acme.com', 'U1', NOW),
      'unknown_follow_up',
    );
  });

  test('account items: tick with a note, tick again keeps the first tick, untick clears who and when', () => {
    let review = setAccountItem(started(), 'two_step_required', true, 'U1', NOW, ' app ');
    expect(review.accountItems[0]).toEqual({
      id: 'two_step_required',
      done: true,
      doneBy: 'U1',
      doneAt: NOW.toISOString(),
      note: 'app',
    });
    expect(setAccountItem(review, 'two_step_required', true, 'U2', LATER)).toEqual(review);
    review = setAccountItem(review, 'two_step_required', true, 'U2', LATER, 'sso');
    expect(review.accountItems[0]).toMatchObject({ doneBy: 'U1', note: 'sso' });
    review = setAccountItem(review, 'two_step_required', false, 'U2', LATER);
    expect(review.accountItems[0]).toEqual({ id: 'two_step_required', done: false, note: 'sso' });
    review = setAccountItem(review, 'two_step_required', false, 'U2', LATER, '');
    expect(review.accountItems[0]).toEqual({ id: 'two_step_required', done: false });
    expectReviewError(
      () => setAccountItem(review, 'bogus' as 'two_step_required', true, 'U1', NOW),
      'unknown_account_item',
    );
  });
});

describe('progress and completion', () => {
  test('progress counts users, decisions, flags, follow-ups and account items', () => {
    let review = decide(started(), 'sam@acme.com', { kind: 'remove' }, 'U1', NOW);
    review = decide(review, 'cody@acme.com', { kind: 'keep' }, 'U1', NOW);
    review = setAccountItem(review, 'activity_log_checked', true, 'U1', NOW);
    expect(reviewProgress(review)).toEqual({
      users: 6,
      decided: 2,
      undecided: 4,
      flagged: 4,
      followUpsOpen: 1,
      accountItemsOpen: 2,
      canComplete: false,
    });
    expect(reviewProgress(finished())).toMatchObject({ undecided: 0, followUpsOpen: 0, canComplete: true });
  });

  test.each<[string, (review: Review) => Review, RegExp]>([
    ['an undecided user', (r) => undecide(r, 'cody@acme.com'), /1 user without a decision: cody@acme\.com/],
    [
      'an open follow-up',
      (r) => reopenFollowUp(r, r.followUps.find((f) => f.email === 'sam@acme.com')?.id ?? ''),
      /1 follow-up not done: remove sam@acme\.com/,
    ],
    [
      'an open account item',
      (r) => setAccountItem(r, 'private_keys_reviewed', false, 'U1', NOW),
      /1 account item not done: Private API keys reviewed/,
    ],
  ])('completion is refused with %s, naming it', (_label, undo, message) => {
    const review = undo(finished());
    expect(reviewProgress(review).canComplete).toBe(false);
    expectReviewError(() => completeReview(review, 'U1', LATER), 'incomplete', message);
  });

  test('completion names everything that is missing', () => {
    expectReviewError(
      () => completeReview(started(), 'U1', LATER),
      'incomplete',
      /6 users without a decision: .* and 1 more; 3 account items not done/,
    );
  });

  test('completing records when and who, and a second completion changes nothing', () => {
    const done = completeReview(finished(), 'U_REVIEWER', LATER);
    expect(done.completedAt).toBe(LATER.toISOString());
    expect(done.completedBy).toBe('U_REVIEWER');
    expect(reviewProgress(done).canComplete).toBe(false);
    expect(completeReview(done, 'U_OTHER', new Date('2026-08-01T00:00:00Z'))).toEqual(done);
    expectReviewError(() => setAccountItem(done, 'two_step_required', false, 'U1', LATER), 'completed');
    expectReviewError(() => undecide(done, 'cody@acme.com'), 'completed');
  });
});

describe('immutability', () => {
  test.each<[string, (review: Review) => Review]>([
    ['decide', (r) => decide(r, 'sam@acme.com', { kind: 'change_role', to: 'Analyst' }, 'U1', LATER)],
    ['decide again differently', (r) => decide(r, 'vic@agency.io', { kind: 'keep' }, 'U1', LATER)],
    ['undecide', (r) => undecide(r, 'vic@agency.io')],
    ['completeFollowUp', (r) => completeFollowUp(r, r.followUps[0]?.id ?? '', 'U1', LATER)],
    ['setAccountItem', (r) => setAccountItem(r, 'two_step_required', true, 'U1', LATER, 'app')],
  ])('%s returns a new review and leaves the input as it was', (_label, transition) => {
    let review = decide(started(), 'vic@agency.io', { kind: 'remove' }, 'U1', NOW);
    review = setAccountItem(review, 'activity_log_checked', true, 'U1', NOW);
    const before = structuredClone(review);
    deepFreeze(review);
    const after = transition(review);
    expect(review).toEqual(before);
    expect(after).not.toBe(review);
    expect(after).not.toEqual(before);
  });

  test('completion and reopening leave a frozen finished review as it was', () => {
    const review = deepFreeze(finished());
    const before = structuredClone(review);
    const id = review.followUps[0]?.id ?? '';
    expect(reopenFollowUp(review, id)).not.toEqual(before);
    expect(completeReview(review, 'U1', LATER).completedAt).toBe(LATER.toISOString());
    expect(review).toEqual(before);
  });
});

describe('summary and evidence', () => {
  test('summary counts decisions, flags and roles', () => {
    const summary = reviewSummary(finished());
    expect(summary.counts).toEqual({ keep: 4, remove: 1, change_role: 1 });
    expect(summary.undecided).toBe(0);
    expect(summary.flags).toEqual({
      idle_90_days: 1,
      never_logged_in: 1,
      multiple_owners: 0,
      too_many_admins: 0,
      not_a_klaviyo_role: 0,
      outside_company_domain: 1,
      reviewer_own_account: 1,
    });
    expect(summary.removals).toEqual(['sam@acme.com']);
    expect(summary.roleChanges).toEqual([
      { email: 'vic@agency.io', from: 'Campaign Coordinator', to: 'Content Creator' },
    ]);
    expect(summary.roles).toMatchObject({ Owner: 1, Admin: 1, Manager: 1 });
    expect(summary.followUps).toEqual({ open: 0, done: 2 });
    expect(summary.accountItems).toEqual({ open: 0, done: 3 });
  });

  test.each([
    ['plain', 'plain'],
    ['', ''],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\r\nlf', '"cr\r\nlf"'],
    [' padded ', '" padded "'],
    ['=HYPERLINK("http://evil.example","x")', `"'=HYPERLINK(""http://evil.example"",""x"")"`],
    ['+1 555', "'+1 555"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tcmd', "'\tcmd"],
    ['=1,2', `"'=1,2"`],
    ['a=b', 'a=b'],
    ['2026-06-30', '2026-06-30'],
  ])('CSV cell %j is written %j', (value, written) => {
    expect(csvCell(value)).toBe(written);
  });

  test('evidence CSV: one row per user, the given columns, values escaped and formulas neutralised', () => {
    const users: RosterUser[] = [
      { name: '=cmd|"/c calc"!A1', email: 'eve@acme.com', role: 'Admin', lastLogin: null },
      { name: 'Doe, Jane', email: 'jane@acme.com', role: 'Owner', lastLogin: '2026-06-29' },
    ];
    let review = startReview(users, POLICY, { slackUser: 'U1' }, NOW);
    review = decide(review, 'eve@acme.com', { kind: 'remove', reason: 'unknown,\n"contractor"' }, 'U1', NOW);
    review = decide(review, 'jane@acme.com', { kind: 'keep' }, 'U1', NOW);
    review = completeFollowUp(review, review.followUps[0]?.id ?? '', 'U_ADMIN', LATER);
    const csv = evidenceCsv(review, { account: 'Acme', reviewer: 'U1', period: '2026 Q2' });
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe(EVIDENCE_COLUMNS.join(','));
    expect(
      lines[0]?.startsWith(
        'name,email,role,last_login,flags,decision,new_role,reason,decided_by,decided_at,follow_up_done_by,follow_up_done_at',
      ),
    ).toBe(true);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv).toContain(
      `"'=cmd|""/c calc""!A1",eve@acme.com,Admin,never,Never logged in,remove,,"unknown,\n""contractor""",Slack user U1,${NOW.toISOString()},Slack user U_ADMIN,${LATER.toISOString()},2026 Q2,Acme,Slack user U1,${NOW.toISOString()},`,
    );
    expect(csv).toContain(
      `"Doe, Jane",jane@acme.com,Owner,2026-06-29,,keep,,,Slack user U1,${NOW.toISOString()},,,2026 Q2,Acme,Slack user U1,`,
    );
  });

  test('evidence CSV shows the new role for role changes', () => {
    const review = decide(started(), 'vic@agency.io', { kind: 'change_role', to: 'support' }, 'U1', NOW);
    const row = evidenceCsv(review, { reviewer: 'Rita', period: 'Q2' })
      .split('\r\n')
      .find((line) => line.includes('vic@agency.io'));
    expect(row).toContain(',Email outside the company domains,change role,Support,,Slack user U1,');
  });

  test('evidence Markdown: period, reviewer, completion, counts, account items and a table of users', () => {
    let review = finished();
    review = completeReview(review, 'U_REVIEWER', LATER);
    const report = evidenceMarkdown(review, {
      account: 'Acme',
      reviewer: 'U_REVIEWER',
      period: '2026 Q2',
      people: new Map([['U_REVIEWER', { id: 'U_REVIEWER', name: 'Rita Reviewer', email: 'rita@acme.com' }]]),
    });
    expect(report).toContain('# Klaviyo user access review: 2026 Q2');
    expect(report).toContain('- Klaviyo account: Acme');
    expect(report).toContain('- Reviewer: Rita Reviewer \\<rita@acme.com\\> (Slack U\\_REVIEWER)');
    expect(report).toContain(
      '- Completed: 2026-07-01 09:30 UTC by Rita Reviewer \\<rita@acme.com\\> (Slack U\\_REVIEWER)',
    );
    expect(report).toContain('- Remove: 1');
    expect(report).toContain('- Change role: 1');
    expect(report).toContain(
      '- Two-step authentication is required for all users: done by Slack user U\\_ADMIN',
    );
    expect(report).toContain('| Name | Email | Role | Last login |');
    expect(report).toContain(
      '| Sam Stale | sam@acme.com | Manager | 2026-01-02 | No login for 90+ days | remove |',
    );
    expect(report).toContain('| change role to Content Creator |');
    expect(report.split('\n').filter((line) => line.startsWith('| ') && line.includes('@'))).toHaveLength(6);
  });

  test('evidence Markdown escapes table breakers in names', () => {
    const review = startReview(
      [{ name: 'A | B\nC', email: 'a@acme.com', role: 'Owner' }],
      POLICY,
      REVIEWER,
      NOW,
    );
    const report = evidenceMarkdown(review, { reviewer: 'R', period: 'Q2' });
    expect(report).toContain('| A \\| B C | a@acme.com |');
    expect(report).toContain('- Completed: not yet');
  });
});

describe('filters and pages', () => {
  test.each<['all' | 'flagged' | 'undecided' | 'decided', string[]]>([
    ['all', ROSTER.map((u) => u.email)],
    ['flagged', ['rita@acme.com', 'sam@acme.com', 'nina@eu.acme.com', 'vic@agency.io']],
    ['undecided', ['olive@acme.com', 'rita@acme.com', 'nina@eu.acme.com', 'vic@agency.io']],
    ['decided', ['sam@acme.com', 'cody@acme.com']],
  ])('filter %s', (filter, emails) => {
    let review = decide(started(), 'sam@acme.com', { kind: 'remove' }, 'U1', NOW);
    review = decide(review, 'cody@acme.com', { kind: 'keep' }, 'U1', NOW);
    expect(filterUsers(review, filter).map((u) => u.email)).toEqual(emails);
  });

  test('a 500-user roster pasted, reviewed and paged into pages of 10', () => {
    const lines = Array.from(
      { length: 500 },
      (_, i) =>
        `User ${i}\tuser${String(i).padStart(3, '0')}@acme.com\t${i === 0 ? 'Owner' : 'Analyst'}\t2025-01-01\t2026-06-01`,
    );
    const parsed = parseRoster(['Name\tEmail\tRole\tDate added\tLast login', ...lines].join('\n'), NOW);
    expect(parsed.users).toHaveLength(500);
    const review = startReview(parsed.users, POLICY, REVIEWER, NOW);
    const seen: string[] = [];
    const first = pageOf(review.users, 1, 10);
    expect(first.pages).toBe(50);
    for (let page = 1; page <= first.pages; page++) {
      const slice = pageOf(review.users, page, 10);
      expect(slice.page).toBe(page);
      expect(slice.items).toHaveLength(10);
      seen.push(...slice.items.map((u) => u.email));
    }
    expect(seen).toEqual(review.users.map((u) => u.email));
    expect(pageOf(review.users, 51, 10)).toMatchObject({ page: 50, pages: 50 });
    expect(pageOf(review.users, 0, 10).items[0]?.email).toBe('user000@acme.com');
  });

  test.each([
    [[], 1, 10, { items: [], page: 1, pages: 1 }],
    [[1, 2, 3], 2, 2, { items: [3], page: 2, pages: 2 }],
    [[1, 2, 3], -4, 2, { items: [1, 2], page: 1, pages: 2 }],
    [[1, 2, 3], 1, 0, { items: [1], page: 1, pages: 3 }],
  ])('pageOf(%j, %i, %i)', (items, page, size, expected) => {
    expect(pageOf(items, page, size)).toEqual(expected);
  });
});
