import { setTimeout as sleep } from 'node:timers/promises';
import { plural } from '../words.js';
import type { Analysis, NamerData, RefData } from './analysis.js';
import { type Analyzer, createAnalyzer } from './analysis-pool.js';
import { type WebpackChunkNamer, webpackChunkUrl } from './bundlers.js';
import { AdaptiveWindow } from './concurrency.js';
import { ScanError } from './errors.js';
import { linkHeaderRefs, parseSitemap, type ScriptRef, sitemapsFromRobots } from './extract.js';
import { type FetchedResource, Fetcher, fetchPolicyOf } from './fetcher.js';
import {
  type Finding,
  FindingsCollector,
  type Hop,
  type KeyRing,
  type Placeholder,
  type PublicKeyUse,
  type ResourceKind,
} from './findings.js';
import { resolveScanOptions, type ScanOptions } from './options.js';
import type { RenderSummary } from './render/summary.js';
import { looksLikeNonPage, normalizeUrl, parseTarget, resolveLink, SiteScope } from './url-scope.js';

export interface ScanWarning {
  code:
    | 'multiple_public_keys'
    | 'unexpected_public_key'
    | 'expected_public_key_missing'
    | 'key_belongs_to_site'
    | 'key_belongs_to_other_account'
    | 'truncated'
    | 'incomplete'
    | 'too_many_keys'
    | 'render';
  message: string;
}

export interface ResourceError {
  url: string;
  error: string;
}

export interface ScanResult {
  target: string;
  /** Where the start page ended up after redirects. */
  finalUrl: string;
  startedAt: string;
  durationMs: number;
  pagesScanned: number;
  scriptsScanned: number;
  /** External stylesheets read (they share the script limit). Absent in reports stored before it existed. */
  stylesheetsScanned?: number;
  /** True unless a limit or a stop cut the scan short. */
  complete: boolean;
  stoppedBy?: 'max-pages' | 'max-scripts' | 'time-budget' | 'aborted';
  findings: Finding[];
  /**
   * Key-shaped strings that look made up: low confidence, not counted as exposed keys. Absent in
   * reports stored before it existed.
   */
  placeholders?: Placeholder[];
  publicKeys: PublicKeyUse[];
  warnings: ScanWarning[];
  errors: ResourceError[];
  /** Links and redirects the scan did not follow, and why (off-site, limits). At most 100 listed. */
  skipped: ResourceError[];
  truncated: { url: string; bytesRead: number }[];
  stats: { requests: number; bytesFetched: number; sitemapsRead: number };
  /** Full keys, for `--reveal` and the liveness check; serialises to `{}`. */
  keyring: KeyRing;
  /** What the render pass did, when one was asked for (`--render`). */
  render?: RenderSummary;
}

export interface ScanProgress {
  pagesScanned: number;
  scriptsScanned: number;
  queued: number;
  findings: number;
  bytesFetched: number;
}

export interface ScanHooks {
  onProgress?: (progress: ScanProgress) => void;
  signal?: AbortSignal;
  /** Injectable for tests of the backoff; defaults to real timers. */
  now?: () => number;
  /**
   * Where pages and scripts are decoded and scanned; by default worker threads (one fewer than cores,
   * at most two) when the build has them, the calling thread otherwise.
   */
  analyzer?: Analyzer;
  /** Told about each HTML page read, with the scripts it loads (the render pass picks pages by them). */
  onPage?: (page: CrawledPage) => void;
}

export interface CrawledPage {
  url: string;
  scripts: string[];
}

/** What fetching and analysing a task came to, waiting to be applied in order. No body waits here. */
interface Outcome {
  task: Task;
  /** Whether the scan had been stopped when the task finished: its result is then not used. */
  stopped: boolean;
  /** Every redirect response on the way, followed or not, with the redirects before it. */
  redirectHeaders: { url: URL; headerText: string; passed: readonly URL[] }[];
  resource?: FetchedResource;
  /** Of the body: the page, script, sitemap or robots.txt, or the error page of a failure. */
  analysis?: Analysis;
  error?: unknown;
  analysisError?: unknown;
  /** The sitemaps a robots.txt names, and a sitemap's entries. */
  sitemaps?: string[];
  sitemap?: { index: boolean; locations: string[] };
}

interface Task {
  /** `script` covers everything a page loads that is not a page: scripts, JSON, stylesheets, manifests. */
  kind: 'page' | 'script' | 'sitemap' | 'robots';
  url: URL;
  depth: number;
  /** The page that led here. */
  page: string;
  scriptKind?: ScriptRef['kind'];
  /** For an app manifest: the URL its routes are paths under. */
  routeBase?: URL;
  start?: boolean;
  /** How the scan got here, ending with this task's own URL; long chains are trimmed in the middle. */
  via: Hop[];
  /** Length of the whole chain, trimmed hops included. */
  hops: number;
  /** Consecutive resources off the site at the end of the chain (0 when this one is on the site). */
  offSite: number;
}

const MAX_SITEMAPS = 50;
/**
 * Scripts are followed at any depth, bounded by the script limit, the time budget and de-duplication.
 * This only stops a cycle of ever-new URLs; real apps stay far below it (a lazy chain of ten is rare).
 */
