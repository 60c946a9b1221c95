/**
 * The quarterly user and role review as pure state transitions: a review and an action in, a new review
 * out (the input is never changed). Records what auditors look for (Vanta, Drata, ConductorOne): per
 * user the role, last login, decision, who decided, when and why; a reason when reviewers keep their
 * own access; a follow-up for every removal or role change that someone confirms done; and per review
 * the period, the reviewer, the completion time and an evidence export.
 */

import { CheckupError } from '../errors.js';
import { plural } from '../words.js';
import { findRole, normalizeRole, sameRole } from './roles.js';
import type { RosterUser } from './roster.js';

export type Decision =
  | { kind: 'keep'; reason?: string }
  | { kind: 'remove'; reason?: string }
  | { kind: 'change_role'; to: string; reason?: string };
export type DecisionKind = Decision['kind'];

export type Flag =
  | 'idle_90_days'
  | 'never_logged_in'
  | 'multiple_owners'
  | 'too_many_admins'
  | 'not_a_klaviyo_role'
  | 'outside_company_domain'
  | 'reviewer_own_account';

export const FLAGS: readonly Flag[] = [
  'idle_90_days',
  'never_logged_in',
  'multiple_owners',
  'too_many_admins',
  'not_a_klaviyo_role',
  'outside_company_domain',
  'reviewer_own_account',
];

export const FLAG_LABELS: Record<Flag, string> = {
  idle_90_days: 'No login for 90+ days',
  never_logged_in: 'Never logged in',
  multiple_owners: 'More than one Owner',
  too_many_admins: 'More Admins than the policy allows',
  not_a_klaviyo_role: 'Not one of Klaviyo’s roles (a custom role, or a typo?)',
  outside_company_domain: 'Email outside the company domains',
  reviewer_own_account: "Reviewer's own account",
};

export interface ReviewPolicy {
  /** Lowercase domains; a subdomain of a listed domain counts as inside. Empty: no domain check. */
  companyDomains: string[];
  maxAdmins: number;
  /** Days without a login after which a user is flagged idle. */
  idleDays: number;
}

export interface ReviewUser extends RosterUser {
  flags: Flag[];
  decision?: Decision;
  decidedBy?: string;
  /** ISO time. */
  decidedAt?: string;
}

export interface FollowUp {
  id: string;
  email: string;
  action: 'remove' | 'change_role';
  toRole?: string;
  doneBy?: string;
  doneAt?: string;
}

export type AccountItemId = 'two_step_required' | 'private_keys_reviewed' | 'activity_log_checked';

export interface AccountItem {
  id: AccountItemId;
  done: boolean;
  doneBy?: string;
  doneAt?: string;
  /** E.g. the two-step method in force: app, sms or sso. */
  note?: string;
}

export const ACCOUNT_ITEMS: Record<AccountItemId, { title: string; hint: string }> = {
  two_step_required: {
    title: 'Two-step authentication is required for all users',
    hint: 'Settings > Users ("Require two-step authentication for all users") or the Security tab of the account settings. Note the method: app, SMS or SSO.',
  },
  private_keys_reviewed: {
    title: 'Private API keys reviewed',
    hint: 'Settings > API keys: one key per integration, a meaningful label, the narrowest scope; delete keys nobody uses.',
  },
  activity_log_checked: {
    title: 'Account activity log checked',
    hint: 'Settings > Account > Activity log: look for unexpected user, role and key changes since the last review.',
  },
};

/** How two-step authentication is enforced, as the account item's note records it. */
export const TWO_STEP_WORDS: Record<string, string> = {
  app: 'authenticator app',
  sms: 'SMS',
  sso: 'single sign-on (SSO)',
};

export const ACCOUNT_ITEM_ORDER: readonly AccountItemId[] = [
  'two_step_required',
  'private_keys_reviewed',
  'activity_log_checked',
];

