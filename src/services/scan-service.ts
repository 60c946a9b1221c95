import { CheckupError, type RequestErrorCode } from '../errors.js';
import type { LivenessChecker } from '../klaviyo/liveness.js';
import type { Logger } from '../log.js';
import { type ScanHooks, type ScanResult, scanSite } from '../scan/crawler.js';
import { isScanError } from '../scan/errors.js';
import type { ScanOptions } from '../scan/options.js';
import { BROWSER_ENV, BrowserMissingError, findBrowser } from '../scan/render/browser.js';
import { scanSiteWithoutBrowser, scanSiteWithRender } from '../scan/render/scan-with-render.js';
import { redactedResult } from '../scan/report.js';
import type { SlackGateway } from '../slack/gateway.js';
import type { KeyStatus } from '../slack/views/scan-message.js';
import type { ExposedKeyRepository } from '../store/exposed-keys.js';
import { newId } from '../store/ids.js';
import type { KeyKeeper } from '../store/key-keeper.js';
import type { RotationRepository } from '../store/rotations.js';
import type { ScanRecord, ScanReport, ScanRepository } from '../store/scans.js';
import { KeyChecks } from './key-checks.js';
import type { MessageReconciler } from './message-reconciler.js';
import { type Delivery, ScanMessages } from './scan-messages.js';
import { acceptTarget } from './scan-target.js';

/** Places the render pass names that are not files a re-scan could fetch again. */
const NOT_FILES = new Set(['request', 'runtime-script', 'rendered-page']);

/**
 * Where a rotation's key was seen: the re-scan fetches these even if nothing links to them any more, so
 * "the key is gone" is proven where it was. URLs that were masked (they carried a key) cannot be fetched.
 */
