import { setTimeout as sleep } from 'node:timers/promises';
import { ScanError } from './errors.js';
import {
  extractFromHtml,
  findScriptUrlsInCode,
  parseSitemap,
  type ScriptRef,
  sitemapsFromRobots,
} from './extract.js';
import { type FetchedResource, Fetcher } from './fetcher.js';
import {
  type Finding,
  FindingsCollector,
  type KeyRing,
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
  /** True unless a limit or a stop cut the scan short. */
  complete: boolean;
  stoppedBy?: 'max-pages' | 'max-scripts' | 'time-budget' | 'aborted';
  findings: Finding[];
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
  /** Told about each HTML page read, with the scripts it loads (the render pass picks pages by them). */
  onPage?: (page: CrawledPage) => void;
}

export interface CrawledPage {
  url: string;
  scripts: string[];
}

interface Task {
  kind: 'page' | 'script' | 'sitemap' | 'robots';
  url: URL;
  depth: number;
  /** The page that led here. */
  page: string;
  scriptKind?: ScriptRef['kind'];
  start?: boolean;
}

const MAX_SITEMAPS = 50;
const MAX_SCRIPT_DEPTH = 3;
const MAX_LISTED = 100;
const MAX_REMEMBERED_LINKS = 200_000;

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
  const fetcher = new Fetcher({
    allowPrivateNetworks: options.allowPrivateNetworks,
    timeoutMs: options.requestTimeoutMs,
    maxBytes: options.maxBytesPerResponse,
    maxRedirects: options.maxRedirects,
    userAgent: options.userAgent,
  });
  // A refused literal address is answered here, before any socket exists.
  fetcher.checkTarget(startUrl);
  try {
    return await new Crawl(startUrl, options, fetcher, hooks).run();
  } finally {
    await fetcher.close();
  }
}

class Crawl {
  readonly #options: ScanOptions;
  readonly #fetcher: Fetcher;
  readonly #hooks: ScanHooks;
  readonly #now: () => number;
  readonly #startUrl: URL;
  readonly #scope: SiteScope;
  readonly #collector = new FindingsCollector();
  readonly #controller = new AbortController();

  readonly #queue: Task[] = [];
  #head = 0;
  #active = 0;
  readonly #seenPages = new Set<string>();
  readonly #seenScripts = new Set<string>();
  readonly #seenSitemaps = new Set<string>();
  #pagesEnqueued = 0;
  #scriptsEnqueued = 0;

  #pagesScanned = 0;
  #scriptsScanned = 0;
  #sitemapsRead = 0;
  #finalUrl: URL;
  #startError: ScanError | undefined;
  #stoppedBy: ScanResult['stoppedBy'];
  readonly #errors: ResourceError[] = [];
  readonly #skipped: ResourceError[] = [];
  readonly #truncated: ScanResult['truncated'] = [];
  readonly #scriptDepth = new Map<string, number>();
  readonly #handledLinks = new Set<string>();

