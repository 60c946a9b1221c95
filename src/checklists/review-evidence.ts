import { plural } from '../words.js';
/**
 * The evidence a completed review leaves: every user with their decision, as CSV and as Markdown.
 * Pure: the review in, text out.
 */

import {
  ACCOUNT_ITEMS,
  describeFollowUp,
  FLAG_LABELS,
  FLAGS,
  followUpOf,
  type Review,
  type ReviewUser,
  reviewSummary,
  TWO_STEP_WORDS,
} from './review.js';
import { type RosterUser, stripInvisible } from './roster.js';

/** A Slack user as the evidence names them: from their Slack profile when it could be read. */
export interface Person {
  id: string;
  name?: string;
  email?: string;
}

export interface EvidenceMeta {
  /** The Klaviyo account reviewed, as the reviewer named it. */
  account?: string;
  /** The Slack user who completed (or started) the review. */
  reviewer: string;
  /** E.g. "2026 Q1". */
  period: string;
  /** Slack users by ID (reviewers, deciders, whoever confirmed a follow-up), with name and email. */
  people?: ReadonlyMap<string, Person>;
}

/** "Alice Example <alice@shop.example> (Slack U0ALICE)", or the ID alone when no profile was read. */
export function personText(id: string, people: ReadonlyMap<string, Person> | undefined): string {
  if (id === '') return '';
  const person = people?.get(id);
  const name = person?.name?.trim();
  const email = person?.email?.trim();
  if (!name && !email) return `Slack user ${id}`;
  return `${[name, email ? `<${email}>` : undefined].filter(Boolean).join(' ')} (Slack ${id})`;
}

/** Every Slack user the review names, for looking up their profiles before the evidence is written. */
export function peopleOf(review: Review): string[] {
  const ids = new Set<string>([review.reviewerSlackUser]);
  if (review.completedBy) ids.add(review.completedBy);
  for (const user of review.users) if (user.decidedBy) ids.add(user.decidedBy);
  for (const followUp of review.followUps) if (followUp.doneBy) ids.add(followUp.doneBy);
  for (const item of review.accountItems) if (item.doneBy) ids.add(item.doneBy);
  ids.delete('');
  return [...ids];
}

export const EVIDENCE_COLUMNS = [
  'name',
  'email',
  'role',
  'last_login',
  'flags',
  'decision',
  'new_role',
  'reason',
  'decided_by',
  'decided_at',
  'follow_up_done_by',
  'follow_up_done_at',
  // The review itself on every row, so that any copy of the file still says what it is evidence of.
  'period',
  'account',
  'reviewer',
  'review_started_at',
  'review_completed_at',
] as const;

// A spreadsheet runs a cell starting with one of these as a formula (CSV injection), the full-width
// and small forms (＝＋－＠, ﹦﹢﹣﹫) included, since spreadsheets read them as their ASCII forms.
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20\uFE66\uFE62\uFE63\uFE6B]/;

export function csvCell(raw: string): string {
  const value = stripInvisible(raw);
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]|^\s|\s$/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function lastLoginText(user: RosterUser): string {
  if (user.lastLogin === null) return 'never';
  return user.lastLogin ?? '';
}

const DECISION_WORDS = { keep: 'keep', remove: 'remove', change_role: 'change role' } as const;

/**
 * One row per user, RFC 4180 (CRLF line ends), formulas neutralised, invisible characters removed.
 * People are named as "name <email> (Slack ID)"; times are ISO 8601 in UTC.
 */
export function evidenceCsv(review: Review, meta: EvidenceMeta): string {
  const rows: string[][] = [[...EVIDENCE_COLUMNS]];
  const who = (id: string | undefined) => personText(id ?? '', meta.people);
  const reviewer = who(meta.reviewer);
  for (const user of review.users) {
    const followUp = followUpOf(review, user.email);
    rows.push([
      user.name,
      user.email,
      user.role,
      lastLoginText(user),
      user.flags.map((flag) => FLAG_LABELS[flag]).join('; '),
      user.decision ? DECISION_WORDS[user.decision.kind] : '',
      user.decision?.kind === 'change_role' ? user.decision.to : '',
      user.decision?.reason ?? '',
      who(user.decidedBy),
      user.decidedAt ?? '',
      who(followUp?.doneBy),
      followUp?.doneAt ?? '',
      meta.period,
      meta.account ?? '',
      reviewer,
      review.startedAt,
      review.completedAt ?? '',
    ]);
  }
  return `${rows.map((row) => row.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

function md(text: string): string {
  return stripInvisible(text)
    .replace(/\r?\n|\r/g, ' ')
    .replace(/[\\`*_[\]<>|#]/g, (c) => `\\${c}`)
    .trim();
}