const MAX_CHAIN_HOPS = 64;
/**
 * Third-party code (off the site) is followed only to its own origin or back to the site, and only
 * this many resources in a row off the site: an app's CDN loader and its chunks, not the web.
 */
const MAX_OFF_SITE_HOPS = 6;
/** Hops kept per chain in reports: the first few and the last ones. */
const MAX_VIA_KEPT = 10;
const VIA_HEAD = 3;
const MAX_WEBPACK_RUNTIMES = 20;
const MAX_WEBPACK_CHUNK_IDS = 20_000;
const MAX_LISTED = 100;
const MAX_REMEMBERED_LINKS = 200_000;
/**
 * Finished tasks that may wait for an earlier, slower one before no new task starts. They hold
 * analyses, not bodies, so a thousand cost a few MB; one slow response then holds up only the
 * links found after it, while the queue keeps being fetched.
 */
const MIN_FINISHED_WAITING = 1_024;
/**
 * Bodies that may wait for the analysis while new requests go out. A response waiting for the
 * analysis is no longer a request in flight: counting it as one left the site idle whenever the
 * analysis fell behind, so that a storefront answering in 10 ms took a tenth longer to read than one
 * answering at once. No request starts while this many bytes, or as many bodies as the window's
 * largest size, wait; those in flight then join them.
 */
const MAX_ANALYSIS_BACKLOG_BYTES = 32 * 1024 * 1024;

/**
 * The task as its file was reached: each redirect joins the chain, so that the chain ends with the
 * URL the content came from, and what the file names is named from there.
 */
function afterRedirects(task: Task, redirects: readonly URL[]): Task {
  const last = redirects.at(-1);
  if (last === undefined) return task;
  let via = task.via;
  for (const hop of redirects) via = extendVia(via, { url: hop.href, reason: 'redirect' });
  return { ...task, url: last, via, hops: task.hops + redirects.length };
}

/** A chain one hop longer; past MAX_VIA_KEPT the middle hops are dropped (the count stays in `hops`). */
function extendVia(via: Hop[], hop: Hop): Hop[] {
  if (via.length < MAX_VIA_KEPT) return [...via, hop];
  return [...via.slice(0, VIA_HEAD), ...via.slice(via.length - (MAX_VIA_KEPT - VIA_HEAD - 1)), hop];
}

/**
 * Crawls a site from its start URL and scans every page and script for Klaviyo private keys.
 * Throws ScanError for a target that cannot be scanned at all (bad URL, refused address, unreachable).
 */
export async function scanSite(
  target: string | URL,
  partialOptions: Partial<ScanOptions> = {},
  hooks: ScanHooks = {},
): Promise<ScanResult> {
  const options = resolveScanOptions(partialOptions);
  const startUrl = typeof target === 'string' ? parseTarget(target) : target;
  const fetcher = new Fetcher(fetchPolicyOf(options));
  // A refused literal address is answered here, before any socket exists.
  fetcher.checkTarget(startUrl);
  const analyzer = hooks.analyzer ?? createAnalyzer();
  try {
    return await new Crawl(startUrl, options, fetcher, analyzer, hooks).run();
  } finally {
    await Promise.all([fetcher.close(), hooks.analyzer === undefined ? analyzer.close() : undefined]);
  }
}

class Crawl {
  readonly #options: ScanOptions;
  readonly #fetcher: Fetcher;
  readonly #analyzer: Analyzer;
  readonly #hooks: ScanHooks;
  readonly #now: () => number;
  readonly #startUrl: URL;
  readonly #scope: SiteScope;
  readonly #collector = new FindingsCollector();
  readonly #controller = new AbortController();

  readonly #queue: Task[] = [];
  #head = 0;
  /** Requests in flight, at most the window's size (`concurrency` at the most). */
  #inFlight = 0;
  /** Tasks started and not yet finished: fetching, or fetched and being analysed. */
  #running = 0;
  /** Bodies fetched and waiting for (or in) analysis, and their bytes. */
  #analysing = 0;
  #analysingBytes = 0;
  readonly #window: AdaptiveWindow;
  /** Sequence number of the next task to start, and of the next one to apply. */
  #started = 0;
  #applied = 0;
  /** Finished tasks waiting for every earlier one to be applied. */
  readonly #finished = new Map<number, Outcome>();
  #applying = false;
  readonly #seenPages = new Set<string>();
  readonly #seenScripts = new Set<string>();
  readonly #seenSitemaps = new Set<string>();
  #pagesEnqueued = 0;
  #scriptsEnqueued = 0;

  #pagesScanned = 0;
  #scriptsScanned = 0;
  #stylesheetsScanned = 0;
  #sitemapsRead = 0;
  #finalUrl: URL;
  #startError: ScanError | undefined;
  #stoppedBy: ScanResult['stoppedBy'];
  readonly #errors: ResourceError[] = [];
  readonly #skipped: ResourceError[] = [];
  readonly #truncated: ScanResult['truncated'] = [];
  /** Absolute and root-relative page links handled on an earlier page: they are not looked at again. */
  readonly #handledLinks = new Set<string>();
  /**
   * webpack/rspack runtimes seen so far, and every async chunk id some script asked for, each with the
   * app it belongs to (its chunk-loading global; '' when unknown).
   */
  readonly #webpackNamers: { namer: WebpackChunkNamer; app: string }[] = [];
  readonly #webpackChunkIds = new Map<string, { id: string; app: string; asker: Task }>();