export interface Review {
  users: ReviewUser[];
  followUps: FollowUp[];
  accountItems: AccountItem[];
  /** The policy the flags were computed with, kept for the evidence. */
  policy: ReviewPolicy;
  reviewerSlackUser: string;
  /** Lowercase. */
  reviewerEmail?: string;
  /** The Klaviyo account reviewed, as the reviewer named it. */
  account?: string;
  startedAt: string;
  completedAt?: string;
  completedBy?: string;
}

export type ReviewErrorCode =
  | 'empty_roster'
  | 'duplicate_user'
  | 'unknown_user'
  | 'bad_role'
  | 'same_role'
  | 'reason_required'
  | 'sole_owner'
  | 'follow_up_done'
  | 'unknown_follow_up'
  | 'unknown_account_item'
  | 'completed'
  | 'incomplete';

const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------------------
// Starting and flags

export function startReview(
  users: RosterUser[],
  policy: ReviewPolicy,
  reviewer: { slackUser: string; email?: string },
  now: Date,
): Review {
  if (users.length === 0)
    throw new CheckupError<ReviewErrorCode>('empty_roster', 'The roster has no users to review');
  const roster: RosterUser[] = [];
  const seen = new Set<string>();
  for (const user of users) {
    const email = user.email.trim().toLowerCase();
    if (seen.has(email))
      throw new CheckupError<ReviewErrorCode>('duplicate_user', `${email} is in the roster twice`);
    seen.add(email);
    roster.push({ ...user, email, role: normalizeRole(user.role) });
  }
  const cleanPolicy: ReviewPolicy = {
    companyDomains: policy.companyDomains.map(normalizeDomain).filter((domain) => domain),
    maxAdmins: policy.maxAdmins,
    idleDays: policy.idleDays,
  };
  const reviewerEmail = reviewer.email?.trim().toLowerCase() || undefined;
  const review: Review = {
    users: roster.map((user) => ({
      ...user,
      flags: flagsFor(user, roster, cleanPolicy, reviewerEmail, now),
    })),
    followUps: [],
    accountItems: ACCOUNT_ITEM_ORDER.map((id) => ({ id, done: false })),
    policy: cleanPolicy,
    reviewerSlackUser: reviewer.slackUser,
    startedAt: now.toISOString(),
  };
  if (reviewerEmail) review.reviewerEmail = reviewerEmail;
  return review;
}

function normalizeDomain(domain: string): string {
  return domain
    .trim()
    .toLowerCase()
    .replace(/^(?:\*\.|@|\.)/, '');
}

/** The flags of one user, in FLAGS order. */
export function flagsFor(
  user: RosterUser,
  allUsers: readonly RosterUser[],
  policy: ReviewPolicy,
  reviewerEmail: string | undefined,
  now: Date,
): Flag[] {
  const flags: Flag[] = [];
  if (typeof user.lastLogin === 'string' && daysSince(user.lastLogin, now) > policy.idleDays) {
    flags.push('idle_90_days');
  }
  if (user.lastLogin === null) flags.push('never_logged_in');
  const role = normalizeRole(user.role);
  const count = (name: string) => allUsers.filter((other) => normalizeRole(other.role) === name).length;
  if (role === 'Owner' && count('Owner') > 1) flags.push('multiple_owners');
  if (role === 'Admin' && count('Admin') > policy.maxAdmins) flags.push('too_many_admins');
  if (findRole(role) === undefined) flags.push('not_a_klaviyo_role');
  const domains = policy.companyDomains.map(normalizeDomain).filter((domain) => domain);
  if (domains.length > 0) {
    const domain = user.email.slice(user.email.lastIndexOf('@') + 1).toLowerCase();
    if (!domains.some((listed) => domain === listed || domain.endsWith(`.${listed}`))) {
      flags.push('outside_company_domain');
    }
  }
  if (reviewerEmail && user.email.toLowerCase() === reviewerEmail.trim().toLowerCase()) {
    flags.push('reviewer_own_account');
  }
  return flags;
}

