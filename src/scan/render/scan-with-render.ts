import { plural } from '../../words.js';
import { type ScanHooks, type ScanResult, scanSite } from '../crawler.js';
import { Fetcher } from '../fetcher.js';
import { FindingsCollector } from '../findings.js';
import { OptionError, resolveScanOptions, type ScanOptions } from '../options.js';
import { parseTarget } from '../url-scope.js';
import { mergeRenderFindings } from './merge.js';
import type { RenderCounters } from './page-visit.js';
import { Renderer } from './renderer.js';
import type { RenderScope } from './request-policy.js';
import { emptySummary, type RenderSummary } from './summary.js';
import { choosePages, type PageTemplate, templateOf } from './templates.js';
import { firstLine } from './waiting.js';

/** The limits of the render pass; every one explicit and validated, like the crawl's. */
export interface RenderOptions {
  /** The browser binary (see `findBrowser`). */
  executablePath: string;
  /** Pages rendered at most: the start page, then one per template the crawl found. */
  maxPages: number;
  /** One page, from opening it to reading what it became. */
  pageTimeoutMs: number;
  /**
   * The part of the scan's time budget kept for the browser: the crawl gets the rest, and the render
   * pass runs until the whole budget is spent.
   */
  budgetMs: number;
  /** Page time given to timers and idle callbacks after a page has loaded (on virtual time). */
  settleMs: number;
  /** Pages open at once. */
  concurrency: number;
}

export const DEFAULT_RENDER_OPTIONS = Object.freeze({
  maxPages: 20,
  pageTimeoutMs: 30_000,
  settleMs: 5_000,
  concurrency: 1,
});

const RANGES: Partial<Record<keyof RenderOptions, [number, number, string]>> = {
  maxPages: [1, 1_000, '--render-pages'],
  pageTimeoutMs: [1_000, 600_000, '--render-timeout (ms)'],
  budgetMs: [1_000, 24 * 3_600_000, '--render-budget (ms)'],
  settleMs: [0, 60_000, 'settleMs'],
  concurrency: [1, 8, 'concurrency'],
};