  constructor(startUrl: URL, options: ScanOptions, fetcher: Fetcher, analyzer: Analyzer, hooks: ScanHooks) {
    this.#startUrl = startUrl;
    this.#finalUrl = startUrl;
    this.#options = options;
    this.#fetcher = fetcher;
    this.#analyzer = analyzer;
    this.#window = new AdaptiveWindow(options.concurrency);
    this.#hooks = hooks;
    this.#now = hooks.now ?? Date.now;
    this.#scope = new SiteScope(startUrl);
  }

  async run(): Promise<ScanResult> {
    const started = this.#now();
    const startedAt = new Date(started).toISOString();
    const budget = setTimeout(() => this.#stop('time-budget'), this.#options.timeBudgetMs);
    const onOuterAbort = () => this.#stop('aborted');
    this.#hooks.signal?.addEventListener('abort', onOuterAbort, { once: true });
    if (this.#hooks.signal?.aborted) this.#stop('aborted');

    this.#seenPages.add(normalizeUrl(this.#startUrl));
    this.#pagesEnqueued = 1;
    this.#enqueue({
      kind: 'page',
      url: this.#startUrl,
      depth: 0,
      page: this.#startUrl.href,
      start: true,
      via: [{ url: this.#startUrl.href, reason: 'start' }],
      hops: 1,
      offSite: 0,
    });
    try {
      await this.#drain();
    } finally {
      clearTimeout(budget);
      this.#hooks.signal?.removeEventListener('abort', onOuterAbort);
    }

    // A site that could not be scanned at all is an error, unless its error pages themselves showed keys.
    if (this.#pagesScanned === 0 && this.#startError !== undefined && this.#collector.findingCount === 0) {
      if (this.#startError.code === 'REFUSED_TARGET' || this.#startError.code === 'BAD_URL')
        throw this.#startError;
      throw new ScanError(
        'UNREACHABLE',
        `${this.#startUrl.href} could not be scanned: ${this.#startError.message}`,
        {
          cause: this.#startError,
        },
      );
    }

    const findings = this.#collector.findings();
    const publicKeys = this.#collector.publicKeys();
    return {
      target: this.#startUrl.href,
      finalUrl: this.#finalUrl.href,
      startedAt,
      durationMs: this.#now() - started,
      pagesScanned: this.#pagesScanned,
      scriptsScanned: this.#scriptsScanned,
      stylesheetsScanned: this.#stylesheetsScanned,
      complete: this.#stoppedBy === undefined,
      ...(this.#stoppedBy === undefined ? {} : { stoppedBy: this.#stoppedBy }),
      findings,
      placeholders: this.#collector.placeholders(),
      publicKeys,
      warnings: [
        ...auditWarnings(findings, publicKeys, this.#options, this.#stoppedBy, this.#truncated),
        ...(this.#collector.keysBeyondLimit > 0
          ? [
              {
                code: 'too_many_keys' as const,
                message: `${this.#collector.keysBeyondLimit} more distinct private keys were found; only the first ${findings.length} are reported in detail.`,
              },
            ]
          : []),
      ],
      errors: this.#errors,
      skipped: this.#skipped,
      truncated: this.#truncated,
      stats: {
        requests: this.#fetcher.requestsSent,
        bytesFetched: this.#fetcher.bytesRead,
        sitemapsRead: this.#sitemapsRead,
      },
      keyring: this.#collector.keyring,
    };
  }

  #stop(reason: NonNullable<ScanResult['stoppedBy']>): void {
    if (this.#controller.signal.aborted) return;
    this.#stoppedBy = reason;
    this.#controller.abort();
  }

  get #stopped(): boolean {
    return this.#controller.signal.aborted;
  }

  #enqueue(task: Task): void {
    this.#queue.push(task);
  }

  /**
   * Runs queued tasks until the queue is empty or the scan is stopped. Up to `concurrency` tasks are
   * fetched and analysed at once, but their results are applied (findings recorded, links queued) in
   * the order the tasks started, so the same site always gives the same crawl and the same report,
   * however the responses and the analysis threads interleave.
   */
  #drain(): Promise<void> {
    return new Promise((resolve) => {
      const maxFinished = Math.max(MIN_FINISHED_WAITING, this.#options.concurrency * 16);
      const pump = (): void => {
        while (
          !this.#stopped &&
          this.#inFlight < this.#window.size &&
          this.#analysing < this.#window.max &&
          this.#analysingBytes < MAX_ANALYSIS_BACKLOG_BYTES &&
          this.#finished.size < maxFinished &&
          this.#head < this.#queue.length
        ) {
          const task = this.#queue[this.#head] as Task;
          this.#queue[this.#head] = undefined as unknown as Task;
          this.#head++;
          this.#inFlight++;
          this.#running++;
          const sequence = this.#started++;
          void this.#prepare(task, () => {
            this.#inFlight--;
            pump();
          }).then((outcome) => {
            this.#running--;
            this.#finished.set(sequence, outcome);
            void applyInOrder();
            pump();
          });
        }
        if (
          this.#running === 0 &&
          this.#finished.size === 0 &&
          !this.#applying &&
          (this.#stopped || this.#head >= this.#queue.length)
        )
          resolve();
      };
      const applyInOrder = async (): Promise<void> => {
        if (this.#applying) return;
        this.#applying = true;
        for (let outcome = this.#finished.get(this.#applied); outcome !== undefined; ) {
          this.#finished.delete(this.#applied);
          await this.#apply(outcome);
          this.#applied++;
          this.#reportProgress();
          outcome = this.#finished.get(this.#applied);
        }
        this.#applying = false;
        pump();
      };
      pump();
    });
  }

  /**
   * Fetches a task's resource and has its body analysed; never throws (a failure is the outcome).
   * What waits to be applied holds no body: pages, scripts, error pages and sitemaps are analysed here.
   */
  async #prepare(task: Task, fetched: () => void): Promise<Outcome> {
    const redirectHeaders: Outcome['redirectHeaders'] = [];
    let resource: FetchedResource;
    try {
      resource = await this.#fetchWithRetries(task, (url, headerText, passed) =>
        redirectHeaders.push({ url, headerText, passed }),
      );
    } catch (error) {
      fetched();
      const outcome: Outcome = { task, error, stopped: this.#stopped, redirectHeaders };
      const errorPage = error instanceof ScanError ? error.resource : undefined;
      const body = errorPage === undefined ? undefined : takeBody(errorPage);
      if (!outcome.stopped && errorPage !== undefined && body !== undefined) {
        // An error page is public too: its keys are reported with the error (never its links).
        const kind = task.kind === 'page' ? 'error-page' : task.kind === 'script' ? 'text' : undefined;
        if (kind !== undefined) {
          try {
            outcome.analysis = await this.#analysed(body.byteLength, () =>
              this.#analyzer.analyze({
                kind,
                body,
                contentType: errorPage.contentType ?? '',
                url: errorPage.url.href,
              }),
            );
          } catch {
            // The error itself is still reported.
          }
        }
      }
      return outcome;
    }
    fetched();
    const outcome: Outcome = {
      task,
      resource,
      stopped: this.#stopped && this.#stoppedBy !== undefined,
      redirectHeaders,
    };
    if (outcome.stopped) return outcome;
    try {
      if (task.kind === 'robots' || task.kind === 'sitemap') {
        const text = resource.text;
        if (text !== undefined) {
          if (task.kind === 'robots') outcome.sitemaps = sitemapsFromRobots(text);
          else outcome.sitemap = await parseSitemap(text);
        }
      }
      const body = takeBody(resource);
      if (body === undefined) return outcome;
      const common = { body, contentType: resource.contentType, url: resource.url.href };
      const reached = afterRedirects(task, resource.redirects);
      outcome.analysis = await this.#analysed(body.byteLength, () =>
        this.#analyzer.analyze(
          task.kind === 'page'
            ? { kind: 'page', ...common }
            : task.kind === 'script'
              ? {
                  kind: 'code',
                  ...common,
                  ...(task.scriptKind === undefined ? {} : { scriptKind: task.scriptKind }),
                  ...(task.routeBase === undefined ? {} : { routeBase: task.routeBase.href }),
                  follow: followsCode(reached),
                  // A hint: the count is checked again when the result is applied.
                  findNamers: this.#webpackNamers.length < MAX_WEBPACK_RUNTIMES,
                }
              : { kind: 'text', ...common },
        ),
      );
    } catch (error) {
      outcome.analysisError = error;
    }
    return outcome;
  }

  /** The analysis `start` begins, of a body of `bytes`, counted in the backlog until it is done. */
  async #analysed<T>(bytes: number, start: () => Promise<T>): Promise<T> {
    this.#analysing++;
    this.#analysingBytes += bytes;
    try {
      return await start();
    } finally {
      this.#analysing--;
      this.#analysingBytes -= bytes;
    }
  }

  async #apply(outcome: Outcome): Promise<void> {
    const { task } = outcome;
    try {
      for (const { url, headerText, passed } of outcome.redirectHeaders)
        this.#scanHeaders(afterRedirects(task, passed), url, headerText);
      if (outcome.error !== undefined) {
        // A failure that came from the stop itself is not an error of the site.
        if (!outcome.stopped) this.#recordFailure(task, outcome.error, outcome.analysis);
      } else if (outcome.resource !== undefined && !outcome.stopped) {
        this.#handle(task, outcome.resource, outcome);
        if (outcome.analysisError !== undefined) this.#recordFailure(task, outcome.analysisError);
      }
    } catch (error) {
      this.#recordFailure(task, error);
    } finally {
      if (task.start) {
        // After the start page, so a redirect to the site's www twin is already part of the site.
        this.#addSeeds();
        this.#afterStartPage();
      }
    }
  }

  async #fetchWithRetries(
    task: Task,
    onRedirectResponse: (url: URL, headerText: string, passed: readonly URL[]) => void,
  ): Promise<FetchedResource> {
    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      const passed: URL[] = [];
      try {
        const resource = await this.#fetcher.fetch({
          url: task.url,
          signal: this.#controller.signal,
          unpackGzipFile: task.kind === 'sitemap',
          allowRedirect: (from, to) => this.#allowRedirect(task, from, to),
          onRedirectResponse: (url, headerText) => {
            if (url.href !== task.url.href) passed.push(url);
            onRedirectResponse(url, headerText, [...passed]);
          },
        });
        this.#window.onResponse(performance.now() - started, resource.bytes);
        return resource;
      } catch (error) {
        if (showsStrain(error)) this.#window.onStrain();
        else if (error instanceof ScanError && error.resource !== undefined)
          this.#window.onResponse(performance.now() - started, 0);
        if (
          !(error instanceof ScanError) ||
          !error.retryable ||
          attempt >= this.#options.retries ||
          this.#stopped
        ) {
          throw error;
        }
        const backoff = Math.min(500 * 2 ** attempt, this.#options.maxRetryDelayMs);
        const asked = error.retryAfterSeconds === undefined ? 0 : error.retryAfterSeconds * 1000;
        if (asked > this.#options.maxRetryDelayMs) throw error;
        const delay = Math.max(backoff, asked) + Math.floor(Math.random() * 100);
        try {
          await sleep(delay, undefined, { signal: this.#controller.signal });
        } catch {
          throw error;
        }
      }
    }
  }

  #allowRedirect(task: Task, from: URL, to: URL): boolean {
    if (task.kind === 'script') return true;
    if (task.start) return this.#scope.acceptStartRedirect(from, to);
    return this.#scope.includes(to);
  }

  /** Occurrences in `task`'s resource name where it sits and how the scan got there. */
  #where(task: Task, url: URL) {
    const resource = resourceKindOf(task);
    return {
      url: url.href,
      page: task.kind === 'script' ? task.page : url.href,
      resource,
      via: task.via,
      ...(task.hops > task.via.length ? { hopsOmitted: task.hops - task.via.length } : {}),
    };
  }

  /** Response headers are public too: a key in a custom header, a cookie or a redirect's `Location`. */
  #scanHeaders(task: Task, url: URL, headerText: string): void {
    if (!headerText.includes('pk')) return;
    this.#collector.scan(headerText, { ...this.#where(task, url), html: false, location: 'response-header' });
  }

  #handle(requested: Task, resource: FetchedResource, { analysis, sitemaps, sitemap }: Outcome): void {
    const task = afterRedirects(requested, resource.redirects);
    if (resource.truncated) this.#truncated.push({ url: resource.url.href, bytesRead: resource.bytes });
    this.#scanHeaders(task, resource.url, resource.headerText);
    if (task.start) this.#finalUrl = resource.url;

    if (task.kind === 'page') {
      if (!task.start && resource.redirects.length > 0) {
        const finalKey = normalizeUrl(resource.url);
        // A redirect onto a page that is scanned anyway is not scanned twice.
        if (this.#seenPages.has(finalKey)) return;
        this.#seenPages.add(finalKey);
      } else if (task.start) {
        this.#seenPages.add(normalizeUrl(resource.url));
      }
      this.#pagesScanned++;
      if (resource.links.length > 0) this.#followLinkHeaders(task, resource);
      if (analysis === undefined) return;
      this.#collector.record(analysis.privateKeys, analysis.placeholders, analysis.publicKeys, {
        ...this.#where(task, resource.url),
        html: analysis.html,
      });
      if (analysis.html) this.#followPage(analysis, resource.url, task);
      return;
    }

    if (task.kind === 'script') {
      if (task.scriptKind === 'stylesheet') this.#stylesheetsScanned++;
      else this.#scriptsScanned++;
      if (resource.links.length > 0) this.#followLinkHeaders(task, resource);
      if (analysis === undefined) return;
      this.#collector.record(analysis.privateKeys, analysis.placeholders, analysis.publicKeys, {
        ...this.#where(task, resource.url),
        html: false,
      });
      if (followsCode(task)) this.#followCode(analysis, resource.url, task);
      return;
    }

    this.#sitemapsRead++;
    if (analysis === undefined) return;
    this.#collector.record(analysis.privateKeys, analysis.placeholders, analysis.publicKeys, {
      ...this.#where(task, resource.url),
      html: false,
    });
    if (task.kind === 'robots') {
      for (const raw of sitemaps ?? []) this.#addSitemap(raw, resource.url);
      return;
    }
    for (const raw of sitemap?.locations ?? []) {
      if (sitemap?.index) this.#addSitemap(raw, resource.url);
      else {
        const url = resolveLink(raw, resource.url);
        if (url)
          this.#addPage(
            url,
            1,
            resource.url.href,
            extendVia(task.via, { url: url.href, reason: 'sitemap' }),
            0,
          );
      }
    }
  }

  /**
   * What a script, stylesheet or JSON file names in turn (analysis.ts reads it): URLs in its code, its
   * bundler's chunks and routes, a stylesheet's `@import`s.
   */
  #followCode(analysis: Analysis, url: URL, task: Task): void {
    // An app manifest (Nuxt) names routes, and nothing else.
    if (task.scriptKind === 'app-manifest') {
      for (const ref of analysis.refs ?? []) {
        if (ref.type === 'page')
          this.#addPage(
            new URL(ref.url),
            1,
            task.page,
            extendVia(task.via, { url: ref.url, reason: ref.reason }),
            0,
          );
      }
      return;
    }
    for (const ref of analysis.refs ?? []) {
      if (ref.type === 'script') {
        this.#addCodeRef(scriptRef(ref), task, url);
        continue;
      }
      const page = new URL(ref.url);
      if (this.#scope.includes(page))
        this.#addPage(page, 1, task.page, extendVia(task.via, { url: page.href, reason: ref.reason }), 0);
    }
    this.#followWebpack(analysis, url, task);
  }

  /** webpack/rspack: chunk names come from a runtime's map, chunk ids from any script that loads one. */
  #followWebpack(analysis: Analysis, url: URL, task: Task): void {
    const namers =
      this.#webpackNamers.length < MAX_WEBPACK_RUNTIMES ? (analysis.namers ?? []).map(namerOf) : [];
    const ids = analysis.chunkIds ?? [];
    if (namers.length === 0 && ids.length === 0) return;
    const app = analysis.webpackApp ?? '';
    for (const namer of namers) {
      this.#webpackNamers.push({ namer, app });
      for (const id of namer.ids) this.#addWebpackChunk(namer, id, task, url);
      for (const asked of this.#webpackChunkIds.values())
        if (sameWebpackApp(app, asked.app))
          this.#addWebpackChunk(namer, asked.id, asked.asker, asked.asker.url);
    }
    for (const id of ids) {
      const key = `${app}\n${id}`;
      if (this.#webpackChunkIds.has(key) || this.#webpackChunkIds.size >= MAX_WEBPACK_CHUNK_IDS) continue;
      this.#webpackChunkIds.set(key, { id, app, asker: task });
      for (const known of this.#webpackNamers)
        if (sameWebpackApp(app, known.app)) this.#addWebpackChunk(known.namer, id, task, url);
    }
  }

  #addWebpackChunk(namer: WebpackChunkNamer, id: string, from: Task, fromUrl: URL): void {
    const url = webpackChunkUrl(namer, id);
    if (url === undefined) return;
    const reason = namer.kind === 'script' ? 'webpack chunk map' : 'webpack CSS chunk map';
    this.#addCodeRef(
      { url, kind: namer.kind === 'script' ? 'referenced' : 'stylesheet', reason },
      from,
      fromUrl,
    );
  }

  #followLinkHeaders(task: Task, resource: FetchedResource): void {
    const { scripts, alternates } = linkHeaderRefs(resource.links, resource.url);
    for (const ref of scripts) this.#addCodeRef(ref, task, resource.url);
    if (task.kind === 'page') {
      for (const url of alternates)
        this.#addPage(
          url,
          task.depth + 1,
          resource.url.href,
          extendVia(task.via, { url: url.href, reason: 'hreflang alternate (Link header)' }),
          task.hops,
        );
    }
  }

  /**
   * Queues what `from` names, unless it is third-party code reaching further afield: code off the site
   * is followed only to its own origin or back to the site, and only MAX_OFF_SITE_HOPS in a row.
   * Tag-manager containers load other vendors' tags by design, so theirs are followed anywhere.
   */
  #addCodeRef(ref: ScriptRef, from: Task, fromUrl: URL): void {
    if (from.hops >= MAX_CHAIN_HOPS) return;
    if (from.kind === 'script' && from.scriptKind !== 'tag-manager' && !this.#scope.includes(fromUrl)) {
      if (from.offSite >= MAX_OFF_SITE_HOPS) return;
      if (ref.url.origin !== fromUrl.origin && !this.#scope.includes(ref.url)) return;
    }
    this.#addScript(ref, from);
  }

  #followPage(analysis: Analysis, pageUrl: URL, task: Task): void {
    const { links } = analysis;
    if (analysis.linkError !== undefined || links === undefined) {
      this.#errors.push({
        url: pageUrl.href,
        error: `could not read the page's links: ${analysis.linkError}`,
      });
      return;
    }
    this.#hooks.onPage?.({ url: pageUrl.href, scripts: links.scripts.map((ref) => ref.url) });
    for (const ref of links.scripts) this.#addScript(scriptRef(ref), task);
    for (const href of links.alternates) {
      const url = new URL(href);
      this.#addPage(
        url,
        task.depth + 1,
        pageUrl.href,
        extendVia(task.via, { url: url.href, reason: 'hreflang alternate' }),
        task.hops,
      );
    }
    for (const { key, href } of links.pages) {
      // Site-wide navigation repeats the same links on every page; each is followed from the first.
      if (key !== '') {
        if (this.#handledLinks.has(key)) continue;
        if (this.#handledLinks.size < MAX_REMEMBERED_LINKS) this.#handledLinks.add(key);
      }
      this.#addPage(new URL(href), task.depth + 1, pageUrl.href, task.via, task.hops);
    }
  }

  #addSeeds(): void {
    const seeds = this.#options.seeds;
    if (seeds === undefined) return;
    const start: Hop = { url: this.#startUrl.href, reason: 'start' };
    for (const raw of seeds.pages) {
      const url = resolveLink(raw, this.#startUrl);
      if (url === null) continue;
      // A place that is no longer part of the site is reported, so it never counts as clean.
      if (!this.#scope.includes(url)) {
        this.#note(this.#errors, { url: url.href, error: 'not on the site any more (not fetched)' });
      } else
        this.#addPage(
          url,
          1,
          this.#startUrl.href,
          [start, { url: url.href, reason: 'seen in an earlier scan' }],
          0,
        );
    }
    for (const { url: raw, page } of seeds.scripts) {
      const url = resolveLink(raw, this.#startUrl);
      const pageUrl = resolveLink(page, this.#startUrl);
      if (url === null || pageUrl === null) continue;
      this.#addScript(
        { url, kind: 'referenced', reason: 'seen in an earlier scan' },
        {
          kind: 'page',
          url: pageUrl,
          depth: 1,
          page: pageUrl.href,
          via: [{ url: pageUrl.href, reason: 'seen in an earlier scan' }],
          hops: 1,
          offSite: 0,
        },
      );
    }
  }

  /**
   * Queues a page. `via` is the chain of the page that links here (or, for alternates, sitemap
   * entries and manifest routes, the chain already ending with this page).
   */
  #addPage(url: URL, depth: number, from: string, via: Hop[], parentHops: number): void {
    if (!this.#scope.includes(url) || looksLikeNonPage(url)) return;
    const key = normalizeUrl(url);
    if (this.#seenPages.has(key)) return;
    if (depth > this.#options.maxDepth) return;
    if (this.#pagesEnqueued >= this.#options.maxPages) {
      this.#stoppedBy ??= 'max-pages';
      this.#note(this.#skipped, { url: url.href, error: 'page limit reached' });
      return;
    }
    this.#seenPages.add(key);
    this.#pagesEnqueued++;
    const ends = via.at(-1)?.url === url.href;
    this.#enqueue({
      kind: 'page',
      url,
      depth,
      page: from,
      via: ends ? via : extendVia(via, { url: url.href, reason: 'link' }),
      hops: ends ? Math.max(parentHops + 1, via.length) : parentHops + 1,
      offSite: 0,
    });
  }

  #addScript(ref: ScriptRef, from: Task): void {
    // Data files, manifests and source maps of other sites are their business, and often large.
    if (
      (ref.kind === 'data' ||
        ref.kind === 'source-map' ||
        ref.kind === 'manifest' ||
        ref.kind === 'app-manifest') &&
      !this.#scope.includes(ref.url)
    )
      return;
    const key = normalizeUrl(ref.url);
    if (this.#seenScripts.has(key)) return;
    if (this.#scriptsEnqueued >= this.#options.maxScripts) {
      this.#stoppedBy ??= 'max-scripts';
      this.#note(this.#skipped, { url: ref.url.href, error: 'script limit reached' });
      return;
    }
    this.#seenScripts.add(key);
    this.#scriptsEnqueued++;
    this.#enqueue({
      kind: 'script',
      url: ref.url,
      depth: 0,
      page: from.kind === 'page' ? from.url.href : from.page,
      scriptKind: ref.kind,
      ...(ref.routeBase === undefined ? {} : { routeBase: ref.routeBase }),
      via: extendVia(from.via, { url: ref.url.href, reason: ref.reason }),
      hops: from.hops + 1,
      offSite: this.#scope.includes(ref.url) ? 0 : from.offSite + 1,
    });
  }

  #addSitemap(raw: string, base: URL): void {
    const url = resolveLink(raw, base);
    if (!url || !this.#scope.includes(url)) return;
    const key = normalizeUrl(url);
    if (this.#seenSitemaps.has(key) || this.#seenSitemaps.size >= MAX_SITEMAPS) return;
    this.#seenSitemaps.add(key);
    this.#enqueue({
      kind: 'sitemap',
      url,
      depth: 1,
      page: base.href,
      via: [{ url: url.href, reason: 'sitemap' }],
      hops: 1,
      offSite: 0,
    });
  }

  /** Once the start page has settled, the site's origin is known: read its robots.txt and sitemap. */
  #afterStartPage(): void {
    if (!this.#options.useSitemaps || this.#stopped) return;
    if (this.#startError?.code === 'REFUSED_TARGET') return;
    const origin = this.#finalUrl.origin;
    this.#seenSitemaps.add(normalizeUrl(new URL('/robots.txt', origin)));
    const robots = new URL('/robots.txt', origin);
    this.#enqueue({
      kind: 'robots',
      url: robots,
      depth: 1,
      page: origin,
      via: [{ url: robots.href, reason: 'robots.txt' }],
      hops: 1,
      offSite: 0,
    });
    this.#addSitemap('/sitemap.xml', new URL(origin));
  }

  #recordFailure(task: Task, error: unknown, errorPage?: Analysis): void {
    if (this.#stopped && this.#stoppedBy !== undefined) return;
    const scanError =
      error instanceof ScanError
        ? error
        : new ScanError('NETWORK', error instanceof Error ? error.message : String(error));
    if (task.start) this.#startError = scanError;
    if (scanError.code === 'OFF_SITE_REDIRECT') {
      this.#note(this.#skipped, { url: task.url.href, error: scanError.message });
      return;
    }
    // A missing robots.txt or sitemap is normal, not an error worth reporting.
    if ((task.kind === 'robots' || task.kind === 'sitemap') && scanError.status === 404) return;
    this.#note(this.#errors, { url: task.url.href, error: scanError.message });
    this.#scanErrorPage(task, scanError, errorPage);
  }

  /** An error page is as public as any other: keys in its body (analysed already) or headers are findings too. */
  #scanErrorPage(requested: Task, error: ScanError, analysis: Analysis | undefined): void {
    const resource = error.resource;
    if (resource === undefined || (requested.kind !== 'page' && requested.kind !== 'script')) return;
    const task = afterRedirects(requested, resource.redirects ?? []);
    if (analysis !== undefined) {
      this.#collector.record(analysis.privateKeys, analysis.placeholders, analysis.publicKeys, {
        ...this.#where(task, resource.url),
        html: analysis.html,
      });
    }
    this.#scanHeaders(task, resource.url, resource.headerText);
  }

  #note(list: ResourceError[], entry: ResourceError): void {
    if (list.length < MAX_LISTED) list.push(entry);
  }

  #reportProgress(): void {
    this.#hooks.onProgress?.({
      pagesScanned: this.#pagesScanned,
      scriptsScanned: this.#scriptsScanned,
      queued: this.#queue.length - this.#head,
      findings: this.#collector.findingCount,
      bytesFetched: this.#fetcher.bytesRead,
    });
  }
}