// Whole days between the login day and today (UTC): "older than idleDays before now".
function daysSince(day: string, now: Date): number {
  const login = Date.parse(`${day}T00:00:00Z`);
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Math.floor((today - login) / DAY_MS);
}

// ---------------------------------------------------------------------------------------------------
// Decisions

function assertOpen(review: Review): void {
  if (review.completedAt) {
    throw new CheckupError<ReviewErrorCode>('completed', 'This review is already complete; start a new one');
  }
}

function userIndex(review: Review, email: string): number {
  const key = email.trim().toLowerCase();
  const index = review.users.findIndex((user) => user.email === key);
  if (index === -1) throw new CheckupError<ReviewErrorCode>('unknown_user', `${key} is not in this review`);
  return index;
}

function cleanDecision(decision: Decision): Decision {
  const reason = decision.reason?.trim();
  if (decision.kind === 'change_role') {
    const to = normalizeRole(decision.to);
    if (!to) throw new CheckupError<ReviewErrorCode>('bad_role', 'Choose the role to change to');
    return reason ? { kind: 'change_role', to, reason } : { kind: 'change_role', to };
  }
  return reason ? { kind: decision.kind, reason } : { kind: decision.kind };
}

function sameDecision(a: Decision | undefined, b: Decision): boolean {
  if (!a || a.kind !== b.kind || (a.reason ?? '') !== (b.reason ?? '')) return false;
  return a.kind !== 'change_role' || (b.kind === 'change_role' && a.to === b.to);
}

/** The role a user would have once every decision is carried out; undefined when removed. */
function roleAfter(user: ReviewUser, decision: Decision | undefined): string | undefined {
  if (decision?.kind === 'remove') return undefined;
  if (decision?.kind === 'change_role') return decision.to;
  return user.role;
}

function ownersAfter(users: readonly ReviewUser[]): number {
  return users.filter((user) => roleAfter(user, user.decision) === 'Owner').length;
}

/** The decision that moves ownership to a user, as the decision menu names it. */
export const TRANSFER_LABEL = 'Transfer ownership to them';

/** Whether a decision makes its user the account's Owner (a transfer of ownership). */
export function isTransfer(decision: Decision | undefined): boolean {
  return decision?.kind === 'change_role' && decision.to === 'Owner';
}

/** Whether this user is the account's only Owner, and no transfer of ownership is decided yet. */
export function isSoleOwner(review: Review, user: ReviewUser): boolean {
  return (
    user.role === 'Owner' &&
    review.users.filter((other) => other.role === 'Owner').length === 1 &&
    !review.users.some((other) => isTransfer(other.decision))
  );
}

const OWN_REASON_MESSAGES: Record<DecisionKind, string> = {
  keep: 'a reason is required to keep your own access',
  remove: 'a reason is required to remove your own access',
  change_role: 'a reason is required to change your own role',
};

function followUpId(email: string, decision: Decision): string {
  return decision.kind === 'change_role'
    ? `change_role:${email}:${decision.to}`
    : `${decision.kind}:${email}`;
}

/** The follow-up a decision on this user created, if any. */
export function followUpOf(review: Review, email: string): FollowUp | undefined {
  return review.followUps.find((followUp) => followUp.email === email);
}

/**
 * Records a decision on one user. The same decision again (a Slack retry or a double click) changes
 * nothing, not even who decided or when.
 */
