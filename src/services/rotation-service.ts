import {
  applyRotationAction,
  type KeyLocation,
  type RotationAction,
  startRotation,
  type Transition,
} from '../checklists/rotation.js';
import { CheckupError, type RequestErrorCode } from '../errors.js';
import type { LivenessChecker } from '../klaviyo/liveness.js';
import type { Logger } from '../log.js';
import { pagesOf } from '../scan/occurrence-groups.js';
import type { SlackGateway } from '../slack/gateway.js';
import { notice } from '../slack/views/help.js';
import { rotationMessage, rotationSummary } from '../slack/views/rotation-message.js';
import type { KeyStatus } from '../slack/views/scan-message.js';
import type { AuditLog } from '../store/audit.js';
import type { Database } from '../store/database.js';
import type { ExposedKeyRepository } from '../store/exposed-keys.js';
import { newId } from '../store/ids.js';
import type { KeyKeeper } from '../store/key-keeper.js';
import type { RotationRecord, RotationRepository } from '../store/rotations.js';
import type { ScanRecord, ScanReport, ScanRepository } from '../store/scans.js';
import type { MessageReconciler } from './message-reconciler.js';

export interface AppliedAction {
  record: RotationRecord;
  transition: Transition;
}

export interface RotationServiceDeps {
  db: Database;
  rotations: RotationRepository;
  scans: ScanRepository;
  keys: ExposedKeyRepository;
  audit: AuditLog;
  gateway: SlackGateway;
  liveness: LivenessChecker;
  keeper: KeyKeeper;
  log: Logger;
  now?: () => Date;
  /**
   * Runs a re-scan of the rotation's site that posts nothing of its own; resolves with the finished
   * scan (whose result has come back through `onScanFinished` by then).
   */
  rescan: (rotation: RotationRecord, userId: string) => Promise<ScanRecord>;
  /** Re-renders a scan message (its "Start rotation" button becomes "Open rotation"). */
  refreshScan: (scanId: string) => Promise<void>;
  /** Keeps each checklist message showing its stored state. */
  reconciler: MessageReconciler;
}

/** Runs rotation checklists: starts them, applies each action once, and keeps their message current. */
export class RotationService {
  readonly #deps: RotationServiceDeps;
  readonly #now: () => Date;