function resourceKindOf(task: Task): ResourceKind {
  if (task.kind !== 'script') return task.kind;
  if (task.scriptKind === 'tag-manager') return 'tag-manager';
  if (task.scriptKind === 'stylesheet') return 'stylesheet';
  if (task.scriptKind === 'manifest') return 'manifest';
  return 'script';
}

/** Answers that say the site is struggling or limiting the scan: fewer requests at once, then. */
function showsStrain(error: unknown): boolean {
  if (!(error instanceof ScanError)) return false;
  if (error.code === 'TIMEOUT' || error.code === 'NETWORK') return true;
  return error.code === 'HTTP_STATUS' && (error.status === 429 || (error.status ?? 0) >= 500);
}

/** A source map names nothing to fetch (its `sources` are file names), nor does a manifest. */
function followsCode(task: Task): boolean {
  return task.hops < MAX_CHAIN_HOPS && task.scriptKind !== 'source-map' && task.scriptKind !== 'manifest';
}

/** The fetched body, handed over to the analyzer: nothing here reads it (nor its text) afterwards. */
function takeBody(resource: { body?: Buffer }): Buffer | undefined {
  const { body } = resource;
  resource.body = undefined;
  return body;
}

function scriptRef(ref: RefData): ScriptRef {
  return {
    url: new URL(ref.url),
    kind: ref.kind,
    reason: ref.reason,
    ...(ref.routeBase === undefined ? {} : { routeBase: new URL(ref.routeBase) }),
  };
}