  /**
   * Resolves a page link unless the same absolute or root-relative link was handled on an earlier
   * page: site-wide navigation would otherwise cost one URL parse per link per page.
   */
  readonly #resolveNewPageLink = (raw: string, base: URL): URL | null => {
    const key =
      raw.startsWith('/') && !raw.startsWith('//')
        ? `${base.origin}${raw}`
        : /^https?:/i.test(raw)
          ? raw
          : '';
    if (key !== '') {
      if (this.#handledLinks.has(key)) return null;
      if (this.#handledLinks.size < MAX_REMEMBERED_LINKS) this.#handledLinks.add(key);
    }
    return resolveLink(raw, base);
  };

  constructor(startUrl: URL, options: ScanOptions, fetcher: Fetcher, hooks: ScanHooks) {
    this.#startUrl = startUrl;
    this.#finalUrl = startUrl;
    this.#options = options;
    this.#fetcher = fetcher;
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
    this.#enqueue({ kind: 'page', url: this.#startUrl, depth: 0, page: this.#startUrl.href, start: true });
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
      complete: this.#stoppedBy === undefined,
      ...(this.#stoppedBy === undefined ? {} : { stoppedBy: this.#stoppedBy }),
      findings,
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

  /** Runs queued tasks with bounded concurrency until the queue is empty or the scan is stopped. */
  #drain(): Promise<void> {
    return new Promise((resolve) => {
      const pump = () => {
        while (
          !this.#stopped &&
          this.#active < this.#options.concurrency &&
          this.#head < this.#queue.length
        ) {
          const task = this.#queue[this.#head] as Task;
          this.#queue[this.#head] = undefined as unknown as Task;
          this.#head++;
          this.#active++;
          this.#runTask(task).finally(() => {
            this.#active--;
            this.#reportProgress();
            pump();
          });
        }
        if (this.#active === 0 && (this.#stopped || this.#head >= this.#queue.length)) resolve();
      };
      pump();
    });
  }

  async #runTask(task: Task): Promise<void> {
    try {
      const resource = await this.#fetchWithRetries(task);
      if (this.#stopped && this.#stoppedBy !== undefined) return;
      await this.#handle(task, resource);
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

  async #fetchWithRetries(task: Task): Promise<FetchedResource> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#fetcher.fetch({
          url: task.url,
          signal: this.#controller.signal,
          unpackGzipFile: task.kind === 'sitemap',
          allowRedirect: (from, to) => this.#allowRedirect(task, from, to),
        });
      } catch (error) {
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

  async #handle(task: Task, resource: FetchedResource): Promise<void> {
    if (resource.truncated) this.#truncated.push({ url: resource.url.href, bytesRead: resource.bytes });
    // Response headers are public too (a key in a custom header or a cookie is as exposed as in the page).
    if (resource.headerText.includes('pk')) {
      const resourceKind: ResourceKind =
        task.kind === 'page' ? 'page' : task.kind === 'script' ? 'script' : task.kind;
      this.#collector.scan(resource.headerText, {
        url: resource.url.href,
        page: task.kind === 'script' ? task.page : resource.url.href,
        resource: resourceKind,
        html: false,
        location: 'response-header',
      });
    }
    const text = resource.text;
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
      if (text === undefined) return;
      const html = resource.contentType.includes('html') || /^\s*</.test(text.slice(0, 256));
      this.#collector.scan(text, { url: resource.url.href, page: resource.url.href, resource: 'page', html });
      if (html) this.#followPage(text, resource.url, task.depth);
      return;
    }

    if (task.kind === 'script') {
      this.#scriptsScanned++;
      if (text === undefined) return;
      const kind: ResourceKind = task.scriptKind === 'tag-manager' ? 'tag-manager' : 'script';
      this.#collector.scan(text, { url: resource.url.href, page: task.page, resource: kind, html: false });
      const depth = this.#scriptDepth.get(normalizeUrl(task.url)) ?? 1;
      // Tag-manager containers and the site's own bundles load further scripts; third-party code is not followed.
      if (depth < MAX_SCRIPT_DEPTH && (kind === 'tag-manager' || this.#scope.includes(resource.url))) {
        for (const ref of findScriptUrlsInCode(text, resource.url))
          this.#addScript(ref, task.page, depth + 1);
      }
      return;
    }

    this.#sitemapsRead++;
    if (text === undefined) return;
    this.#collector.scan(text, {
      url: resource.url.href,
      page: resource.url.href,
      resource: task.kind,
      html: false,
    });
    if (task.kind === 'robots') {
      for (const raw of sitemapsFromRobots(text)) this.#addSitemap(raw, resource.url);
      return;
    }
    const sitemap = await parseSitemap(text);
    for (const raw of sitemap.locations) {
      if (sitemap.index) this.#addSitemap(raw, resource.url);
      else {
        const url = resolveLink(raw, resource.url);
        if (url) this.#addPage(url, 1, resource.url.href);
      }
    }
  }

  #followPage(html: string, pageUrl: URL, depth: number): void {
    let links: ReturnType<typeof extractFromHtml>;
    try {
      links = extractFromHtml(html, pageUrl, this.#resolveNewPageLink);
    } catch (error) {
      this.#errors.push({ url: pageUrl.href, error: `could not read the page's links: ${String(error)}` });
      return;
    }
    this.#hooks.onPage?.({ url: pageUrl.href, scripts: links.scripts.map((ref) => ref.url.href) });
    for (const ref of links.scripts) this.#addScript(ref, pageUrl.href, 1);
    for (const url of links.pages) this.#addPage(url, depth + 1, pageUrl.href);
  }

  #addSeeds(): void {
    const seeds = this.#options.seeds;
    if (seeds === undefined) return;
    for (const raw of seeds.pages) {
      const url = resolveLink(raw, this.#startUrl);
      if (url === null) continue;
      // A place that is no longer part of the site is reported, so it never counts as clean.
      if (!this.#scope.includes(url)) {
        this.#note(this.#errors, { url: url.href, error: 'not on the site any more (not fetched)' });
      } else this.#addPage(url, 1, this.#startUrl.href);
    }
    for (const { url: raw, page } of seeds.scripts) {
      const url = resolveLink(raw, this.#startUrl);
      if (url) this.#addScript({ url, kind: 'referenced' }, page, 1);
    }
  }

  #addPage(url: URL, depth: number, from: string): void {
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
    this.#enqueue({ kind: 'page', url, depth, page: from });
  }

  #addScript(ref: ScriptRef, page: string, depth: number): void {
    // Data files and source maps of other sites are their business, and often large.
    if ((ref.kind === 'data' || ref.kind === 'source-map') && !this.#scope.includes(ref.url)) return;
    const key = normalizeUrl(ref.url);
    if (this.#seenScripts.has(key)) return;
    if (this.#scriptsEnqueued >= this.#options.maxScripts) {
      this.#stoppedBy ??= 'max-scripts';
      this.#note(this.#skipped, { url: ref.url.href, error: 'script limit reached' });
      return;
    }
    this.#seenScripts.add(key);
    this.#scriptDepth.set(key, depth);
    this.#scriptsEnqueued++;
    this.#enqueue({ kind: 'script', url: ref.url, depth: 0, page, scriptKind: ref.kind });
  }

  #addSitemap(raw: string, base: URL): void {
    const url = resolveLink(raw, base);
    if (!url || !this.#scope.includes(url)) return;
    const key = normalizeUrl(url);
    if (this.#seenSitemaps.has(key) || this.#seenSitemaps.size >= MAX_SITEMAPS) return;
    this.#seenSitemaps.add(key);
    this.#enqueue({ kind: 'sitemap', url, depth: 1, page: base.href });
  }

  /** Once the start page has settled, the site's origin is known: read its robots.txt and sitemap. */
  #afterStartPage(): void {
    if (!this.#options.useSitemaps || this.#stopped) return;
    if (this.#startError?.code === 'REFUSED_TARGET') return;
    const origin = this.#finalUrl.origin;
    this.#seenSitemaps.add(normalizeUrl(new URL('/robots.txt', origin)));
    this.#enqueue({ kind: 'robots', url: new URL('/robots.txt', origin), depth: 1, page: origin });
    this.#addSitemap('/sitemap.xml', new URL(origin));
  }

  #recordFailure(task: Task, error: unknown): void {
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
    this.#scanErrorPage(task, scanError);
  }

  /** An error page is as public as any other: keys in its body or headers are findings too. */
  #scanErrorPage(task: Task, error: ScanError): void {
    const resource = error.resource;
    if (resource === undefined || (task.kind !== 'page' && task.kind !== 'script')) return;
    const page = task.kind === 'script' ? task.page : resource.url.href;
    const kind: ResourceKind = task.kind === 'page' ? 'page' : 'script';
    if (resource.text !== undefined) {
      const html = task.kind === 'page' && /^\s*</.test(resource.text.slice(0, 256));
      this.#collector.scan(resource.text, { url: resource.url.href, page, resource: kind, html });
    }
    if (resource.headerText.includes('pk')) {
      this.#collector.scan(resource.headerText, {
        url: resource.url.href,
        page,
        resource: kind,
        html: false,
        location: 'response-header',
      });
    }
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
      message: `${truncated.length} response(s) were larger than the per-response limit; only their beginning was scanned.`,
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