export function decide(review: Review, email: string, decision: Decision, by: string, now: Date): Review {
  assertOpen(review);
  const index = userIndex(review, email);
  const user = review.users[index] as ReviewUser;
  const next = cleanDecision(decision);
  if (sameDecision(user.decision, next)) return { ...review };

  if (next.kind === 'change_role' && sameRole(next.to, user.role)) {
    throw new CheckupError<ReviewErrorCode>('same_role', `${user.email} already has the ${user.role} role`);
  }
  if (review.reviewerEmail && user.email === review.reviewerEmail && !next.reason) {
    throw new CheckupError<ReviewErrorCode>('reason_required', OWN_REASON_MESSAGES[next.kind]);
  }
  const followUp = followUpOf(review, user.email);
  if (followUp?.doneAt) {
    throw new CheckupError<ReviewErrorCode>(
      'follow_up_done',
      `The follow-up for ${user.email} was marked done by ${followUp.doneBy ? `<@${followUp.doneBy}>` : 'someone'}; reopen it before changing the decision`,
    );
  }
  const decided: ReviewUser = { ...user, decision: next, decidedBy: by, decidedAt: now.toISOString() };
  const users = review.users.map((other, i) => (i === index ? decided : other));
  // Klaviyo: the Owner cannot be deleted; ownership has to move to someone else first.
  if (ownersAfter(review.users) > 0 && ownersAfter(users) === 0) {
    throw new CheckupError<ReviewErrorCode>(
      'sole_owner',
      next.kind === 'remove'
        ? `${user.email} is the only Owner, and Klaviyo does not let the Owner be removed. First choose “${TRANSFER_LABEL}” for the person who takes over the account`
        : `${user.email} is the only Owner. First choose “${TRANSFER_LABEL}” for the person who takes over the account; then this role can change`,
    );
  }

  const followUps = review.followUps.filter((other) => other.email !== user.email);
  if (next.kind === 'remove')
    followUps.push({ id: followUpId(user.email, next), email: user.email, action: 'remove' });
  if (next.kind === 'change_role') {
    followUps.push({
      id: followUpId(user.email, next),
      email: user.email,
      action: 'change_role',
      toRole: next.to,
    });
  }
  return { ...review, users, followUps };
}

/** Clears a decision (and its follow-up). Undeciding an undecided user changes nothing. */
export function undecide(review: Review, email: string): Review {
  assertOpen(review);
  const index = userIndex(review, email);
  const user = review.users[index] as ReviewUser;
  if (!user.decision) return { ...review };
  const followUp = followUpOf(review, user.email);
  if (followUp?.doneAt) {
    throw new CheckupError<ReviewErrorCode>(
      'follow_up_done',
      `The follow-up for ${user.email} was marked done by ${followUp.doneBy ? `<@${followUp.doneBy}>` : 'someone'}; reopen it before clearing the decision`,
    );
  }
  const { decision: _decision, decidedBy: _by, decidedAt: _at, ...rest } = user;
  return {
    ...review,
    users: review.users.map((other, i) => (i === index ? rest : other)),
    followUps: review.followUps.filter((other) => other.email !== user.email),
  };
}

// ---------------------------------------------------------------------------------------------------
// Follow-ups and account items

function followUpIndex(review: Review, id: string): number {
  const index = review.followUps.findIndex((followUp) => followUp.id === id);
  if (index === -1) {
    throw new CheckupError<ReviewErrorCode>(
      'unknown_follow_up',
      'That follow-up is no longer open (the decision may have changed)',
    );
  }
  return index;
}

/** Someone confirms the removal or role change was made in Klaviyo. A second confirmation changes nothing. */
export function completeFollowUp(review: Review, followUpId: string, by: string, now: Date): Review {
  assertOpen(review);
  const index = followUpIndex(review, followUpId);
  const followUp = review.followUps[index] as FollowUp;
  if (followUp.doneAt) return { ...review };
  const done: FollowUp = { ...followUp, doneBy: by, doneAt: now.toISOString() };
  return { ...review, followUps: review.followUps.map((other, i) => (i === index ? done : other)) };
}

export function reopenFollowUp(review: Review, followUpId: string): Review {
  assertOpen(review);
  const index = followUpIndex(review, followUpId);
  const followUp = review.followUps[index] as FollowUp;
  if (!followUp.doneAt) return { ...review };
  const { doneBy: _by, doneAt: _at, ...open } = followUp;
  return { ...review, followUps: review.followUps.map((other, i) => (i === index ? open : other)) };
}

