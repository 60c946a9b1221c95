import type { Liveness } from '../checklists/rotation.js';
import { CheckupError, type RequestErrorCode } from '../errors.js';
import type { LivenessChecker } from '../klaviyo/liveness.js';
import type { Logger } from '../log.js';
import { type ScanResult, scanSite } from '../scan/crawler.js';
import { findPrivateKeys } from '../scan/detector.js';
import { isScanError } from '../scan/errors.js';
import { preflightTarget } from '../scan/fetcher.js';
import { redactedResult } from '../scan/report.js';
import { normalizeUrl, parseTarget } from '../scan/url-scope.js';
import { isNotAMember, type SlackGateway, slackErrorCode } from '../slack/gateway.js';
import { notice } from '../slack/views/help.js';
import { type KeyStatus, scanDetailMessages, scanMessage } from '../slack/views/scan-message.js';
import type { ExposedKeyRepository } from '../store/exposed-keys.js';
import { newId } from '../store/ids.js';
import type { KeyKeeper } from '../store/key-keeper.js';
import type { RotationRepository } from '../store/rotations.js';
import type { ScanRecord, ScanReport, ScanRepository } from '../store/scans.js';

/**
 * Where a rotation's key was seen: the re-scan fetches these even if nothing links to them any more, so
 * "the key is gone" is proven where it was. URLs that were masked (they carried a key) cannot be fetched.
 */
export function seedsOf(locations: { url: string; page: string }[]): {
  pages: string[];
  scripts: { url: string; page: string }[];
} {
  const usable = (url: string) => !url.includes('pk_…');
  const pages = new Set<string>();
  const scripts = new Map<string, { url: string; page: string }>();
  for (const location of locations) {
    if (usable(location.page)) pages.add(location.page);
    if (location.url !== location.page && usable(location.url))
      scripts.set(location.url, { url: location.url, page: location.page });
  }
  return { pages: [...pages], scripts: [...scripts.values()] };
}

export interface ScanRequest {
  text: string;
  userId: string;
  channelId: string;
  teamId?: string;
  responseUrl?: string;
  /** Re-scan from a result message: that message is updated in place. */
  reuseMessageTs?: string;
  /** Re-scan for a rotation: the scan message goes into the rotation's thread. */
  threadTs?: string;
}

export type ScanOutcome =
  | { kind: 'started'; scanId: string; delivery: 'channel' | 'response_url' }
  | { kind: 'joined'; scanId: string; sameChannel: boolean };

export interface ScanServiceDeps {
  scans: ScanRepository;
  keys: ExposedKeyRepository;
  rotations: RotationRepository;
  gateway: SlackGateway;
  log: Logger;
  liveness: LivenessChecker;
  keeper: KeyKeeper;
  scanOptions: { allowPrivateNetworks: boolean; maxPages: number; concurrency: number };
  now?: () => Date;
  /** Told about every finished scan (rotations learn whether their key is gone). */
  onFinished?: (scan: ScanRecord, report: ScanReport, keys: Record<string, KeyStatus>) => Promise<void>;
}

interface Job {
  scan: ScanRecord;
  /** silent: a scheduled re-scan, whose caller decides what to announce. */
  delivery: 'channel' | 'response_url' | 'silent';
  onDone?: (scan: ScanRecord) => void;
  threadTs?: string;
  controller: AbortController;
}

const PROGRESS_INTERVAL_MS = 3_000;
const LIVENESS_SPACING_MS = 1_100;
const MAX_LIVENESS_CHECKS = 10;

/**
 * Runs scans for Slack: validates and refuses targets before anything is queued, joins a scan of a
 * site that is already running, runs at most `concurrency` scans at once, keeps one message per scan
 * updated in place, and hands results to the rotations.
 */
export class ScanService {
  readonly #deps: ScanServiceDeps;
  readonly #now: () => Date;
  readonly #queue: Job[] = [];
  readonly #running = new Map<string, Job>();
  readonly #finished = new Set<Promise<void>>();
  #stopping = false;

