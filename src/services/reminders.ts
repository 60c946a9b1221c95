import { Cron } from 'croner';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { previousOccurrence } from '../schedule/cron.js';
import {
  dueNudges,
  dueRescans,
  dueReviewReminder,
  type NudgeRecord,
  type OpenItem,
  snoozeUntil,
} from '../schedule/due.js';
import type { SlackGateway } from '../slack/gateway.js';
import { escapeMrkdwn } from '../slack/views/blocks.js';
import { notice } from '../slack/views/help.js';
import { type ReminderState, reminderMessage, snoozeRefusal } from '../slack/views/reminder-message.js';
import type { ReminderMessage, ReminderRepository } from '../store/reviews.js';
import type { ScanRepository } from '../store/scans.js';
import { plural } from '../words.js';
import type { MessageReconciler } from './message-reconciler.js';
import { type AssignedItem, openReviewFollowUps, openRotationItems } from './open-items.js';
import { periodOf, type ReviewService } from './review-service.js';
import type { RotationService } from './rotation-service.js';
import type { ScanService } from './scan-service.js';
import type { WatchService } from './watch-service.js';

export const SNOOZE_SETTING = 'review_snoozed_until';

export interface SchedulerDeps {
  config: Pick<Config, 'review' | 'reminders' | 'rescan'>;
  log: Logger;
  gateway: SlackGateway;
  reminders: ReminderRepository;
  reviews: ReviewService;
  rotations: RotationService;
  scans: ScanService;
  scanStore: ScanRepository;
  watched: WatchService;
  /** Keeps each reminder message showing what became of its review. */
  reconciler: MessageReconciler;
  now?: () => Date;
}

/** A snooze is recorded, or refused because the review it would put off is under way or done. */
export type SnoozeOutcome = { until: Date } | { refused: string };

export interface TickReport {
  reviewReminder?: string;
  nudges: string[];
  rescans: string[];
}

/**
 * Reminders, nudges and scheduled re-scans. A tick every minute asks the pure functions of
 * schedule/due.ts what is due, from the clock and the reminders already recorded, so a restart neither
 * loses nor repeats a reminder, and a bot that was down catches up once. Re-scans run in the
 * background: a long scan delays no reminder.
 */
export class Scheduler {
  readonly #deps: SchedulerDeps;
  readonly #now: () => Date;
  #ticker: Cron | undefined;
  #running: Promise<TickReport> | undefined;
  /** Scheduled re-scans in progress, by site. */
  readonly #rescanning = new Map<string, Promise<void>>();

