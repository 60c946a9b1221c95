import type { Logger } from '../log.js';
import { isNotAMember, type SlackGateway, slackErrorCode } from '../slack/gateway.js';
import type { SlackMessage } from '../slack/views/blocks.js';
import { notice } from '../slack/views/help.js';
import { scanExportFiles } from '../slack/views/scan-export.js';
import { type KeyStatus, scanDetailMessages, scanMessage } from '../slack/views/scan-message.js';
import type { ExposedKeyRepository } from '../store/exposed-keys.js';
import type { RotationRepository } from '../store/rotations.js';
import type { ScanRecord, ScanReport, ScanRepository } from '../store/scans.js';
import type { MessageReconciler } from './message-reconciler.js';

/** Where a scan's result goes: its message in the channel, the response URL, or nowhere (scheduled). */
export type Delivery = 'channel' | 'response_url' | 'silent';

export interface ScanMessagesDeps {
  gateway: SlackGateway;
  log: Logger;
  scans: ScanRepository;
  keys: ExposedKeyRepository;
  rotations: RotationRepository;
  /** Keeps the scan's message showing its stored state. */
  reconciler: MessageReconciler;
}

type Progress = { pagesScanned: number; scriptsScanned: number; findings: number };

/**
 * A scan's one message in Slack, from the moment it is queued to its result, and everything else a
 * scan tells: the details in its thread, the people who joined it, the response URL where the bot
 * cannot post.
 */
export class ScanMessages {
  constructor(private readonly deps: ScanMessagesDeps) {
    deps.reconciler.register('scan', (id) => {
      const scan = deps.scans.get(id);
      return scan === undefined ? undefined : { message: this.render(scan) };
    });
  }