  constructor(deps: RotationServiceDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
    deps.reconciler.register('rotation', (id) => {
      const record = deps.rotations.get(id);
      return record === undefined ? undefined : { message: rotationMessage(id, record.state, this.#now()) };
    });
  }

  async start(input: {
    scanId: string;
    fingerprint: string;
    userId: string;
    channelId: string;
    responseUrl?: string;
  }): Promise<RotationRecord> {
    const { rotations, scans, keys, gateway, audit, log } = this.#deps;
    const existing = rotations.openForKey(input.fingerprint);
    if (existing !== undefined) return existing;
    const scan = scans.get(input.scanId);
    const finding = scan?.report?.findings.find((candidate) => candidate.fingerprint === input.fingerprint);
    const key = keys.get(input.fingerprint);
    if (scan === undefined || finding === undefined || key === undefined) {
      throw new CheckupError<RequestErrorCode>(
        'not_found',
        'That scan result is no longer available; run the scan again.',
      );
    }
    const locations: KeyLocation[] = finding.occurrences.map((occurrence) => ({
      url: occurrence.url,
      page: occurrence.page,
      context: occurrence.context,
      resource: occurrence.resource,
    }));
    const state = startRotation({
      key: {
        masked: finding.masked,
        fingerprint: finding.fingerprint,
        ...(finding.accountPublicKey ? { accountPublicKey: finding.accountPublicKey } : {}),
      },
      target: scan.target,
      locations,
      locationCount: finding.occurrenceCount,
      pagesSeen: pagesOf(finding.occurrences).length,
      keyKept: this.#deps.keeper.has(input.fingerprint),
      keyKeptDurably: this.#deps.keeper.durable,
      startedBy: input.userId,
      now: this.#now(),
    });
    const id = newId();
    const record: Omit<RotationRecord, 'revision' | 'status' | 'completedAt'> = {
      id,
      fingerprint: input.fingerprint,
      target: scan.target,
      channelId: input.channelId,
      startedBy: input.userId,
      startedAt: state.startedAt,
      state,
    };
    try {
      this.#deps.db.transaction(() => {
        rotations.create(record);
        audit.append({
          subjectType: 'rotation',
          subjectId: id,
          actor: input.userId,
          action: 'started the rotation',
          at: state.startedAt,
        });
      })();
    } catch (error) {
      // Two people pressed "Start rotation" at once: the unique index let one through.
      const winner = rotations.openForKey(input.fingerprint);
      if (winner !== undefined) return winner;
      throw error;
    }

    const message = rotationMessage(id, state, this.#now());
    let posted: { channel: string; ts: string };
    try {
      posted = await gateway.postHereOrDirect(input.channelId, input.userId, message);
    } catch (error) {
      // A checklist nobody can see must not stay open: it would block the next start for this key.
      rotations.discard(id);
      throw error;
    }
    const { channel } = posted;
    if (channel !== input.channelId && input.responseUrl) {
      await gateway
        .respond(input.responseUrl, {
          ...notice(
            'The rotation checklist is in your direct messages with the bot. To run it in this channel with the team, invite the bot (`/invite @klaviyo-checkup`) and start it again.',
          ),
          response_type: 'ephemeral',
          replace_original: false,
        })
        .catch(() => undefined);
    }
    rotations.setMessage(id, channel, posted.ts);
    this.#deps.reconciler.posted({ kind: 'rotation', subjectId: id, channelId: channel, ts: posted.ts });
    await gateway.postQuietly(
      channel,
      notice(`<@${input.userId}> started the rotation of \`${state.key.masked}\`.`),
      posted.ts,
    );
    log.info('rotation started', { rotationId: id, fingerprint: input.fingerprint.slice(0, 16) });
    await this.#deps.refreshScan(input.scanId).catch(() => undefined);
    // No copy of the key is left (the scan ended a while ago, or the bot restarted since): a re-scan of
    // where it was reads it again, so the bot can still check it with Klaviyo.
    if (!state.keyKept) await this.rescan(id, input.userId);
    return rotations.get(id) as RotationRecord;
  }

  get(id: string): RotationRecord | undefined {
    return this.#deps.rotations.get(id);
  }

  /**
   * Applies one action. The read, the transition, the save and the audit entries happen in one
   * synchronous SQLite transaction, so concurrent clicks are applied one after another and a repeated
   * click changes nothing. Slack is told afterwards.
   */
  async act(rotationId: string, action: RotationAction, actor: string): Promise<Transition> {
    const applied = this.apply(rotationId, action, actor);
    await this.publish(applied, actor);
    return applied.transition;
  }

  /** The synchronous half of `act`: throws CheckupError before anything is saved. */
  apply(rotationId: string, action: RotationAction, actor: string): AppliedAction {
    const { db, rotations, audit } = this.#deps;
    const now = this.#now();
    return db
      .transaction(() => {
        const record = rotations.get(rotationId);
        if (record === undefined)
          throw new CheckupError<RequestErrorCode>('not_found', 'That rotation no longer exists.');
        const transition = applyRotationAction(record.state, action, actor, now);
        if (!transition.changed) return { record, transition };
        if (!rotations.save(rotationId, transition.state, record.revision)) {
          throw new Error('rotation changed during its own transaction');
        }
        for (const event of transition.events) {
          audit.append({
            subjectType: 'rotation',
            subjectId: rotationId,
            actor,
            action: event,
            at: now.toISOString(),
          });
        }
        return { record, transition };
      })
      .immediate();
  }

  /** The asynchronous half of `act`: updates the message, logs to the thread, finishes a completed rotation. */
  async publish(applied: AppliedAction, actor: string): Promise<void> {
    if (applied.transition.changed) await this.#announce(applied.record, applied.transition, actor);
  }

  async #announce(record: RotationRecord, transition: Transition, actor: string): Promise<void> {
    const { gateway, log } = this.#deps;
    if (record.messageTs !== undefined) {
      const ts = record.messageTs;
      await this.#deps.reconciler.changed({
        kind: 'rotation',
        subjectId: record.id,
        channelId: record.channelId,
        ts,
      });
      // One line per change: what one click or one re-scan did is told in one thread message.
      const who = actor === 'klaviyo-checkup' ? 'The bot' : `<@${actor}>`;
      if (transition.events.length > 0)
        await gateway.postQuietly(
          record.channelId,
          notice(transition.events.map((event) => `${who} ${event}.`).join('\n')),
          ts,
        );
    }
    if (transition.completedNow) {
      this.#deps.keeper.forget(record.fingerprint);
      log.info('rotation completed; the kept copy of the key was wiped', { rotationId: record.id });
      await gateway.postQuietly(record.channelId, rotationSummary(transition.state));
    }
  }

  /** A finished scan of a rotation's site tells it whether the key is still in the site's code. */
  async onScanFinished(
    scan: ScanRecord,
    report: ScanReport,
    _keys: Record<string, KeyStatus>,
  ): Promise<void> {
    for (const rotation of this.#deps.rotations.listOpenForTarget(scan.target)) {
      if (!rotation.state.keyKept && this.#deps.keeper.has(rotation.fingerprint))
        await this.act(
          rotation.id,
          { type: 'key_kept', durably: this.#deps.keeper.durable },
          'klaviyo-checkup',
        ).catch((error: unknown) =>
          this.#deps.log.warn('could not record a key read again', { rotationId: rotation.id, error }),
        );
      const clean = !report.findings.some((finding) => finding.fingerprint === rotation.fingerprint);
      // A scan cut short by a limit, or one that could not fetch a place where the key was, proves nothing.
      const places = new Set(rotation.state.locations.flatMap((location) => [location.url, location.page]));
      const missedAPlace = report.errors.some((error) => places.has(error.url));
      if (clean && (!report.complete || missedAPlace)) continue;
      const stillOn = pagesOf(
        report.findings.find((finding) => finding.fingerprint === rotation.fingerprint)?.occurrences ?? [],
      );
      await this.act(
        rotation.id,
        { type: 'rescan_result', clean, scanId: scan.id, stillOn },
        'klaviyo-checkup',
      ).catch((error: unknown) =>
        this.#deps.log.warn('could not record a re-scan on a rotation', { rotationId: rotation.id, error }),
      );
    }
  }

  /**
   * Re-scans the rotation's site in the background. Its result is one line in the checklist's thread
   * (from `onScanFinished`); a scan that proves nothing says so in one line; nothing is said once the
   * rotation is complete.
   */
  async rescan(rotationId: string, userId: string): Promise<void> {
    const rotation = this.#deps.rotations.get(rotationId);
    if (rotation === undefined)
      throw new CheckupError<RequestErrorCode>('not_found', 'That rotation no longer exists.');
    if (rotation.status === 'completed')
      throw new CheckupError<RequestErrorCode>(
        'conflict',
        'This rotation is complete; run `/klaviyo-scan` on the site to check it again.',
      );
    const finished = this.#deps.rescan(rotation, userId);
    void finished
      .then((scan) => this.#rescanProvedNothing(rotationId, scan))
      .catch((error: unknown) =>
        this.#deps.log.warn('a rotation re-scan could not run', { rotationId, error: String(error) }),
      );
  }

  /** The one line for a re-scan that could not finish, or finished without proving anything. */
  async #rescanProvedNothing(rotationId: string, scan: ScanRecord): Promise<void> {
    const rotation = this.#deps.rotations.get(rotationId);
    if (rotation?.status !== 'open' || rotation.messageTs === undefined) return;
    if (rotation.state.proof.rescan?.scanId === scan.id) return;
    const why =
      scan.status === 'done'
        ? scan.report?.complete === false
          ? 'it stopped at a limit before it had checked every page'
          : 'it could not fetch every page where the key was seen'
        : scan.status === 'interrupted'
          ? 'the bot restarted while it ran'
          : `the site could not be scanned (${scan.error ?? 'unknown error'})`;
    await this.#deps.gateway.postQuietly(
      rotation.channelId,
      notice(
        `The re-scan proves nothing yet: ${why}. The checklist is unchanged; press *Re-scan* to try again.`,
      ),
      rotation.messageTs,
    );
  }

  /** "Check now": asks Klaviyo about the kept key, then re-scans; verification completes when both agree. */
  async checkNow(rotationId: string, userId: string): Promise<void> {
    const { rotations, keys, keeper, liveness } = this.#deps;
    const rotation = rotations.get(rotationId);
    if (rotation === undefined)
      throw new CheckupError<RequestErrorCode>('not_found', 'That rotation no longer exists.');
    const key = keeper.get(rotation.fingerprint);
    if (key === undefined) {
      // Kept in memory only, and the bot has restarted since: the team confirms revocation by hand.
      await this.act(rotationId, { type: 'key_unavailable' }, 'klaviyo-checkup');
    } else {
      const answer = await liveness.check(key);
      keys.recordLiveness(
        rotation.fingerprint,
        answer.status,
        answer.accountPublicKey,
        this.#now().toISOString(),
      );
      await this.act(rotationId, { type: 'liveness_result', status: answer.status }, 'klaviyo-checkup');
    }
    await this.rescan(rotationId, userId);
  }

  /** Rotations still open, for App Home and reminders. */
  listOpen(): RotationRecord[] {
    return this.#deps.rotations.listOpen();
  }
}