/** Files whose app is unknown are matched with every app, so no chunk is missed. */
function sameWebpackApp(a: string, b: string): boolean {
  return a === b || a === '' || b === '';
}

function namerOf(data: NamerData): WebpackChunkNamer {
  return { ...data, base: new URL(data.base) };
}

/** The public-key audit and the notes about limits, as warnings a person can act on. */
export function auditWarnings(
  findings: Finding[],
  publicKeys: PublicKeyUse[],
  options: Pick<ScanOptions, 'expectPublicKey' | 'maxPages' | 'maxScripts' | 'timeBudgetMs'>,
  stoppedBy: ScanResult['stoppedBy'],
  truncated: ScanResult['truncated'],
): ScanWarning[] {
  const warnings: ScanWarning[] = [];
  const siteKeys = publicKeys.map((use) => use.key);
  if (siteKeys.length > 1) {
    warnings.push({
      code: 'multiple_public_keys',
      message: `The pages use ${siteKeys.length} different Klaviyo public keys (site IDs): ${publicKeys
        .map((use) => `${use.key} (${use.count}×)`)
        .join(', ')}. A store normally has one.`,
    });
  }
  const expected = options.expectPublicKey;
  if (expected !== undefined) {
    const others = siteKeys.filter((key) => key !== expected);
    if (others.length > 0) {
      warnings.push({
        code: 'unexpected_public_key',
        message: `Expected public key ${expected}, but the pages also use ${others.join(', ')}.`,
      });
    }
    if (!siteKeys.includes(expected)) {
      warnings.push({
        code: 'expected_public_key_missing',
        message: `The expected public key ${expected} was not seen on any page.`,
      });
    }
  }
  const accountKeys = new Set(expected === undefined ? siteKeys : [...siteKeys, expected]);
  for (const finding of findings) {
    if (finding.accountPublicKey === undefined) continue;
    if (accountKeys.has(finding.accountPublicKey)) {
      warnings.push({
        code: 'key_belongs_to_site',
        message: `${finding.masked} belongs to this site's own Klaviyo account (${finding.accountPublicKey}).`,
      });
    } else if (accountKeys.size > 0) {
      warnings.push({
        code: 'key_belongs_to_other_account',
        message: `${finding.masked} belongs to Klaviyo account ${finding.accountPublicKey}, not the one the site uses.`,
      });
    }
  }
  if (truncated.length > 0) {
    warnings.push({
      code: 'truncated',
      message: `${plural(truncated.length, 'response')} ${truncated.length === 1 ? 'was' : 'were'} larger than the per-response limit; only ${truncated.length === 1 ? 'its' : 'their'} beginning was scanned.`,
    });
  }
  if (stoppedBy !== undefined) {
    const why = {
      'max-pages': `the page limit (${options.maxPages}) was reached`,
      'max-scripts': `the script limit (${options.maxScripts}) was reached`,
      'time-budget': `the time budget (${Math.round(options.timeBudgetMs / 1000)} s) ran out`,
      aborted: 'the scan was stopped',
    }[stoppedBy];
    warnings.push({ code: 'incomplete', message: `The scan is incomplete: ${why}.` });
  }
  return warnings;
}
