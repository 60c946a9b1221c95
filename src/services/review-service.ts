import {
  type AppliedReviewChange,
  applyReviewChange,
  type ReviewChange,
  reviewProgress,
  type SkippedUser,
  startReview,
} from '../checklists/review.js';
import { evidenceCsv, evidenceMarkdown, type Person, peopleOf } from '../checklists/review-evidence.js';
import { diffRosters, parseRosterParts, type RosterUser } from '../checklists/roster.js';
import type { Config } from '../config.js';
import { CheckupError, type RequestErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { scrubSecrets } from '../scan/detector.js';
import { nextOccurrence } from '../schedule/cron.js';
import { toWallClock } from '../schedule/wall-clock.js';
import type { SlackGateway } from '../slack/gateway.js';
import { slackDate } from '../slack/views/blocks.js';
import { notice } from '../slack/views/help.js';
import {
  attentionMessages,
  decidedSummary,
  inChannel,
  type ReviewView,
  reviewDetailMessages,
  reviewMessage,
} from '../slack/views/review-message.js';
import type { AuditLog } from '../store/audit.js';
import type { Database } from '../store/database.js';
import { newId } from '../store/ids.js';
import type { ReviewRecord, ReviewRepository } from '../store/reviews.js';
import { plural } from '../words.js';
import type { MessageReconciler } from './message-reconciler.js';

export interface ReviewServiceDeps {
  db: Database;
  reviews: ReviewRepository;
  audit: AuditLog;
  gateway: SlackGateway;
  log: Logger;
  config: Pick<Config, 'review'>;
  now?: () => Date;
  /** Told when a review starts and when it completes (the reminder's message follows the review). */
  onStartedOrCompleted?: () => Promise<void>;
  /** Keeps the review's message showing its stored state. */
  reconciler: MessageReconciler;
}

export type { ReviewChange } from '../checklists/review.js';

/** A change as applied: the record before and after, and what the audit trail says about it. */
export interface AppliedReview {
  before: ReviewRecord;
  after: ReviewRecord;
  changed: boolean;
  event: string;
  skipped: SkippedUser[];
}

const MAX_ROSTER_CHARACTERS = 2_000_000;

/** Runs the quarterly user and role review: start from a roster, record decisions, complete with evidence. */
export class ReviewService {
  readonly #deps: ReviewServiceDeps;
  readonly #now: () => Date;

  constructor(deps: ReviewServiceDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
    deps.reconciler.register('review', (id) => {
      const record = deps.reviews.get(id);
      return record === undefined ? undefined : { message: reviewMessage(this.view(record)) };
    });
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
    /** The Klaviyo account reviewed, as the reviewer names it. */
    account?: string;
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
        `No users could be read from the roster (${plural(unreadable.length, 'unreadable line')}). Copy the table from Settings > Users and paste it again.`,
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
    const account = scrubSecrets(input.account?.trim() ?? '') || previous?.state.account;
    if (account) state.account = account;
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
        action: `started the review with ${plural(users.length, 'user')}`,
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
    this.#deps.reconciler.posted({ kind: 'review', subjectId: id, channelId: channel, ts });
    // The thread carries counts and who needs attention; the roster itself is in the user list.
    for (const detail of [
      ...reviewDetailMessages(this.view(saved)),
      ...attentionMessages(this.view(saved)),
    ]) {
      await gateway.postQuietly(channel, detail, ts);
    }
    log.info('review started', { reviewId: id, users: users.length, unreadable: unreadable.length });
    await this.#tellLifecycle();
    return reviews.get(id) as ReviewRecord;
  }

  /** Applies one change in one transaction (so concurrent clicks apply one after another), then tells Slack. */
  async change(reviewId: string, change: ReviewChange, actor: string): Promise<AppliedReview> {
    const applied = this.apply(reviewId, change, actor);
    await this.publish(applied, change, actor);
    return applied;
  }

  apply(reviewId: string, change: ReviewChange, actor: string): AppliedReview {
    const { db, reviews, audit } = this.#deps;
    const now = this.#now();
    return db
      .transaction(() => {
        const before = reviews.get(reviewId);
        if (before === undefined)
          throw new CheckupError<RequestErrorCode>('not_found', 'That review no longer exists.');
        const result: AppliedReviewChange = applyReviewChange(before.state, change, actor, now);
        const { state, event, skipped } = result;
        const changed = JSON.stringify(state) !== JSON.stringify(before.state);
        if (!changed) return { before, after: before, changed, event, skipped };
        if (!reviews.save(reviewId, state, before.revision))
          throw new Error('review changed during its own transaction');
        audit.append({
          subjectType: 'review',
          subjectId: reviewId,
          actor,
          action: event,
          at: now.toISOString(),
        });
        return { before, after: reviews.get(reviewId) as ReviewRecord, changed, event, skipped };
      })
      .immediate();
  }

  async publish(applied: AppliedReview, change: ReviewChange, actor: string): Promise<void> {
    if (!applied.changed) return;
    const { gateway, reconciler } = this.#deps;
    const record = applied.after;
    if (record.messageTs !== undefined) {
      const ts = record.messageTs;
      await reconciler.changed({ kind: 'review', subjectId: record.id, channelId: record.channelId, ts });
      // Single decisions live in the evidence; bulk decisions, follow-ups, account items and
      // completion are worth a line in the thread.
      if (change.type !== 'decide') {
        const line = inChannel(applied.event, record.state.users);
        await gateway.postQuietly(record.channelId, notice(`<@${actor}> ${line}.`), ts);
      }
    }
    if (change.type === 'complete' && record.completedAt !== undefined) await this.#finish(record);
  }

  /**
   * Exports the evidence, keeps it, and uploads it to the review's thread, where the auditor's copy is
   * expected: the files list every user with email, role, last login and decision, which the messages
   * of the channel do not show. The thread is told when the next review is due.
   */
  async #finish(record: ReviewRecord): Promise<void> {
    const { gateway, reviews, log } = this.#deps;
    const meta = {
      reviewer: record.state.completedBy ?? record.startedBy,
      period: record.period,
      people: await this.#people(peopleOf(record.state)),
      ...(record.state.account ? { account: record.state.account } : {}),
    };
    const csv = evidenceCsv(record.state, meta);
    const markdown = evidenceMarkdown(record.state, meta);
    reviews.storeEvidence(record.id, csv, markdown);
    const next = this.nextDue(new Date(record.completedAt as string));
    let sent = false;
    try {
      const name = `klaviyo-access-review-${record.period.replace(/\s+/g, '-')}`;
      await gateway.uploadFiles(
        record.channelId,
        `Evidence of the Klaviyo access review ${record.period}: every user with name, email, role, last login and decision, who decided and when.`,
        [
          { filename: `${name}.csv`, title: `Access review ${record.period} (CSV)`, content: csv },
          { filename: `${name}.md`, title: `Access review ${record.period} (Markdown)`, content: markdown },
        ],
        record.messageTs,
      );
      sent = true;
    } catch (error) {
      log.warn('could not upload the review evidence; it is kept in the database', {
        reviewId: record.id,
        error: String(error),
      });
    }
    await gateway.postQuietly(
      record.channelId,
      notice(
        `:white_check_mark: The Klaviyo access review ${record.period} is complete: ${decidedSummary(reviewProgress(record.state))}. ${
          sent
            ? 'The evidence for the auditor is in this thread.'
            : 'The evidence could not be uploaded; the bot keeps it.'
        } Next review due ${slackDate(next.toISOString(), '{date_long}')}.`,
      ),
    );
    log.info('review completed', { reviewId: record.id, nextDue: next.toISOString() });
    await this.#tellLifecycle();
  }

  async #tellLifecycle(): Promise<void> {
    await this.#deps
      .onStartedOrCompleted?.()
      .catch((error: unknown) =>
        this.#deps.log.warn('could not bring the review reminder up to date', { error: String(error) }),
      );
  }

  /** The Slack profiles (name, email) of the people the evidence names; an ID alone where none is read. */
  async #people(ids: string[]): Promise<Map<string, Person>> {
    const people = new Map<string, Person>();
    for (const id of ids) {
      const profile = await this.#deps.gateway.person(id).catch((error: unknown) => {
        this.#deps.log.warn('could not read a Slack profile for the evidence', {
          userId: id,
          error: String(error),
        });
        return undefined;
      });
      people.set(id, {
        id,
        ...(profile?.name ? { name: profile.name } : {}),
        ...(profile?.email ? { email: profile.email } : {}),
      });
    }
    return people;
  }
}

/** "2026 Q4", in the review's time zone. */
export function periodOf(now: Date, timeZone: string): string {
  const wall = toWallClock(now, timeZone);
  return `${wall.year} Q${Math.floor((wall.month - 1) / 3) + 1}`;
}