  constructor(deps: SchedulerDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
    deps.reconciler.register('reminder', (key) => {
      const reminder = deps.reminders.messageOf(key);
      if (reminder === undefined) return undefined;
      const state = this.#stateFor(new Date(reminder.dueAt));
      const lastCompleted = state.kind === 'due' ? deps.reviews.latestCompleted()?.completedAt : undefined;
      return {
        message: reminderMessage(this.#view(reminder, state, lastCompleted)),
        accepted: () => deps.reminders.setShows(key, state.kind),
      };
    });
  }

  start(): void {
    const tick = () => {
      void this.tick().catch((error: unknown) => this.#deps.log.error('scheduled work failed', { error }));
    };
    this.#ticker = new Cron('* * * * *', tick);
    // Catch up at once on what fell due while the bot was down.
    tick();
  }

  /** Stops ticking and waits for the work in progress (scans being stopped end as interrupted). */
  async stop(): Promise<void> {
    this.#ticker?.stop();
    this.#ticker = undefined;
    await this.#running?.catch(() => undefined);
    await this.idle();
  }

  /** Resolves when the re-scans started by earlier ticks have finished and been announced. */
  async idle(): Promise<void> {
    while (this.#rescanning.size > 0) await Promise.all(this.#rescanning.values());
  }

  /** One pass over everything that may be due; overlapping ticks wait for the one in progress. */
  tick(now: Date = this.#now()): Promise<TickReport> {
    if (this.#running !== undefined) return this.#running;
    this.#running = this.#tick(now).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /**
   * The snooze chosen on a reminder; the reminder comes back after it. Refused, and nothing scheduled,
   * once the review it is about has been started or completed (the message is brought up to date too).
   */
  snooze(
    choice: 'day' | 'week',
    message?: { channelId: string; ts: string },
    now: Date = this.#now(),
  ): SnoozeOutcome {
    const { config, reminders } = this.#deps;
    const known = message === undefined ? undefined : reminders.messageAt(message.channelId, message.ts);
    const dueAt = known
      ? new Date(known.dueAt)
      : previousOccurrence(config.review.schedule, now, config.review.timeZone);
    const state = dueAt === undefined ? ({ kind: 'due' } as const) : this.#stateFor(dueAt);
    if (state.kind !== 'due' && dueAt !== undefined) {
      void this.refreshReminders();
      return {
        refused: snoozeRefusal(periodOf(dueAt, config.review.timeZone), state, config.review.timeZone),
      };
    }
    const until = snoozeUntil(now, choice, config.review.timeZone);
    reminders.setSetting(SNOOZE_SETTING, until.toISOString());
    return { until };
  }

  /**
   * Brings every reminder message up to date with its review: "under way" once it is started, "done,
   * next due …" once it is completed. Run when a review starts or completes and on every tick, so an
   * update that failed, or was missed by a restart, is made later.
   */
  async refreshReminders(): Promise<void> {
    const { reminders, reconciler } = this.#deps;
    for (const reminder of reminders.unfinishedMessages()) {
      const state = this.#stateFor(new Date(reminder.dueAt));
      if (state.kind === reminder.shows) continue;
      await reconciler.changed({
        kind: 'reminder',
        subjectId: reminder.key,
        channelId: reminder.channelId,
        ts: reminder.messageTs,
      });
    }
  }

  /** What became of the review a reminder due at `dueAt` asked for. */
  #stateFor(dueAt: Date): ReminderState {
    const { reviews } = this.#deps;
    const latest = reviews.latestCompleted();
    if (latest?.completedAt !== undefined && Date.parse(latest.completedAt) >= dueAt.getTime()) {
      const at = new Date(latest.completedAt);
      return {
        kind: 'completed',
        by: latest.state.completedBy ?? latest.startedBy,
        at,
        nextDue: reviews.nextDue(at),
      };
    }
    const open = reviews.open();
    if (open !== undefined) return { kind: 'started', by: open.startedBy, at: new Date(open.startedAt) };
    return { kind: 'due' };
  }

  #view(
    reminder: Pick<ReminderMessage, 'dueAt' | 'firedAt'>,
    state: ReminderState,
    lastCompletedAt?: string,
  ) {
    const timeZone = this.#deps.config.review.timeZone;
    const dueAt = new Date(reminder.dueAt);
    return {
      period: periodOf(dueAt, timeZone),
      dueAt,
      sentAt: new Date(reminder.firedAt),
      timeZone,
      ...(lastCompletedAt ? { lastCompletedAt: new Date(lastCompletedAt) } : {}),
      state,
    };
  }

  async #tick(now: Date): Promise<TickReport> {
    const report: TickReport = { nudges: [], rescans: [] };
    await this.refreshReminders();
    const reminder = await this.#reviewReminder(now);
    if (reminder !== undefined) report.reviewReminder = reminder;
    report.nudges = await this.#nudges(now);
    report.rescans = this.#rescans(now);
    return report;
  }

  async #reviewReminder(now: Date): Promise<string | undefined> {
    const { config, reminders, reviews, gateway, log } = this.#deps;
    if (reviews.open() !== undefined) return undefined;
    const latest = reviews.latestCompleted();
    const channel = config.review.channel ?? latest?.channelId;
    if (channel === undefined) return undefined;
    const snoozed = reminders.getSetting(SNOOZE_SETTING);
    const due = dueReviewReminder({
      schedule: config.review.schedule,
      timeZone: config.review.timeZone,
      now,
      ...(reminders.latest('review-due') ? { lastFired: reminders.latest('review-due') } : {}),
      ...(snoozed ? { snoozedUntil: new Date(snoozed) } : {}),
      ...(latest?.completedAt ? { reviewCompletedAt: new Date(latest.completedAt) } : {}),
    });
    if (due === undefined) return undefined;
    // Recorded before sending: at most once, even if two ticks or two processes race.
    if (!reminders.record(due.key, 'review-due', now.toISOString())) return undefined;
    try {
      const reminder = { dueAt: due.occurrence.toISOString(), firedAt: now.toISOString() };
      const posted = await gateway.post(
        channel,
        reminderMessage(this.#view(reminder, { kind: 'due' }, latest?.completedAt)),
      );
      reminders.setMessage(due.key, posted.channel, posted.ts, reminder.dueAt);
      this.#deps.reconciler.posted({
        kind: 'reminder',
        subjectId: due.key,
        channelId: posted.channel,
        ts: posted.ts,
      });
      log.info('review reminder sent', { key: due.key, channel });
      return due.key;
    } catch (error) {
      reminders.forget(due.key);
      log.warn('could not send the review reminder; it will be tried again', { error: String(error) });
      return undefined;
    }
  }