export function seedsOf(locations: { url: string; page: string; resource?: string }[]): {
  pages: string[];
  scripts: { url: string; page: string }[];
} {
  const usable = (url: string) => !url.includes('pk_…');
  const pages = new Set<string>();
  const scripts = new Map<string, { url: string; page: string }>();
  for (const location of locations) {
    if (usable(location.page)) pages.add(location.page);
    // A request's URL is where the page sent the key, not a file that held it: its page is revisited.
    const file = !NOT_FILES.has(location.resource ?? '');
    if (location.url !== location.page && usable(location.url) && file)
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
  /** Keeps each scan message showing its stored state. */
  reconciler: MessageReconciler;
  scanOptions: {
    allowPrivateNetworks: boolean;
    maxPages: number;
    concurrency: number;
    /** Render pages in a browser too, when one is installed (SCAN_RENDER). */
    render?: boolean;
    /** The browser to render with; unset: the system's is looked for at each scan. */
    browser?: string;
  };
  now?: () => Date;
  /** Told about every finished scan (rotations learn whether their key is gone). */
  onFinished?: (scan: ScanRecord, report: ScanReport, keys: Record<string, KeyStatus>) => Promise<void>;
}

interface Job {
  scan: ScanRecord;
  /** silent: a scheduled re-scan, whose caller decides what to announce. */
  delivery: Delivery;
  onDone?: (scan: ScanRecord) => void;
  controller: AbortController;
}

/** Said in the scan's result when SCAN_RENDER is on and the bot's machine has no browser. */
export const RENDER_UNAVAILABLE =
  "no browser is installed where the bot runs (install Debian's chromium-headless-shell, or run the image's render variant), so only the site's files were checked, not what its pages do when they run";

const PROGRESS_INTERVAL_MS = 3_000;

/**
 * Runs scans for Slack: accepts a target before anything is queued, joins a scan of a site that is
 * already running, runs at most `concurrency` scans at once, and hands results to the rotations. What
 * a scan says in Slack is ScanMessages'; what it found is kept by KeyChecks.
 */
export class ScanService {
  readonly #deps: ScanServiceDeps;
  readonly #now: () => Date;
  readonly #messages: ScanMessages;
  readonly #keyChecks: KeyChecks;
  readonly #queue: Job[] = [];
  readonly #running = new Map<string, Job>();
  readonly #finished = new Set<Promise<void>>();
  #stopping = false;

  constructor(deps: ScanServiceDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
    this.#messages = new ScanMessages(deps);
    this.#keyChecks = new KeyChecks({ ...deps, now: this.#now });
  }

  /** Throws CheckupError for usage problems and refused targets, before any request to the site. */
  async request(req: ScanRequest): Promise<ScanOutcome> {
    if (this.#stopping)
      throw new CheckupError<RequestErrorCode>(
        'unavailable',
        'The bot is restarting; try again in a minute.',
      );
    const target = await acceptTarget(req.text, {
      allowPrivateNetworks: this.#deps.scanOptions.allowPrivateNetworks,
    });
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

    const scan = this.#create(target, req.userId, req.channelId, {
      ...(req.teamId ? { teamId: req.teamId } : {}),
      ...(req.responseUrl ? { responseUrl: req.responseUrl } : {}),
    });
    let delivery: 'channel' | 'response_url';
    try {
      delivery = await this.#messages.announce(scan, req, this.#queue.length);
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
    this.#enqueue({
      scan: scans.get(scan.id) ?? scan,
      delivery,
      controller: new AbortController(),
    });
    return { kind: 'started', scanId: scan.id, delivery };
  }

  /**
   * A scan that posts nothing of its own (a scheduled re-scan, a rotation's re-scan): queued like any
   * other; resolves with the finished scan so the caller says only what matters to it. A scan of the
   * site already under way is joined.
   */
  scanQuietly(target: string, channelId: string, requestedBy = 'klaviyo-checkup'): Promise<ScanRecord> {
    if (this.#stopping)
      return Promise.reject(
        new CheckupError<RequestErrorCode>('unavailable', 'The bot is restarting; try again in a minute.'),
      );
    const existing = this.#deps.scans.findActive(target);
    if (existing !== undefined) return this.#whenFinished(existing);
    const scan = this.#create(target, requestedBy, channelId, {});
    return new Promise((resolve) => {
      this.#enqueue({ scan, delivery: 'silent', controller: new AbortController(), onDone: resolve });
    });
  }

  /** Resolves when a queued or running scan ends (at once for one this process is not running). */
  #whenFinished(scan: ScanRecord): Promise<ScanRecord> {
    const job = this.#running.get(scan.id) ?? this.#queue.find((queued) => queued.scan.id === scan.id);
    if (job === undefined) return Promise.resolve(scan);
    return new Promise((resolve) => {
      const before = job.onDone;
      job.onDone = (finished) => {
        before?.(finished);
        resolve(finished);
      };
    });
  }

  get(scanId: string): ScanRecord | undefined {
    return this.#deps.scans.get(scanId);
  }
  /** The channels where the scan's result was posted: its own, and those of everyone who joined it. */
  postedIn(scanId: string): string[] {
    const scan = this.#deps.scans.get(scanId);
    if (scan === undefined) return [];
    return [scan.channelId, ...this.#deps.scans.watchers(scanId).map((watcher) => watcher.channelId)];
  }

  /** Re-renders a scan's message from the store (after a rotation starts, for instance). */
  async refreshMessage(scanId: string): Promise<void> {
    const scan = this.#deps.scans.get(scanId);
    if (scan !== undefined) await this.#messages.show(scan);
  }

  /** After a restart: scans that were queued or running are marked interrupted and say so. */
  async recoverInterrupted(): Promise<number> {
    const interrupted = this.#deps.scans.interruptActive(this.#now().toISOString());
    for (const scan of interrupted) await this.#messages.interrupted(scan);
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

  #create(
    target: string,
    requestedBy: string,
    channelId: string,
    extra: Pick<ScanRecord, 'teamId' | 'responseUrl'>,
  ): ScanRecord {
    const scan: ScanRecord = {
      id: newId(),
      target,
      status: 'queued',
      requestedBy,
      channelId,
      createdAt: this.#now().toISOString(),
      pagesScanned: 0,
      scriptsScanned: 0,
      ...extra,
    };
    this.#deps.scans.create(scan);
    return scan;
  }

  #enqueue(job: Job): void {
    this.#queue.push(job);
    this.#pump();
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

  /**
   * The static scan, and with SCAN_RENDER the render pass too. The browser is looked for at each scan,
   * so installing one takes effect without a restart; without one the result says rendering was
   * unavailable.
   */
  #scan(target: string, options: Partial<ScanOptions>, hooks: ScanHooks): Promise<ScanResult> {
    const { render, browser } = this.#deps.scanOptions;
    if (render !== true) return scanSite(target, options, hooks);
    let executablePath: string;
    try {
      executablePath = findBrowser(browser === undefined ? {} : { [BROWSER_ENV]: browser });
    } catch (error) {
      if (!(error instanceof BrowserMissingError)) throw error;
      return scanSiteWithoutBrowser(target, options, hooks, RENDER_UNAVAILABLE);
    }
    return scanSiteWithRender(target, options, { executablePath }, hooks);
  }

  async #run(job: Job): Promise<void> {
    const { scans, log } = this.#deps;
    const startedAt = this.#now().toISOString();
    scans.markRunning(job.scan.id, startedAt);
    const running: ScanRecord = { ...(scans.get(job.scan.id) ?? job.scan), status: 'running', startedAt };
    let lastProgress = 0;
    const showProgress = (progress: { pagesScanned: number; scriptsScanned: number; findings: number }) => {
      const now = Date.now();
      if (running.messageTs === undefined || now - lastProgress < PROGRESS_INTERVAL_MS) return;
      lastProgress = now;
      scans.progress(running.id, progress.pagesScanned, progress.scriptsScanned);
      void this.#messages.show(running, progress);
    };
    void this.#messages.show(running);

    let result: ScanResult;
    try {
      result = await this.#scan(
        running.target,
        {
          allowPrivateNetworks: this.#deps.scanOptions.allowPrivateNetworks,
          maxPages: this.#deps.scanOptions.maxPages,
          // Any scan of a site with open rotations revisits where their keys were, linked or not, since
          // its result is taken as proof that a key is gone.
          seeds: seedsOf(
            this.#deps.rotations
              .listOpenForTarget(running.target)
              .flatMap((rotation) => rotation.state.locations),
          ),
        },
        { onProgress: showProgress, signal: job.controller.signal },
      );
    } catch (error) {
      if (this.#stopping) return;
      const message = isScanError(error)
        ? error.message
        : "something unexpected stopped it; the bot's log has the details";
      if (!isScanError(error)) log.error('scan crashed', { scanId: running.id, error });
      scans.finish(running.id, {
        status: 'failed',
        at: this.#now().toISOString(),
        pages: 0,
        scripts: 0,
        error: message,
      });
      await this.#messages.finish(scans.get(running.id) ?? running, job.delivery);
      return;
    }
    if (this.#stopping && result.stoppedBy === 'aborted') return;

    const { keyring: _keyring, ...report } = redactedResult(result);
    const finishedAt = this.#now().toISOString();
    const keys = await this.#keyChecks.record(running.id, result, finishedAt, () => this.#stopping);
    scans.finish(running.id, {
      status: 'done',
      at: finishedAt,
      pages: result.pagesScanned,
      scripts: result.scriptsScanned,
      report,
    });
    const scan = scans.get(running.id) ?? running;
    log.info('scan finished', {
      scanId: scan.id,
      target: scan.target,
      pages: result.pagesScanned,
      scripts: result.scriptsScanned,
      keys: result.findings.length,
    });
    await this.#deps.onFinished?.(scan, report, keys);
    await this.#messages.finish(scan, job.delivery);
  }
}