/** Fills defaults (half of the scan's time budget for the browser) and rejects out-of-range limits. */
export function resolveRenderOptions(
  partial: Partial<RenderOptions> & { executablePath: string },
  scan: Pick<ScanOptions, 'timeBudgetMs'>,
): RenderOptions {
  const options: RenderOptions = {
    ...DEFAULT_RENDER_OPTIONS,
    budgetMs: Math.round(scan.timeBudgetMs / 2),
    ...Object.fromEntries(Object.entries(partial).filter(([, value]) => value !== undefined)),
  } as RenderOptions;
  for (const [name, [min, max, label]] of Object.entries(RANGES) as [
    keyof RenderOptions,
    [number, number, string],
  ][]) {
    const value = options[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
      throw new OptionError(
        name,
        `${label} must be a whole number from ${min} to ${max}, not ${String(value)}`,
      );
  }
  if (options.budgetMs >= scan.timeBudgetMs)
    throw new OptionError('budgetMs', '--render-budget must be shorter than --time-budget');
  return options;
}

const MAX_TEMPLATES_KEPT = 5_000;
/** Time kept at the end of the budget for closing pages and the browser. */
const CLOSE_RESERVE_MS = 1_500;

/**
 * The static scan, then the render pass over the start page and one page per template it found; one
 * result with both passes' findings and a `render` summary. The browser starts while the crawl runs,
 * and is closed before this returns or throws, whatever happened.
 */
export async function scanSiteWithRender(
  target: string,
  partialOptions: Partial<ScanOptions>,
  partialRender: Partial<RenderOptions> & { executablePath: string },
  hooks: ScanHooks = {},
): Promise<ScanResult> {
  const options = resolveScanOptions(partialOptions);
  const renderOptions = resolveRenderOptions(partialRender, options);
  const started = Date.now();
  // The last pages stop early enough for the browser to be closed within the budget.
  const deadline = started + options.timeBudgetMs - CLOSE_RESERVE_MS;
  const startUrl = parseTarget(target);

  const templates: PageTemplate[] = [];
  const knownHosts = new Set<string>([startUrl.host]);
  const onPage: ScanHooks['onPage'] = (page) => {
    hooks.onPage?.(page);
    if (templates.length < MAX_TEMPLATES_KEPT) templates.push(templateOf(page));
    for (const url of [page.url, ...page.scripts]) knownHosts.add(new URL(url).host);
  };
  const opening = Renderer.open(renderOptions.executablePath, options.userAgent).then(
    (renderer) => ({ renderer }),
    (error: unknown) => ({ error }),
  );
  let result: ScanResult;
  try {
    result = await scanSite(
      startUrl,
      { ...partialOptions, timeBudgetMs: options.timeBudgetMs - renderOptions.budgetMs },
      { ...hooks, onPage },
    );
  } catch (error) {
    const opened = await opening;
    if ('renderer' in opened) await opened.renderer.close();
    throw error;
  }
  const opened = await opening;
  if ('error' in opened) {
    const reason = whyNotStarted(opened.error);
    return finish(result, started, emptySummary('failed', reason));
  }

  const { renderer } = opened;
  const finalUrl = new URL(result.finalUrl);
  const siteHosts = new Set([startUrl.host, finalUrl.host]);
  knownHosts.add(finalUrl.host);
  const scope: RenderScope = {
    isSite: (url) => siteHosts.has(url.host),
    isKnownHost: (url) => knownHosts.has(url.host),
  };
  const policy = {
    timeoutMs: options.requestTimeoutMs,
    maxBytes: options.maxBytesPerResponse,
    maxRedirects: 0,
    userAgent: options.userAgent,
  };
  const fetchers = {
    site: new Fetcher({ ...policy, allowPrivateNetworks: options.allowPrivateNetworks }),
    public: new Fetcher({ ...policy, allowPrivateNetworks: false }),
  };
  const collector = new FindingsCollector();
  const counters: RenderCounters = {
    requestsSeen: 0,
    requestsFetched: 0,
    requestsRefused: 0,
    requestsHeldBack: 0,
    runtimeScripts: 0,
    refused: [],
  };
  const pages = choosePages(result.finalUrl, templates, renderOptions.maxPages);
  const renderStarted = Date.now();
  const controller = new AbortController();
  const stop = () => controller.abort();
  hooks.signal?.addEventListener('abort', stop, { once: true });
  if (hooks.signal?.aborted) stop();
  let summary: RenderSummary;
  try {
    const run = await renderer.render({
      pages,
      deadline,
      pageTimeoutMs: renderOptions.pageTimeoutMs,
      concurrency: renderOptions.concurrency,
      visit: {
        scope,
        fetchers,
        collector,
        counters,
        scannedScripts: new Set(renderer.ownScripts),
        fetchedScriptUrls: new Set(),
        maxBytes: options.maxBytesPerResponse,
        settleMs: renderOptions.settleMs,
        signal: controller.signal,
      },
    });
    const reason =
      run.stoppedBy === 'time-budget'
        ? `the time budget ran out after ${run.pagesRendered} of ${plural(pages.length, 'page')}`
        : run.stoppedBy === 'aborted'
          ? 'the scan was stopped'
          : run.stoppedBy === 'browser-crashed'
            ? 'the browser stopped unexpectedly'
            : undefined;
    summary = {
      status:
        run.stoppedBy === 'browser-crashed' ? 'failed' : run.stoppedBy === undefined ? 'done' : 'incomplete',
      ...(reason === undefined ? {} : { reason }),
      browser: renderer.browserName,
      pagesPlanned: pages.length,
      pagesRendered: run.pagesRendered,
      requestsSeen: counters.requestsSeen,
      requestsFetched: counters.requestsFetched,
      requestsRefused: counters.requestsRefused,
      requestsHeldBack: counters.requestsHeldBack,
      runtimeScripts: counters.runtimeScripts,
      browserConnectionAttempts: renderer.connectionAttempts,
      durationMs: Date.now() - renderStarted,
      errors: run.errors,
      refused: counters.refused,
    };
  } finally {
    hooks.signal?.removeEventListener('abort', stop);
    await renderer.close();
    await Promise.all([fetchers.site.close(), fetchers.public.close()]);
  }
  summary.browserConnectionAttempts = renderer.connectionAttempts;
  const merged = mergeRenderFindings(result, collector, options);
  merged.stats = {
    ...merged.stats,
    requests: merged.stats.requests + fetchers.site.requestsSent + fetchers.public.requestsSent,
    bytesFetched: merged.stats.bytesFetched + fetchers.site.bytesRead + fetchers.public.bytesRead,
  };
  return finish(merged, started, summary);
}

/**
 * The static scan alone, for a caller that asked for rendering where no browser is installed: the
 * result says so (a `render` summary marked unavailable, and a warning).
 */
export async function scanSiteWithoutBrowser(
  target: string,
  options: Partial<ScanOptions>,
  hooks: ScanHooks,
  reason: string,
): Promise<ScanResult> {
  const started = Date.now();
  return finish(await scanSite(target, options, hooks), started, emptySummary('unavailable', reason));
}

/** The result with the render summary, the whole scan's duration, and a warning unless it all went well. */
export function finish(result: ScanResult, started: number, summary: RenderSummary): ScanResult {
  const warnings = [...result.warnings];
  if (summary.status !== 'done') {
    warnings.push({
      code: 'render',
      message: `${summary.status === 'incomplete' ? 'Not every page was opened in a browser' : 'Pages were not opened in a browser'}: ${summary.reason}.`,
    });
  }
  return { ...result, durationMs: Date.now() - started, warnings, render: summary };
}

function whyNotStarted(error: unknown): string {
  const message = firstLine(error);
  // Chromium refuses to run without its sandbox, which needs user namespaces (see the README on Docker).
  if (/sandbox/i.test(message))
    return "the browser's sandbox could not start: this machine or container does not allow user namespaces";
  return `the browser could not be started: ${message}`;
}