/**
 * Ticks or unticks an account-wide item. Ticking a ticked item keeps who ticked it first; a note, when
 * given, replaces the previous one (an empty note clears it).
 */
export function setAccountItem(
  review: Review,
  id: AccountItemId,
  done: boolean,
  by: string,
  now: Date,
  note?: string,
): Review {
  assertOpen(review);
  const index = review.accountItems.findIndex((item) => item.id === id);
  if (index === -1)
    throw new CheckupError<ReviewErrorCode>('unknown_account_item', `Unknown checklist item: ${String(id)}`);
  const item = review.accountItems[index] as AccountItem;
  let next: AccountItem;
  if (done) next = item.done ? { ...item } : { ...item, done: true, doneBy: by, doneAt: now.toISOString() };
  else {
    const { doneBy: _by, doneAt: _at, ...rest } = item;
    next = { ...rest, done: false };
  }
  if (note !== undefined) {
    const trimmed = note.trim();
    if (trimmed) next.note = trimmed;
    else delete next.note;
  }
  return { ...review, accountItems: review.accountItems.map((other, i) => (i === index ? next : other)) };
}

// ---------------------------------------------------------------------------------------------------
// Progress and completion

export interface ReviewProgress {
  users: number;
  decided: number;
  undecided: number;
  flagged: number;
  followUpsOpen: number;
  accountItemsOpen: number;
  canComplete: boolean;
}

export function reviewProgress(review: Review): ReviewProgress {
  const decided = review.users.filter((user) => user.decision).length;
  return {
    users: review.users.length,
    decided,
    undecided: review.users.length - decided,
    flagged: review.users.filter((user) => user.flags.length > 0).length,
    followUpsOpen: review.followUps.filter((followUp) => !followUp.doneAt).length,
    accountItemsOpen: review.accountItems.filter((item) => !item.done).length,
    canComplete: !review.completedAt && completionBlockers(review).length === 0,
  };
}

function listSome(items: string[], max = 5): string {
  return items.length > max
    ? `${items.slice(0, max).join(', ')} and ${items.length - max} more`
    : items.join(', ');
}

/** What stands between the review and completion, in words; empty when it can be completed. */
export function completionBlockers(review: Review): string[] {
  const blockers: string[] = [];
  const undecided = review.users.filter((user) => !user.decision).map((user) => user.email);
  if (undecided.length > 0) {
    blockers.push(`${plural(undecided.length, 'user')} without a decision: ${listSome(undecided)}`);
  }
  const open = review.followUps.filter((followUp) => !followUp.doneAt).map(describeFollowUp);
  if (open.length > 0) blockers.push(`${plural(open.length, 'follow-up')} not done: ${listSome(open)}`);
  const items = review.accountItems.filter((item) => !item.done).map((item) => ACCOUNT_ITEMS[item.id].title);
  if (items.length > 0)
    blockers.push(`${plural(items.length, 'account item')} not done: ${items.join('; ')}`);
  const owners = ownersAfter(review.users);
  if (owners === 0 && review.users.some((user) => user.role === 'Owner')) {
    blockers.push('the decisions leave the account without an Owner');
  }
  if (owners > 1 && review.users.some((user) => isTransfer(user.decision))) {
    blockers.push(
      `the decisions leave ${owners} Owners, and a Klaviyo account has exactly one: decide a new role, or a removal, for the current Owner`,
    );
  }
  return blockers;
}

/** What a follow-up asks for in Klaviyo: "remove jo@x.com from Klaviyo", "change jo@x.com to Analyst". */
export function describeFollowUp(followUp: FollowUp): string {
  if (followUp.action === 'remove') return `remove ${followUp.email} from Klaviyo`;
  if (followUp.toRole === 'Owner') return `transfer ownership to ${followUp.email}`;
  return `change ${followUp.email} to ${followUp.toRole ?? 'another role'}`;
}

