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
} from './review.js';
import type { RosterUser } from './roster.js';

export interface EvidenceMeta {
  account?: string;
  reviewer: string;
  /** E.g. "2026 Q1". */
  period: string;
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

// A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]|^\s|\s$/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function lastLoginText(user: RosterUser): string {
  if (user.lastLogin === null) return 'never';
  return user.lastLogin ?? '';
}

/** One row per user, RFC 4180 (CRLF line ends), formulas neutralised. */
export function evidenceCsv(review: Review, meta: EvidenceMeta): string {
  const rows: string[][] = [[...EVIDENCE_COLUMNS]];
  for (const user of review.users) {
    const followUp = followUpOf(review, user.email);
    rows.push([
      user.name,
      user.email,
      user.role,
      lastLoginText(user),
      user.flags.join('; '),
      user.decision?.kind ?? '',
      user.decision?.kind === 'change_role' ? user.decision.to : '',
      user.decision?.reason ?? '',
      user.decidedBy ?? '',
      user.decidedAt ?? '',
      followUp?.doneBy ?? '',
      followUp?.doneAt ?? '',
      meta.period,
      meta.account ?? '',
      meta.reviewer,
      review.startedAt,
      review.completedAt ?? '',
    ]);
  }
  return `${rows.map((row) => row.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

function md(text: string): string {
  return text
    .replace(/\r?\n|\r/g, ' ')
    .replace(/[\\`*_[\]<>|#]/g, (c) => `\\${c}`)
    .trim();
}

function decisionText(user: ReviewUser): string {
  if (!user.decision) return 'undecided';
  if (user.decision.kind === 'change_role') return `change role to ${user.decision.to}`;
  return user.decision.kind;
}

/** A readable report for the evidence folder. */
export function evidenceMarkdown(review: Review, meta: EvidenceMeta): string {
  const summary = reviewSummary(review);
  const lines: string[] = [];
  lines.push(`# Klaviyo user access review: ${md(meta.period)}`, '');
  if (meta.account) lines.push(`- Account: ${md(meta.account)}`);
  lines.push(`- Period: ${md(meta.period)}`);
  lines.push(`- Reviewer: ${md(meta.reviewer)}`);
  lines.push(`- Started: ${review.startedAt}`);
  lines.push(
    review.completedAt
      ? `- Completed: ${review.completedAt}${review.completedBy ? ` by ${md(review.completedBy)}` : ''}`
      : '- Completed: not yet',
  );
  lines.push(
    `- Policy: idle after ${review.policy.idleDays} days; at most ${review.policy.maxAdmins} Admins; company domains: ${
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
      ? `done${item.doneBy ? ` by ${md(item.doneBy)}` : ''}${item.doneAt ? ` at ${item.doneAt}` : ''}`
      : 'not done';
    lines.push(`- ${ACCOUNT_ITEMS[item.id].title}: ${state}${item.note ? ` (${md(item.note)})` : ''}`);
  }

  if (review.followUps.length > 0) {
    lines.push('', '## Follow-ups', '');
    for (const followUp of review.followUps) {
      const state = followUp.doneAt ? `done by ${md(followUp.doneBy ?? '?')} at ${followUp.doneAt}` : 'open';
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
        ? `${followUp.doneBy ?? '?'} at ${followUp.doneAt}`
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
      user.decidedBy ?? '',
      user.decidedAt ?? '',
      followUpText,
    ];
    lines.push(`| ${cells.map(md).join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}