  /** Owners of overdue checklist items hear about them, at most once a day, until the work is done. */
  async #nudges(now: Date): Promise<string[]> {
    const { config, reminders, rotations, reviews, gateway, log } = this.#deps;
    const review = reviews.open();
    const items: (OpenItem & { label: string; where: string })[] = [
      ...rotations.listOpen().flatMap((rotation) =>
        openRotationItems(rotation).map((item) => ({
          ...overdueInput(item),
          label: item.label,
          where: `the rotation of \`${rotation.state.key.masked}\``,
        })),
      ),
      ...(review === undefined
        ? []
        : openReviewFollowUps(review).map((item) => ({
            ...overdueInput(item),
            label: `In Klaviyo: ${item.label}`,
            where: `the access review ${review.period}`,
          }))),
    ];
    if (items.length === 0) return [];
    const lastNudges: NudgeRecord[] = reminders
      .since('nudge', new Date(now.getTime() - 3 * 86_400_000).toISOString())
      .map((record) => ({ ownerSlackUser: record.key.split(':')[1] ?? '', sentAt: record.firedAt }));
    const sent: string[] = [];
    for (const nudge of dueNudges({
      items,
      now,
      timeZone: config.review.timeZone,
      lastNudges,
      overdueAfterHours: config.reminders.nudgeAfterHours,
    })) {
      if (nudge.ownerSlackUser === '' || !reminders.record(nudge.key, 'nudge', now.toISOString())) continue;
      const lines = nudge.items
        .slice(0, 20)
        .map((item) => {
          const detail = items.find(
            (candidate) => candidate.checklistId === item.checklistId && candidate.itemId === item.itemId,
          );
          return `• ${escapeMrkdwn(detail?.label ?? item.itemId)} (${detail?.where ?? 'a checklist'})`;
        })
        .join('\n');
      try {
        await gateway.post(nudge.ownerSlackUser, notice(`:wave: Still open and assigned to you:\n${lines}`));
        sent.push(nudge.key);
      } catch (error) {
        reminders.forget(nudge.key);
        log.warn('could not nudge an owner', { owner: nudge.ownerSlackUser, error: String(error) });
      }
    }
    return sent;
  }

  /**
   * Starts the re-scans of watched sites that are due (and not already running); only keys not seen in
   * the previous scan are announced. Returns the sites started. The scans run beside the tick, which
   * does not wait for them.
   */
  #rescans(now: Date): string[] {
    const { config, scanStore, log, reviews, watched } = this.#deps;
    const watching = watched.list();
    if (watching.length === 0) return [];
    const sites = watching.map((site) => {
      const last = scanStore.latestEnded(site.target);
      return { url: site.target, ...(last?.finishedAt ? { lastScanAt: last.finishedAt } : {}) };
    });
    const due = dueRescans({
      sites,
      schedule: config.rescan.schedule,
      timeZone: config.review.timeZone,
      now,
    }).filter((target) => !this.#rescanning.has(target));
    const fallback = config.review.channel ?? reviews.latestCompleted()?.channelId;
    for (const target of due) {
      const from = watching.find((site) => site.target === target)?.channelId;
      const channel = config.rescan.channel ?? from ?? fallback;
      const run = this.#rescan(target, channel)
        .catch((error: unknown) => log.error('scheduled re-scan failed', { target, error }))
        .finally(() => this.#rescanning.delete(target));
      this.#rescanning.set(target, run);
    }
    return due;
  }

  async #rescan(target: string, channel: string | undefined): Promise<void> {
    const { scanStore, scans, gateway, log } = this.#deps;
    const previous = scanStore.latestFinished(target);
    const known = new Set(previous?.report?.findings.map((finding) => finding.fingerprint) ?? []);
    const scan = await scans.scanQuietly(target, channel ?? 'scheduled');
    const fresh = scan.report?.findings.filter((finding) => !known.has(finding.fingerprint)) ?? [];
    log.info('scheduled re-scan finished', { target, status: scan.status, newKeys: fresh.length });
    if (fresh.length === 0 || channel === undefined) return;
    await gateway.postQuietly(
      channel,
      notice(
        `:rotating_light: The scheduled scan of ${target} found ${plural(fresh.length, 'new exposed Klaviyo private key')}: ${fresh
          .map((finding) => `\`${finding.masked}\``)
          .join(', ')}. Run \`/klaviyo-scan ${target}\` for the details and the rotation checklist.`,
      ),
    );
  }
}

function overdueInput(item: AssignedItem): OpenItem {
  return {
    checklistId: item.checklistId,
    itemId: item.itemId,
    ownerSlackUser: item.owner,
    openedAt: item.openedAt,
    done: false,
  };
}