/** The same, once done: "jo@x.com was removed from Klaviyo". */
function followUpDone(followUp: FollowUp): string {
  if (followUp.action === 'remove') return `${followUp.email} was removed from Klaviyo`;
  if (followUp.toRole === 'Owner') return `ownership moved to ${followUp.email}`;
  return `${followUp.email} now has the ${followUp.toRole ?? 'new'} role`;
}

/** Completes the review. Completing a completed review changes nothing (a retry). */
export function completeReview(review: Review, by: string, now: Date): Review {
  if (review.completedAt) return { ...review };
  const blockers = completionBlockers(review);
  if (blockers.length > 0) {
    throw new CheckupError<ReviewErrorCode>(
      'incomplete',
      `The review cannot be completed yet: ${blockers.join('; ')}`,
    );
  }
  return { ...review, completedAt: now.toISOString(), completedBy: by };
}

// ---------------------------------------------------------------------------------------------------
// Summary, evidence, lists

export interface ReviewSummary {
  users: number;
  counts: Record<DecisionKind, number>;
  undecided: number;
  flags: Record<Flag, number>;
  flaggedUsers: number;
  /** Users per role on the roster as pasted. */
  roles: Record<string, number>;
  removals: string[];
  roleChanges: { email: string; from: string; to: string }[];
  followUps: { open: number; done: number };
  accountItems: { open: number; done: number };
  completed: boolean;
}

export function reviewSummary(review: Review): ReviewSummary {
  const counts: Record<DecisionKind, number> = { keep: 0, remove: 0, change_role: 0 };
  const flags = Object.fromEntries(FLAGS.map((flag) => [flag, 0])) as Record<Flag, number>;
  const roles: Record<string, number> = {};
  const removals: string[] = [];
  const roleChanges: ReviewSummary['roleChanges'] = [];
  for (const user of review.users) {
    if (user.decision) counts[user.decision.kind]++;
    if (user.decision?.kind === 'remove') removals.push(user.email);
    if (user.decision?.kind === 'change_role') {
      roleChanges.push({ email: user.email, from: user.role, to: user.decision.to });
    }
    for (const flag of user.flags) flags[flag]++;
    roles[user.role] = (roles[user.role] ?? 0) + 1;
  }
  const followUpsDone = review.followUps.filter((followUp) => followUp.doneAt).length;
  const itemsDone = review.accountItems.filter((item) => item.done).length;
  return {
    users: review.users.length,
    counts,
    undecided: review.users.filter((user) => !user.decision).length,
    flags,
    flaggedUsers: review.users.filter((user) => user.flags.length > 0).length,
    roles,
    removals,
    roleChanges,
    followUps: { open: review.followUps.length - followUpsDone, done: followUpsDone },
    accountItems: { open: review.accountItems.length - itemsDone, done: itemsDone },
    completed: Boolean(review.completedAt),
  };
}

// ---------------------------------------------------------------------------------------------------
// Changes as the team makes them, with the words the audit trail records

export type ReviewChange =
  | { type: 'decide'; index: number; decision: Decision }
  /** Every undecided user without a flag is kept, in one step. */
  | { type: 'keep_unflagged' }
  /** The same decision for several users at once (a page of the user list). */
  | { type: 'decide_many'; indexes: number[]; decision: Decision }
  | { type: 'follow_up'; id: string; done: boolean }
  | { type: 'account_item'; id: AccountItemId; done: boolean; note?: string }
  | { type: 'complete' };

/** A user a bulk decision left out, and why, in words for the person deciding. */
export interface SkippedUser {
  index: number;
  reason: string;
}

export interface AppliedReviewChange {
  state: Review;
  /** Users a bulk decision could not decide (their own account, the only Owner, a done follow-up). */
  skipped: SkippedUser[];
  /** What happened, for the audit trail and the thread. */
  event: string;
}

/**
 * Applies one change. A bulk decision records each user as if decided one by one (who, when), and
 * leaves out, with the reason, any user the same decision could not be made for alone.
 */
