import {
  type AccountItemId,
  completeFollowUp,
  completeReview,
  type Decision,
  decide,
  type Review,
  reopenFollowUp,
  setAccountItem,
  startReview,
} from '../checklists/review.js';
import { evidenceCsv, evidenceMarkdown } from '../checklists/review-evidence.js';
import { diffRosters, parseRosterParts, type RosterUser } from '../checklists/roster.js';
import type { Config } from '../config.js';
import { CheckupError, type RequestErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { scrubSecrets } from '../scan/detector.js';
import { nextOccurrence } from '../schedule/cron.js';
import { toWallClock } from '../schedule/wall-clock.js';
import type { SlackGateway } from '../slack/gateway.js';
import { notice } from '../slack/views/help.js';
import {
  type ReviewView,
  reviewDetailMessages,
  reviewMessage,
  rosterMessages,
} from '../slack/views/review-message.js';
import type { AuditLog } from '../store/audit.js';
import type { Database } from '../store/database.js';
import { newId } from '../store/ids.js';
import type { ReviewRecord, ReviewRepository } from '../store/reviews.js';

export interface ReviewServiceDeps {
  db: Database;
  reviews: ReviewRepository;
  audit: AuditLog;
  gateway: SlackGateway;
  log: Logger;
  config: Pick<Config, 'review'>;
  now?: () => Date;
}

export type ReviewChange =
  | { type: 'decide'; index: number; decision: Decision }
  | { type: 'follow_up'; id: string; done: boolean }
  | { type: 'account_item'; id: AccountItemId; done: boolean; note?: string }
  | { type: 'complete' };

const MAX_ROSTER_CHARACTERS = 2_000_000;

/** Runs the quarterly user and role review: start from a roster, record decisions, complete with evidence. */
export class ReviewService {
  readonly #deps: ReviewServiceDeps;
  readonly #now: () => Date;

  constructor(deps: ReviewServiceDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  open(): ReviewRecord | undefined {
    return this.#deps.reviews.open();
  }

  get(id: string): ReviewRecord | undefined {
    return this.#deps.reviews.get(id);
  }

  latestCompleted(): ReviewRecord | undefined {
    return this.#deps.reviews.latestCompleted();
  }

  /** When the next review is due after `after`, by the configured schedule. */
  nextDue(after: Date = this.#now()): Date {
    return nextOccurrence(this.#deps.config.review.schedule, after, this.#deps.config.review.timeZone);
  }

  view(record: ReviewRecord): ReviewView {
    return {
      id: record.id,
      period: record.period,
      state: record.state,
      unreadable: record.unreadable,
      ...(record.changes ? { changes: record.changes } : {}),
      ...(record.completedAt ? { nextDue: this.nextDue(new Date(record.completedAt)).toISOString() } : {}),
    };
  }

  /** Reads the roster from pasted parts, a file, or the previous review, and opens the review. */
  async start(input: {
    userId: string;
    channelId: string;
    parts: string[];
    fileId?: string;
    usePrevious: boolean;
  }): Promise<ReviewRecord> {
    const { reviews, gateway, log, config } = this.#deps;
    const existing = reviews.open();
    if (existing !== undefined)
      throw new CheckupError<RequestErrorCode>(
        'conflict',
        'A review is already open; finish it first (its message is in the channel where it started).',
      );
    const now = this.#now();
    const previous = reviews.latestCompleted();
    const parts = input.parts.filter((part) => part.trim() !== '');
    if (input.fileId !== undefined) {
      try {
        parts.push(await gateway.readFile(input.fileId));
      } catch (error) {
        throw new CheckupError<RequestErrorCode>(
          'unreadable',
          `The attached file could not be read: ${error instanceof Error ? error.message : String(error)}.`,
        );
      }
    }
    if (parts.reduce((total, part) => total + part.length, 0) > MAX_ROSTER_CHARACTERS) {
      throw new CheckupError<RequestErrorCode>(
        'unreadable',
        'That roster is too large to be a Klaviyo Users page; check the file.',
      );
    }
    let users: RosterUser[];
    let unreadable: ReviewRecord['unreadable'] = [];
    if (parts.length > 0) {
      const parsed = parseRosterParts(parts, now);
      users = parsed.users;
      unreadable = parsed.unreadable.map((line) => ({
        line: line.line,
        // Whatever was pasted by mistake (a key, say) is masked before the line is kept.
        text: scrubSecrets(line.text),
        reason: line.reason,
        ...(line.part === undefined ? {} : { part: line.part }),
      }));
    } else if (input.usePrevious && previous !== undefined) {
      users = previous.state.users.map(
        ({ flags: _flags, decision: _decision, decidedBy: _by, decidedAt: _at, ...user }) => user,
      );
    } else {
      throw new CheckupError<RequestErrorCode>(
        'usage',
        'Paste the roster from Klaviyo (Settings > Users), attach it as a file, or start from the previous review.',
      );
    }
    if (users.length === 0) {
      throw new CheckupError<RequestErrorCode>(
        'unreadable',
        `No users could be read from the roster (${unreadable.length} unreadable line(s)). Copy the table from Settings > Users and paste it again.`,
      );
    }
    // The reviewer's own Klaviyo account is flagged: a decision on it needs a reason.
    const reviewerEmail = await gateway.userEmail(input.userId).catch(() => undefined);
    const state = startReview(
      users,
      {
        companyDomains: config.review.companyDomains,
        maxAdmins: config.review.maxAdmins,
        idleDays: config.review.idleDays,
      },
      { slackUser: input.userId, ...(reviewerEmail ? { email: reviewerEmail } : {}) },
      now,
    );
    const id = newId();
    const changes = previous === undefined ? undefined : diffRosters(previous.state.users, users);
    const record = {
      id,
      period: periodOf(now, config.review.timeZone),
      channelId: input.channelId,
      startedBy: input.userId,
      startedAt: now.toISOString(),
      state,
      unreadable,
      ...(changes ? { changes } : {}),
    };
    this.#deps.db.transaction(() => {
      reviews.create(record);
      this.#deps.audit.append({
        subjectType: 'review',
        subjectId: id,
        actor: input.userId,
        action: `started the review with ${users.length} users`,
        at: now.toISOString(),
      });
    })();
    const saved = reviews.get(id) as ReviewRecord;
    const message = reviewMessage(this.view(saved));
    let channel: string;
    let ts: string;
    try {
      ({ channel, ts } = await gateway.postHereOrDirect(input.channelId, input.userId, message));
    } catch (error) {
      // A review nobody can see must not stay open: it would block the next one.
      reviews.discard(id);
      throw error;
    }
    reviews.setMessage(id, channel, ts);
    for (const detail of [...reviewDetailMessages(this.view(saved)), ...rosterMessages(this.view(saved))]) {
      await gateway.postQuietly(channel, detail, ts);
    }
    log.info('review started', { reviewId: id, users: users.length, unreadable: unreadable.length });
    return reviews.get(id) as ReviewRecord;
  }

  /** Applies one change in one transaction (so concurrent clicks apply one after another), then tells Slack. */
  async change(reviewId: string, change: ReviewChange, actor: string): Promise<ReviewRecord> {
    const applied = this.apply(reviewId, change, actor);
    await this.publish(applied, change, actor);
    return applied.after;
  }

  apply(
    reviewId: string,
    change: ReviewChange,
    actor: string,
  ): { before: ReviewRecord; after: ReviewRecord; changed: boolean } {
    const { db, reviews, audit } = this.#deps;
    const now = this.#now();
    return db
      .transaction(() => {
        const before = reviews.get(reviewId);
        if (before === undefined)
          throw new CheckupError<RequestErrorCode>('not_found', 'That review no longer exists.');
        const state = transition(before.state, change, actor, now);
        const changed = JSON.stringify(state) !== JSON.stringify(before.state);
        if (!changed) return { before, after: before, changed };
        if (!reviews.save(reviewId, state, before.revision))
          throw new Error('review changed during its own transaction');
        audit.append({
          subjectType: 'review',
          subjectId: reviewId,
          actor,
          action: describeChange(before.state, change),
          at: now.toISOString(),
        });
        return { before, after: reviews.get(reviewId) as ReviewRecord, changed };
      })
      .immediate();
  }

  async publish(
    applied: { before: ReviewRecord; after: ReviewRecord; changed: boolean },
    change: ReviewChange,
    actor: string,
  ): Promise<void> {
    if (!applied.changed) return;
    const { gateway, reviews } = this.#deps;
    const record = applied.after;
    if (record.messageTs !== undefined) {
      const ts = record.messageTs;
      await gateway.updateLatest(record.channelId, ts, () =>
        reviewMessage(this.view(reviews.get(record.id) ?? record)),
      );
      // Decisions live in the evidence; follow-ups, account items and completion are worth a line in the thread.
      if (change.type !== 'decide') {
        await gateway.postQuietly(
          record.channelId,
          notice(`<@${actor}> ${describeChange(applied.before.state, change)}.`),
          ts,
        );
      }
    }
    if (change.type === 'complete' && record.completedAt !== undefined) await this.#finish(record);
  }

  /** Exports the evidence, keeps it, uploads it, and says when the next review is due. */
  async #finish(record: ReviewRecord): Promise<void> {
    const { gateway, reviews, log } = this.#deps;
    const meta = { reviewer: record.state.completedBy ?? record.startedBy, period: record.period };
    const csv = evidenceCsv(record.state, meta);
    const markdown = evidenceMarkdown(record.state, meta);
    reviews.storeEvidence(record.id, csv, markdown);
    const next = this.nextDue(new Date(record.completedAt as string));
    try {
      const name = `klaviyo-access-review-${record.period.replace(/\s+/g, '-')}`;
      await gateway.uploadFiles(
        record.channelId,
        `Evidence of the Klaviyo access review ${record.period}.`,
        [
          { filename: `${name}.csv`, title: `Access review ${record.period} (CSV)`, content: csv },
          { filename: `${name}.md`, title: `Access review ${record.period} (Markdown)`, content: markdown },
        ],
        record.messageTs,
      );
    } catch (error) {
      log.warn('could not upload the review evidence; it is kept in the database', {
        reviewId: record.id,
        error: String(error),
      });
    }
    const summary = reviewMessage(this.view(record));
    await gateway.postQuietly(
      record.channelId,
      notice(
        `:white_check_mark: The Klaviyo access review ${record.period} is complete: ${summary.text.replace(/^.*?: /, '')}. Next review due ${next.toISOString().slice(0, 10)}.`,
      ),
    );
    log.info('review completed', { reviewId: record.id, nextDue: next.toISOString() });
  }
}