  #ref(scan: ScanRecord, ts: string) {
    return { kind: 'scan', subjectId: scan.id, channelId: scan.channelId, ts } as const;
  }

  /** The scan's message as the store has it, with its key statuses and open rotations. */
  render(scan: ScanRecord, extra: { progress?: Progress; queuePosition?: number } = {}): SlackMessage {
    const report = scan.report;
    const keys: Record<string, KeyStatus> = {};
    for (const finding of report?.findings ?? []) {
      const stored = this.deps.keys.get(finding.fingerprint);
      const rotation = this.deps.rotations.openForKey(finding.fingerprint);
      keys[finding.fingerprint] = {
        liveness: stored?.liveness ?? 'not_checked',
        ...(stored?.livenessAccount ? { account: stored.livenessAccount } : {}),
        ...(rotation ? { rotationId: rotation.id } : {}),
      };
    }
    return scanMessage({
      scanId: scan.id,
      target: scan.target,
      status: scan.status,
      requestedBy: scan.requestedBy,
      ...(report ? { report, keys } : {}),
      ...(scan.error ? { error: scan.error } : {}),
      progress: extra.progress ?? {
        pagesScanned: scan.pagesScanned,
        scriptsScanned: scan.scriptsScanned,
        findings: 0,
      },
      ...(extra.queuePosition === undefined ? {} : { queuePosition: extra.queuePosition }),
    });
  }

  /**
   * Posts (or reuses) the queued scan's message; falls back to the response URL where the bot cannot
   * post. Returns where the result will go.
   */
  async announce(
    scan: ScanRecord,
    request: { reuseMessageTs?: string; responseUrl?: string },
    queuePosition: number,
  ): Promise<'channel' | 'response_url'> {
    const { gateway, scans, log } = this.deps;
    const message = this.render(scan, { queuePosition });
    if (request.reuseMessageTs !== undefined) {
      try {
        await gateway.update(scan.channelId, request.reuseMessageTs, message);
        scans.setMessage(scan.id, request.reuseMessageTs);
        this.deps.reconciler.posted(this.#ref(scan, request.reuseMessageTs));
        return 'channel';
      } catch (error) {
        log.info('could not reuse the scan message; posting a new one', { error: slackErrorCode(error) });
      }
    }
    try {
      const posted = await gateway.post(scan.channelId, message);
      scans.setMessage(scan.id, posted.ts);
      this.deps.reconciler.posted(this.#ref(scan, posted.ts));
      return 'channel';
    } catch (error) {
      if (!isNotAMember(error) || request.responseUrl === undefined) throw error;
    }
    await gateway.respond(request.responseUrl, {
      ...notice(
        ':mag: Scanning… the result will appear here. To get the live progress and the rotation checklist in this conversation, invite the bot: `/invite @klaviyo-checkup`.',
      ),
      response_type: 'ephemeral',
    });
    return 'response_url';
  }

  /** Redraws the scan's message in place (progress, a rotation that started); no message, no call. */
  show(scan: ScanRecord, progress?: Progress): Promise<void> {
    if (scan.messageTs === undefined) return Promise.resolve();
    // Drawn with the live progress now; a redraw later (by the reconciler) shows what the store has.
    return this.deps.reconciler.changed(this.#ref(scan, scan.messageTs), () =>
      this.render(this.deps.scans.get(scan.id) ?? scan, progress ? { progress } : {}),
    );
  }

  /**
   * The finished scan: its message updated (or the result through the response URL), the details in
   * its thread, and the same result for everyone who joined it.
   */
  async finish(scan: ScanRecord, delivery: Delivery): Promise<void> {
    const { gateway, log, scans } = this.deps;
    // Rendered now: rotations may have started meanwhile, and the message shows them.
    const message = this.render(scan);
    let posted: string | undefined;
    if (delivery === 'channel' && scan.messageTs !== undefined) {
      await this.deps.reconciler.changed(this.#ref(scan, scan.messageTs));
      posted = scan.messageTs;
    } else if (delivery !== 'silent' && scan.responseUrl !== undefined) {
      await gateway
        .respond(scan.responseUrl, { ...message, response_type: 'in_channel' })
        .catch((error: unknown) =>
          log.warn('could not answer through the response URL', { error: String(error) }),
        );
    }
    const report = scan.report;
    if (posted !== undefined && report !== undefined) await this.#details(scan, report, posted);
    for (const watcher of scans.watchers(scan.id)) {
      try {
        await gateway.post(watcher.channelId, message);
      } catch (error) {
        if (watcher.responseUrl) {
          await gateway
            .respond(watcher.responseUrl, { ...message, response_type: 'in_channel' })
            .catch((cause: unknown) => log.warn('could not deliver a joined scan', { error: String(cause) }));
        } else log.warn('could not deliver a joined scan', { error: slackErrorCode(error) });
      }
    }
  }

  /**
   * The scan's thread: where each key was found, grouped, in at most two messages; when that leaves
   * anything out, the full list as a file (CSV and JSON) is the third.
   */
  async #details(scan: ScanRecord, report: ScanReport, threadTs: string): Promise<void> {
    const { gateway, log } = this.deps;
    const details = scanDetailMessages(report);
    for (const detail of details.messages) await gateway.postQuietly(scan.channelId, detail, threadTs);
    if (!details.abridged) return;
    await gateway
      .uploadFiles(
        scan.channelId,
        'Every place each key was found, as a spreadsheet (CSV) and as JSON. Keys are shown masked.',
        scanExportFiles(report, scan.finishedAt ?? scan.createdAt),
        threadTs,
      )
      .catch((error: unknown) =>
        log.warn('could not attach the scan export', {
          scanId: scan.id,
          error: slackErrorCode(error) ?? String(error),
        }),
      );
  }

  /** After a restart: an interrupted scan's message says so, with a button to run it again. */
  async interrupted(scan: ScanRecord): Promise<void> {
    if (scan.messageTs === undefined) return;
    await this.deps.reconciler.changed(this.#ref(scan, scan.messageTs));
  }
}