function decisionText(user: ReviewUser): string {
  if (!user.decision) return 'undecided';
  if (user.decision.kind === 'change_role') return `change role to ${user.decision.to}`;
  return user.decision.kind;
}

/** "2026-11-20 14:03 UTC": one reading in every time zone, for a document read anywhere. */
function utc(iso: string | undefined): string {
  if (iso === undefined || Number.isNaN(Date.parse(iso))) return '';
  return `${new Date(iso).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** A readable report for the evidence folder. */
export function evidenceMarkdown(review: Review, meta: EvidenceMeta): string {
  const summary = reviewSummary(review);
  const who = (id: string | undefined) => md(personText(id ?? '', meta.people));
  const lines: string[] = [];
  lines.push(`# Klaviyo user access review: ${md(meta.period)}`, '');
  lines.push(`- Klaviyo account: ${meta.account ? md(meta.account) : 'not named'}`);
  lines.push(`- Period: ${md(meta.period)}`);
  lines.push(`- Reviewer: ${who(meta.reviewer)}`);
  lines.push(`- Started: ${utc(review.startedAt)} by ${who(review.reviewerSlackUser)}`);
  lines.push(
    review.completedAt
      ? `- Completed: ${utc(review.completedAt)}${review.completedBy ? ` by ${who(review.completedBy)}` : ''}`
      : '- Completed: not yet',
  );
  lines.push(
    `- Policy: idle after ${plural(review.policy.idleDays, 'day')}; at most ${plural(review.policy.maxAdmins, 'Admin')}; company domains: ${
      review.policy.companyDomains.length > 0 ? md(review.policy.companyDomains.join(', ')) : 'not checked'
    }`,
  );
  lines.push('', '## Decisions', '');
  lines.push(`- Users reviewed: ${summary.users}`);
  lines.push(`- Keep: ${summary.counts.keep}`);
  lines.push(`- Remove: ${summary.counts.remove}`);
  lines.push(`- Change role: ${summary.counts.change_role}`);
  if (summary.undecided > 0) lines.push(`- Undecided: ${summary.undecided}`);
  lines.push(`- Flagged users: ${summary.flaggedUsers}`);
  for (const flag of FLAGS) {
    if (summary.flags[flag] > 0) lines.push(`  - ${FLAG_LABELS[flag]}: ${summary.flags[flag]}`);
  }

  lines.push('', '## Account checks', '');
  for (const item of review.accountItems) {
    const state = item.done
      ? `done${item.doneBy ? ` by ${who(item.doneBy)}` : ''}${item.doneAt ? ` at ${utc(item.doneAt)}` : ''}`
      : 'not done';
    const note = item.note ? (TWO_STEP_WORDS[item.note] ?? item.note) : undefined;
    lines.push(`- ${ACCOUNT_ITEMS[item.id].title}: ${state}${note ? ` (${md(note)})` : ''}`);
  }

  if (review.followUps.length > 0) {
    lines.push('', '## Follow-ups', '');
    for (const followUp of review.followUps) {
      const state = followUp.doneAt ? `done by ${who(followUp.doneBy)} at ${utc(followUp.doneAt)}` : 'open';
      lines.push(`- ${md(describeFollowUp(followUp))}: ${state}`);
    }
  }

  lines.push('', '## Users', '');
  lines.push(
    '| Name | Email | Role | Last login | Flags | Decision | Reason | Decided by | Decided at | Follow-up done |',
  );
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const user of review.users) {
    const followUp = followUpOf(review, user.email);
    const followUpText = followUp
      ? followUp.doneAt
        ? `${personText(followUp.doneBy ?? '', meta.people)} at ${utc(followUp.doneAt)}`
        : 'open'
      : '';
    const cells = [
      user.name,
      user.email,
      user.role,
      lastLoginText(user),
      user.flags.map((flag) => FLAG_LABELS[flag]).join('; '),
      decisionText(user),
      user.decision?.reason ?? '',
      personText(user.decidedBy ?? '', meta.people),
      utc(user.decidedAt),
      followUpText,
    ];
    lines.push(`| ${cells.map(md).join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}