export function applyReviewChange(
  state: Review,
  change: ReviewChange,
  actor: string,
  now: Date,
): AppliedReviewChange {
  switch (change.type) {
    case 'decide': {
      const user = state.users[change.index];
      if (user === undefined)
        throw new CheckupError<ReviewErrorCode>('unknown_user', 'That user is not in this review');
      const next = decide(state, user.email, change.decision, actor, now);
      return { state: next, skipped: [], event: decisionWords(change.decision, user.email) };
    }
    case 'keep_unflagged': {
      assertOpen(state);
      const indexes = state.users.flatMap((user, index) =>
        !user.decision && user.flags.length === 0 ? [index] : [],
      );
      const { next, decided, skipped } = decideEach(state, indexes, { kind: 'keep' }, actor, now);
      return {
        state: next,
        skipped,
        event: `kept the ${plural(decided, 'undecided user')} without a flag, in one step`,
      };
    }
    case 'decide_many': {
      assertOpen(state);
      const { next, decided, skipped } = decideEach(state, change.indexes, change.decision, actor, now);
      const left =
        skipped.length > 0 ? `; ${plural(skipped.length, 'user')} left to decide on their own` : '';
      return {
        state: next,
        skipped,
        event: `${decisionWords(change.decision, plural(decided, 'user'))} at once${left}`,
      };
    }
    case 'follow_up': {
      const followUp = state.followUps.find((candidate) => candidate.id === change.id);
      const next = change.done
        ? completeFollowUp(state, change.id, actor, now)
        : reopenFollowUp(state, change.id);
      const what = followUp ? followUpDone(followUp) : 'the follow-up is done';
      return {
        state: next,
        skipped: [],
        event: change.done
          ? `confirmed in Klaviyo: ${what}`
          : `reopened the follow-up “${followUp ? describeFollowUp(followUp) : change.id}”`,
      };
    }
    case 'account_item': {
      const next = setAccountItem(state, change.id, change.done, actor, now, change.note);
      const title = ACCOUNT_ITEMS[change.id]?.title ?? 'the account item';
      const method = change.note ? TWO_STEP_WORDS[change.note] : undefined;
      return {
        state: next,
        skipped: [],
        event:
          change.done && change.id === 'two_step_required'
            ? `confirmed that two-step authentication is required for all users${method ? ` (${method})` : ''}`
            : `marked “${title}” ${change.done ? 'done' : 'not done'}`,
      };
    }
    case 'complete':
      return { state: completeReview(state, actor, now), skipped: [], event: 'completed the review' };
  }
}

/** "decided to keep jo@x.com", "decided to change 15 users to Analyst". */
function decisionWords(decision: Decision, who: string): string {
  if (decision.kind === 'keep') return `decided to keep ${who}`;
  if (decision.kind === 'remove') return `decided to remove ${who} from Klaviyo`;
  if (isTransfer(decision)) return `decided to transfer ownership to ${who}`;
  return `decided to change ${who} to ${normalizeRole(decision.to)}`;
}

function decideEach(
  state: Review,
  indexes: readonly number[],
  decision: Decision,
  actor: string,
  now: Date,
): { next: Review; decided: number; skipped: SkippedUser[] } {
  let next = state;
  let decided = 0;
  const skipped: SkippedUser[] = [];
  for (const index of new Set(indexes)) {
    const user = next.users[index];
    if (user === undefined) continue;
    if (next.reviewerEmail !== undefined && user.email === next.reviewerEmail) {
      skipped.push({ index, reason: 'Your own account is decided on its own, with a reason.' });
      continue;
    }
    try {
      const after = decide(next, user.email, decision, actor, now);
      if (after.users[index] !== user) decided++;
      next = after;
    } catch (error) {
      if (!(error instanceof CheckupError)) throw error;
      skipped.push({ index, reason: `${error.message}.` });
    }
  }
  return { next, decided, skipped };
}