  constructor(deps: ScanServiceDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  /** Throws CheckupError for usage problems and refused targets, before any request to the site. */
  async request(req: ScanRequest): Promise<ScanOutcome> {
    if (this.#stopping)
      throw new CheckupError<RequestErrorCode>(
        'unavailable',
        'The bot is restarting; try again in a minute.',
      );
    let url: URL;
    try {
      url = parseTarget(req.text);
    } catch (error) {
      throw new CheckupError<RequestErrorCode>(
        'usage',
        error instanceof Error ? error.message : String(error),
      );
    }
    // The detector reads %-escapes itself, so an encoded key in the URL is caught too.
    if (findPrivateKeys(url.href).length > 0) {
      throw new CheckupError<RequestErrorCode>(
        'usage',
        'That URL itself contains a Klaviyo private key, so it was not scanned or stored. Scan the page without it, and rotate that key: it has now been shared in Slack.',
      );
    }
    try {
      await preflightTarget(url, { allowPrivateNetworks: this.#deps.scanOptions.allowPrivateNetworks });
    } catch (error) {
      if (isScanError(error, 'REFUSED_TARGET'))
        throw new CheckupError<RequestErrorCode>('refused', `Not scanned: ${error.message}.`);
      if (isScanError(error))
        throw new CheckupError<RequestErrorCode>('usage', `Not scanned: ${error.message}.`);
      throw error;
    }
    const target = normalizeUrl(url);
    const { scans } = this.#deps;

    const active = scans.findActive(target);
    if (active !== undefined) {
      // A silent scheduled scan has no message to point at; the person who asked becomes a watcher.
      const sameChannel = active.channelId === req.channelId && active.messageTs !== undefined;
      if (!sameChannel) {
        scans.addWatcher(active.id, {
          channelId: req.channelId,
          userId: req.userId,
          ...(req.responseUrl ? { responseUrl: req.responseUrl } : {}),
        });
      }
      return { kind: 'joined', scanId: active.id, sameChannel };
    }

    const scan: ScanRecord = {
      id: newId(),
      target,
      status: 'queued',
      requestedBy: req.userId,
      channelId: req.channelId,
      createdAt: this.#now().toISOString(),
      pagesScanned: 0,
      scriptsScanned: 0,
      ...(req.teamId ? { teamId: req.teamId } : {}),
      ...(req.responseUrl ? { responseUrl: req.responseUrl } : {}),
    };
    scans.create(scan);
    let delivery: 'channel' | 'response_url';
    try {
      delivery = await this.#announce(scan, req);
    } catch (error) {
      // A scan nobody can see must not stay "queued": it would make every later request for the site join it.
      scans.finish(scan.id, {
        status: 'failed',
        at: this.#now().toISOString(),
        pages: 0,
        scripts: 0,
        error: 'could not post to Slack',
      });
      throw error;
    }
    const job: Job = {
      scan: scans.get(scan.id) as ScanRecord,
      delivery,
      controller: new AbortController(),
      ...(req.threadTs ? { threadTs: req.threadTs } : {}),
    };
    this.#queue.push(job);
    this.#pump();
    return { kind: 'started', scanId: scan.id, delivery };
  }

  /**
   * A scheduled re-scan: queued like any other, but nothing is posted; resolves with the finished
   * scan so the scheduler can announce only what is new.
   */
  scanQuietly(target: string, channelId: string): Promise<ScanRecord> {
    const existing = this.#deps.scans.findActive(target);
    if (existing !== undefined) return Promise.resolve(existing);
    const scan: ScanRecord = {
      id: newId(),
      target,
      status: 'queued',
      requestedBy: 'klaviyo-checkup',
      channelId,
      createdAt: this.#now().toISOString(),
      pagesScanned: 0,
      scriptsScanned: 0,
    };
    this.#deps.scans.create(scan);
    return new Promise((resolve) => {
      this.#queue.push({ scan, delivery: 'silent', controller: new AbortController(), onDone: resolve });
      this.#pump();
    });
  }

  /** Posts (or reuses) the scan's message; falls back to the response URL where the bot cannot post. */
  async #announce(scan: ScanRecord, req: ScanRequest): Promise<'channel' | 'response_url'> {
    const { gateway, scans } = this.#deps;
    const message = scanMessage({ ...this.#viewInput(scan), queuePosition: this.#queue.length });
    if (req.reuseMessageTs !== undefined) {
      try {
        await gateway.update(scan.channelId, req.reuseMessageTs, message);
        scans.setMessage(scan.id, req.reuseMessageTs);
        return 'channel';
      } catch (error) {
        this.#deps.log.info('could not reuse the scan message; posting a new one', {
          error: slackErrorCode(error),
        });
      }
    }
    try {
      const posted = await gateway.post(scan.channelId, message, req.threadTs);
      scans.setMessage(scan.id, posted.ts);
      return 'channel';
    } catch (error) {
      if (!isNotAMember(error) || req.responseUrl === undefined) throw error;
    }
    await gateway.respond(req.responseUrl, {
      ...notice(
        ':mag: Scanning… the result will appear here. To get the live progress and the rotation checklist in this conversation, invite the bot: `/invite @klaviyo-checkup`.',
      ),
      response_type: 'ephemeral',
    });
    return 'response_url';
  }

  #pump(): void {
    while (
      !this.#stopping &&
      this.#running.size < this.#deps.scanOptions.concurrency &&
      this.#queue.length > 0
    ) {
      const job = this.#queue.shift() as Job;
      this.#running.set(job.scan.id, job);
      const done = this.#run(job)
        .catch((error) => this.#deps.log.error('scan job failed', { scanId: job.scan.id, error }))
        .finally(() => {
          const finished = this.#deps.scans.get(job.scan.id);
          if (finished !== undefined) job.onDone?.(finished);
          this.#running.delete(job.scan.id);
          this.#finished.delete(done);
          this.#pump();
        });
      this.#finished.add(done);
    }
  }

  async #run(job: Job): Promise<void> {
    const { scans, gateway, log } = this.#deps;
    const startedAt = this.#now().toISOString();
    scans.markRunning(job.scan.id, startedAt);
    let scan: ScanRecord = { ...job.scan, status: 'running', startedAt };
    const messageTs = scans.get(scan.id)?.messageTs;
    let lastProgress = 0;
    const showProgress = (progress: { pagesScanned: number; scriptsScanned: number; findings: number }) => {
      const now = Date.now();
      if (messageTs === undefined || now - lastProgress < PROGRESS_INTERVAL_MS) return;
      lastProgress = now;
      scans.progress(scan.id, progress.pagesScanned, progress.scriptsScanned);
      void gateway.updateLatest(scan.channelId, messageTs, () =>
        scanMessage({ ...this.#viewInput(scan), progress }),
      );
    };
    if (messageTs !== undefined) {
      void gateway.updateLatest(scan.channelId, messageTs, () => scanMessage(this.#viewInput(scan)));
    }

    let result: ScanResult;
    try {
      result = await scanSite(
        scan.target,
        {
          allowPrivateNetworks: this.#deps.scanOptions.allowPrivateNetworks,
          maxPages: this.#deps.scanOptions.maxPages,
          // Any scan of a site with open rotations revisits where their keys were, linked or not, since
          // its result is taken as proof that a key is gone.
          seeds: seedsOf(
            this.#deps.rotations
              .listOpenForTarget(scan.target)
              .flatMap((rotation) => rotation.state.locations),
          ),
        },
        { onProgress: showProgress, signal: job.controller.signal },
      );
    } catch (error) {
      if (this.#stopping) return;
      const message = isScanError(error) ? error.message : 'unexpected error (logged)';
      if (!isScanError(error)) log.error('scan crashed', { scanId: scan.id, error });
      scans.finish(scan.id, {
        status: 'failed',
        at: this.#now().toISOString(),
        pages: 0,
        scripts: 0,
        error: message,
      });
      scan = scans.get(scan.id) as ScanRecord;
      const failed = scanMessage(this.#viewInput(scan));
      await this.#deliver(job, scan, failed);
      await this.#tellWatchers(scan, failed);
      return;
    }
    if (this.#stopping && result.stoppedBy === 'aborted') return;

    const { keyring: _keyring, ...report } = redactedResult(result);
    const finishedAt = this.#now().toISOString();
    const keys = await this.#recordKeys(scan, result, finishedAt);
    scans.finish(scan.id, {
      status: 'done',
      at: finishedAt,
      pages: result.pagesScanned,
      scripts: result.scriptsScanned,
      report,
    });
    scan = scans.get(scan.id) as ScanRecord;
    log.info('scan finished', {
      scanId: scan.id,
      target: scan.target,
      pages: result.pagesScanned,
      scripts: result.scriptsScanned,
      keys: result.findings.length,
    });
    await this.#deps.onFinished?.(scan, report, keys);
    // Rotations may have started meanwhile; the message shows them.
    const message = scanMessage(this.#viewInput(scan));
    const posted = await this.#deliver(job, scan, message);
    if (posted !== undefined && (report.findings.length > 0 || report.errors.length > 0)) {
      const threadTs = job.threadTs ?? posted;
      for (const detail of scanDetailMessages(report))
        await gateway.postQuietly(scan.channelId, detail, threadTs);
    }
    await this.#tellWatchers(scan, message);
  }

  /** Everyone who asked for this scan while it ran gets its result (or its failure) too. */
  async #tellWatchers(scan: ScanRecord, message: ReturnType<typeof scanMessage>): Promise<void> {
    const { scans, gateway, log } = this.#deps;
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

  /** Updates the scan's message (or answers through the response URL); returns the message ts when there is one. */
  async #deliver(
    job: Job,
    scan: ScanRecord,
    message: ReturnType<typeof scanMessage>,
  ): Promise<string | undefined> {
    const { gateway, log } = this.#deps;
    if (job.delivery === 'channel' && scan.messageTs !== undefined) {
      await gateway.updateLatest(scan.channelId, scan.messageTs, () => message);
      return scan.messageTs;
    }
    if (scan.responseUrl !== undefined) {
      await gateway
        .respond(scan.responseUrl, { ...message, response_type: 'in_channel' })
        .catch((error: unknown) =>
          log.warn('could not answer through the response URL', { error: String(error) }),
        );
    }
    return undefined;
  }

  /** Stores each key (masked, fingerprint; the full key only with the keeper) and asks Klaviyo whether it is live. */
  async #recordKeys(scan: ScanRecord, result: ScanResult, at: string): Promise<Record<string, KeyStatus>> {
    const { keys, keeper, liveness, log } = this.#deps;
    const statuses: Record<string, KeyStatus> = {};
    let checked = 0;
    for (const finding of result.findings) {
      keys.upsertSeen(
        {
          fingerprint: finding.fingerprint,
          masked: finding.masked,
          ...(finding.accountPublicKey ? { accountPublicKey: finding.accountPublicKey } : {}),
        },
        scan.id,
        at,
      );
      const key = result.keyring.reveal(finding.fingerprint);
      if (key !== undefined) keeper.keep(finding.fingerprint, key);
      let status: { liveness: Liveness; account?: string } = { liveness: 'not_checked' };
      if (key !== undefined && checked < MAX_LIVENESS_CHECKS && !this.#stopping) {
        // Klaviyo allows about one accounts request per second.
        if (checked > 0) await new Promise((resolve) => setTimeout(resolve, LIVENESS_SPACING_MS));
        checked++;
        const answer = await liveness.check(key);
        status = {
          liveness: answer.status,
          ...(answer.accountPublicKey ? { account: answer.accountPublicKey } : {}),
        };
        keys.recordLiveness(
          finding.fingerprint,
          answer.status,
          answer.accountPublicKey,
          this.#now().toISOString(),
        );
        log.info('liveness checked', {
          fingerprint: finding.fingerprint.slice(0, 16),
          status: answer.status,
          http: answer.httpStatus,
        });
      }
      statuses[finding.fingerprint] = status;
    }
    return statuses;
  }

  /** The view of a scan as stored, with its key statuses and open rotations. */
  #viewInput(scan: ScanRecord) {
    const report = scan.report;
    const keys: Record<string, KeyStatus> = {};
    for (const finding of report?.findings ?? []) {
      const stored = this.#deps.keys.get(finding.fingerprint);
      const rotation = this.#deps.rotations.openForKey(finding.fingerprint);
      keys[finding.fingerprint] = {
        liveness: stored?.liveness ?? 'not_checked',
        ...(stored?.livenessAccount ? { account: stored.livenessAccount } : {}),
        ...(rotation ? { rotationId: rotation.id } : {}),
      };
    }
    return {
      scanId: scan.id,
      target: scan.target,
      status: scan.status,
      requestedBy: scan.requestedBy,
      ...(report ? { report, keys } : {}),
      ...(scan.error ? { error: scan.error } : {}),
      progress: { pagesScanned: scan.pagesScanned, scriptsScanned: scan.scriptsScanned, findings: 0 },
    };
  }

  get(scanId: string): ScanRecord | undefined {
    return this.#deps.scans.get(scanId);
  }

  /** Re-renders a scan's message from the store (after a rotation starts, for instance). */
  async refreshMessage(scanId: string): Promise<void> {
    const scan = this.#deps.scans.get(scanId);
    if (scan?.messageTs === undefined) return;
    await this.#deps.gateway.updateLatest(scan.channelId, scan.messageTs, () =>
      scanMessage(this.#viewInput(scan)),
    );
  }

  /** After a restart: scans that were queued or running are marked interrupted and say so. */
  async recoverInterrupted(): Promise<number> {
    const interrupted = this.#deps.scans.interruptActive(this.#now().toISOString());
    for (const scan of interrupted) {
      if (scan.messageTs === undefined) continue;
      await this.#deps.gateway
        .update(scan.channelId, scan.messageTs, scanMessage(this.#viewInput(scan)))
        .catch((error: unknown) =>
          this.#deps.log.warn('could not mark a scan interrupted', { error: slackErrorCode(error) }),
        );
    }
    return interrupted.length;
  }

  /** Stop taking work, stop running scans, and mark them interrupted (they can be re-run from their message). */
  async shutdown(): Promise<void> {
    this.#stopping = true;
    // Dropped jobs are interrupted like running ones; a scheduled re-scan waiting on one hears so.
    for (const job of this.#queue.splice(0)) job.onDone?.({ ...job.scan, status: 'interrupted' });
    for (const job of this.#running.values()) job.controller.abort();
    await Promise.allSettled([...this.#finished]);
    await this.recoverInterrupted();
  }
}