function transition(state: Review, change: ReviewChange, actor: string, now: Date): Review {
  switch (change.type) {
    case 'decide': {
      const user = state.users[change.index];
      if (user === undefined)
        throw new CheckupError<RequestErrorCode>('not_found', 'That user is not in this review.');
      return decide(state, user.email, change.decision, actor, now);
    }
    case 'follow_up':
      return change.done ? completeFollowUp(state, change.id, actor, now) : reopenFollowUp(state, change.id);
    case 'account_item':
      return setAccountItem(state, change.id, change.done, actor, now, change.note);
    case 'complete':
      return completeReview(state, actor, now);
  }
}

function describeChange(state: Review, change: ReviewChange): string {
  switch (change.type) {
    case 'decide': {
      const email = state.users[change.index]?.email ?? 'a user';
      const decision = change.decision;
      return decision.kind === 'change_role'
        ? `decided to change ${email} to ${decision.to}`
        : `decided to ${decision.kind} ${email}`;
    }
    case 'follow_up':
      return `${change.done ? 'confirmed' : 'reopened'} the follow-up ${change.id.replace(/^(\w+):/, '$1 ').replace(/:/g, ' to ')}`;
    case 'account_item':
      return `${change.done ? 'checked' : 'unchecked'} "${change.id.replace(/_/g, ' ')}"${change.note ? ` (${change.note})` : ''}`;
    case 'complete':
      return 'completed the review';
  }
}

/** "2026 Q4", in the review's time zone. */
export function periodOf(now: Date, timeZone: string): string {
  const wall = toWallClock(now, timeZone);
  return `${wall.year} Q${Math.floor((wall.month - 1) / 3) + 1}`;
}
