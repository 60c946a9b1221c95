import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { killBrowserByMarker, launchBrowser } from './browser.js';
import { installPageGuards, PageVisit, scriptId, type VisitContext } from './page-visit.js';
import { type RefusingProxy, startRefusingProxy } from './refusing-proxy.js';
import type { RenderNote } from './summary.js';
import { firstLine, settledWithin } from './waiting.js';

export interface RenderJob {
  pages: string[];
  /** When the whole scan's time is up. */
  deadline: number;
  pageTimeoutMs: number;
  /** Pages open at once. */
  concurrency: number;
  visit: VisitContext;
}

export interface RenderRun {
  pagesRendered: number;
  errors: RenderNote[];
  stoppedBy?: 'time-budget' | 'aborted' | 'browser-crashed';
}

/** How long a page or the browser may take to close before it is ended by force. */
const CLOSE_WAIT_MS = 3_000;
const OPEN_WAIT_MS = 10_000;
/** Past a page's deadline, how long its visit may still take to read the page before it is given up. */
const GIVE_UP_AFTER_MS = 5_000;

/** One headless browser for one scan, with its refusing proxy; `close` always leaves no process behind. */
export class Renderer {
  readonly #browser: Browser;
  readonly #context: BrowserContext;

  readonly #proxy: RefusingProxy;
  readonly #marker: string;
  /** Scripts Playwright itself adds to every document (its service-worker block): not the site's. */
  readonly ownScripts: ReadonlySet<string>;
  #crashed = false;
  #closing: Promise<void> | undefined;

  private constructor(
    browser: Browser,
    context: BrowserContext,
    proxy: RefusingProxy,
    marker: string,
    ownScripts: ReadonlySet<string>,
  ) {
    this.ownScripts = ownScripts;
    this.#browser = browser;
    this.#context = context;
    this.#proxy = proxy;
    this.#marker = marker;
    browser.on('disconnected', () => {
      if (this.#closing === undefined) this.#crashed = true;
    });
  }

  static async open(executablePath: string, userAgent: string): Promise<Renderer> {
    const proxy = await startRefusingProxy();
    const marker = randomUUID();
    let browser: Browser | undefined;
    try {
      browser = await launchBrowser({ executablePath, proxyPort: proxy.port, marker });
      const context = await browser.newContext({
        serviceWorkers: 'block',
        acceptDownloads: false,
        viewport: { width: 1280, height: 900 },
        // The browser's own identity, and the scan's: the site's logs show who rendered the page.
        userAgent: `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/${browser.version()} Safari/537.36 ${userAgent}`,
      });
      const ownScripts = await within(
        scriptsOfBlankPage(context),
        OPEN_WAIT_MS,
        'the browser did not open a page',
      );
      return new Renderer(browser, context, proxy, marker, ownScripts);
    } catch (error) {
      await closeBrowser(browser, marker);
      await proxy.close();
      throw error;
    }
  }

  get browserName(): string {
    return `Chromium ${this.#browser.version()}`;
  }

  /** Connections the browser tried on its own; each met the refusing proxy. */
  get connectionAttempts(): number {
    return this.#proxy.attempts;
  }

  async render(job: RenderJob): Promise<RenderRun> {
    const run: RenderRun = { pagesRendered: 0, errors: [] };
    let next = 0;
    const worker = async () => {
      for (;;) {
        if (job.visit.signal.aborted) run.stoppedBy ??= 'aborted';
        else if (this.#crashed) run.stoppedBy ??= 'browser-crashed';
        else if (Date.now() >= job.deadline) run.stoppedBy ??= 'time-budget';
        if (run.stoppedBy !== undefined || next >= job.pages.length) return;
        const url = job.pages[next++] as string;
        const deadline = Math.min(job.deadline, Date.now() + job.pageTimeoutMs);
        let page: Page | undefined;
        let visit: PageVisit | undefined;
        let trouble = true;
        try {
          page = await within(this.#context.newPage(), OPEN_WAIT_MS, 'the browser did not open a page');
          visit = new PageVisit(page, url, deadline, job.visit);
          // A renderer stuck in a page's code can leave any call to it unanswered; the visit has its
          // deadline, and past it (and the time to read what the page became) it is given up.
          const result = await within(
            visit.run(),
            deadline - Date.now() + GIVE_UP_AFTER_MS,
            'the page stopped answering',
          );
          trouble = result.problem !== undefined;
          if (result.opened) run.pagesRendered++;
          if (result.problem !== undefined && result.problem !== 'stopped')
            run.errors.push({ url, reason: result.problem });
        } catch (error) {
          if (!job.visit.signal.aborted && !this.#crashed)
            run.errors.push({ url, reason: `could not be rendered: ${firstLine(error)}` });
        } finally {
          // The answer to a crash request may never come: the renderer it would come from is gone.
          if (trouble && visit !== undefined) await settledWithin(visit.abandon(), 1_000);
          if (page !== undefined) await settledWithin(page.close({ runBeforeUnload: false }), CLOSE_WAIT_MS);
        }
      }
    };
    await Promise.all(
      Array.from({ length: Math.max(1, Math.min(job.concurrency, job.pages.length)) }, worker),
    );
    return run;
  }

  /** Closes the browser; one that does not close in time is killed. Safe to call more than once. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await closeBrowser(this.#browser, this.#marker);
      await this.#proxy.close();
    })();
    return this.#closing;
  }
}

/** The scripts that run in an empty document, by the debugger's hash and length (see `scriptId`). */
async function scriptsOfBlankPage(context: BrowserContext): Promise<Set<string>> {
  const page = await context.newPage();
  try {
    const cdp = await context.newCDPSession(page);
    const scripts = new Set<string>();
    cdp.on('Debugger.scriptParsed', (event) => scripts.add(scriptId(event)));
    await installPageGuards(cdp);
    await cdp.send('Debugger.enable');
    await page.goto('data:text/html,');
    return scripts;
  } finally {
    await page.close();
  }
}

/** The work's result, or an error with `message` when it has not ended within `ms`. */
async function within<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let result: { value: T } | undefined;
  let failure: { error: unknown } | undefined;
  const ended = work.then(
    (value) => {
      result = { value };
    },
    (error: unknown) => {
      failure = { error };
    },
  );
  await settledWithin(ended, Math.max(0, ms));
  if (result !== undefined) return result.value;
  if (failure !== undefined) throw failure.error;
  throw new Error(message);
}

async function closeBrowser(browser: Browser | undefined, marker: string): Promise<void> {
  const closed = browser === undefined ? true : await settledWithin(browser.close(), CLOSE_WAIT_MS);
  // A browser that did not answer, or one whose launch failed half-way, is killed outright.
  if (!closed || browser === undefined) killBrowserByMarker(marker);
}
