import { setTimeout as sleep } from 'node:timers/promises';
import type { CDPSession, Page, WebSocket } from 'playwright-core';
import { isScanError } from '../errors.js';
import type { Fetcher, RelayedResponse } from '../fetcher.js';
import type { FindingsCollector, Hop, ResourceKind } from '../findings.js';
import type { HtmlLocation } from '../html-location.js';
import { judgeRequest, type RenderScope, type RequestVerdict } from './request-policy.js';
import type { RenderNote } from './summary.js';
import { settledWithin } from './waiting.js';

/** Counters of one render pass, shared by its pages. */
export interface RenderCounters {
  requestsSeen: number;
  requestsFetched: number;
  requestsRefused: number;
  requestsHeldBack: number;
  runtimeScripts: number;
  refused: RenderNote[];
}

/** What every page of one render pass shares. */
export interface VisitContext {
  scope: RenderScope;
  fetchers: { site: Fetcher; public: Fetcher };
  collector: FindingsCollector;
  counters: RenderCounters;
  /** Scripts (by the browser's hash and length) already scanned on an earlier page. */
  scannedScripts: Set<string>;
  /** Script URLs whose responses were scanned, so their parsed source need not be read again. */
  fetchedScriptUrls: Set<string>;
  maxBytes: number;
  /** Page time for timers and idle callbacks once the page has loaded, run on virtual time. */
  settleMs: number;
  signal: AbortSignal;
}

/** No request in flight for this long after `load` (which waited for the page's subresources). */
const FIRST_QUIET_MS = 300;
/** No request in flight for this long at the end: the network is quiet. */
const QUIET_MS = 500;
const MAX_SCROLL_STEPS = 30;
// Evaluated in the page, in an isolated world (as text: this package is not compiled against the DOM).
const SCROLL_TO_END = `(async () => {
  const end = () => document.scrollingElement ? document.scrollingElement.scrollHeight : 0;
  const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
  for (let step = 1; step <= ${MAX_SCROLL_STEPS} && innerHeight * step < end(); step++) {
    scrollTo(0, innerHeight * step);
    await frame();
  }
  scrollTo(0, end());
  await frame();
})()`;
const MAX_REQUESTS_PER_PAGE = 1_000;
const MAX_LISTED = 100;
const MAX_DOCUMENTS_KEPT = 10;
const MAX_FRAMES_READ = 20;
/** Reading the DOM of a page that overran its time still gets this long. */
const SNAPSHOT_GRACE_MS = 3_000;

type Outcome = 'done' | 'timeout' | 'aborted';

export interface VisitResult {
  /** Whether the page started loading (then what it did is scanned, even if it ran out of time). */
  opened: boolean;
  /** What went wrong, for the report; `stopped` when the scan itself was stopped. */
  problem?: string;
}

/**
 * One page in the browser: loads it with every request intercepted, waits for its network to go quiet,
 * scrolls it, lets its timers run, reads what it became, and scans all of it.
 */
export class PageVisit {
  readonly #page: Page;
  readonly #url: string;
  readonly #deadline: number;
  readonly #ctx: VisitContext;
  #inflight = 0;
  #lastActivity = Date.now();
  #requests = 0;
  #navigated = false;
  #mainFrameId = '';
  #cdp: CDPSession | undefined;
  /** Ends the page's requests still in flight once the visit is over. */
  readonly #done = new AbortController();
  readonly #documents: string[] = [];
  readonly #pendingScripts = new Set<Promise<void>>();

  constructor(page: Page, url: string, deadline: number, ctx: VisitContext) {
    this.#page = page;
    this.#url = url;
    this.#deadline = deadline;
    this.#ctx = ctx;
  }

  async run(): Promise<VisitResult> {
    try {
      return await this.#visit();
    } finally {
      this.#done.abort();
    }
  }

  async #visit(): Promise<VisitResult> {
    const page = this.#page;
    page.on('websocket', (socket) => this.#noteWebSocket(socket));
    page.on('popup', (popup) => this.#closePopup(popup));
    const cdp = await page.context().newCDPSession(page);
    this.#cdp = cdp;
    // Interception at the protocol level pauses every request of the page, its frames and its workers,
    // redirect hops included, and leaves none to go out on its own.
    cdp.on('Fetch.requestPaused', (event) => this.#intercept(cdp, event));
    cdp.on('Debugger.scriptParsed', (event) => this.#readScript(cdp, event));
    await installPageGuards(cdp);
    const { frameTree } = await cdp.send('Page.getFrameTree');
    this.#mainFrameId = frameTree.frame.id;
    await cdp.send('Fetch.enable', { patterns: [{ urlPattern: '*', requestStage: 'Request' }] });
    await cdp.send('Debugger.enable');
    // A `debugger;` statement must not stop the page while the debugger listens.
    await cdp.send('Debugger.setSkipAllPauses', { skip: true });

    let problem: string | undefined;
    try {
      await page.goto(this.#url, { waitUntil: 'load', timeout: Math.max(1, this.#deadline - Date.now()) });
    } catch (error) {
      if (this.#ctx.signal.aborted) return { opened: this.#navigated, problem: 'stopped' };
      if (!this.#navigated) return { opened: false, problem: describeFailure(error) };
      // The page started but never fired `load` in time: what it did so far is still worth reading.
      problem = 'did not finish loading in time';
    }
    // Settling runs on virtual time, which stands still while a request is in flight: it waits for
    // what scrolling set off, so only its own last requests need a quiet spell after it.
    let outcome: Outcome = await this.#waitForQuiet(FIRST_QUIET_MS);
    if (outcome === 'done') outcome = await this.#scroll(cdp);
    if (outcome === 'done') outcome = await this.#settle(cdp);
    if (outcome === 'done') outcome = await this.#waitForQuiet(QUIET_MS);
    if (outcome === 'aborted') return { opened: true, problem: 'stopped' };
    if (outcome === 'timeout') problem ??= 'timed out before the page settled';
    await this.#readPage(cdp);
    await settledWithin(Promise.allSettled([...this.#pendingScripts]), SNAPSHOT_GRACE_MS, this.#ctx.signal);
    return { opened: true, ...(problem === undefined ? {} : { problem }) };
  }

  /**
   * Ends the page's renderer at once. A page that ran out of time may be stuck in its own code, and a
   * stuck renderer answers no request to close; this one is served on the browser's IO thread.
   */
  async abandon(): Promise<void> {
    await this.#cdp?.send('Page.crash').catch(() => {});
  }

  async #intercept(cdp: CDPSession, event: PausedRequest): Promise<void> {
    this.#inflight++;
    this.#lastActivity = Date.now();
    try {
      await this.#answer(cdp, event);
    } catch {
      // The page closed while its request was being answered.
    } finally {
      this.#inflight--;
      this.#lastActivity = Date.now();
    }
  }

  async #answer(cdp: CDPSession, event: PausedRequest): Promise<void> {
    const { counters } = this.#ctx;
    const { requestId, request } = event;
    const fail = (errorReason: 'BlockedByClient' | 'AddressUnreachable' | 'TimedOut' | 'Failed') =>
      cdp.send('Fetch.failRequest', { requestId, errorReason });
    counters.requestsSeen++;
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      await fail('Failed');
      return;
    }
    const method = request.method;
    const headers = request.headers;
    const body = requestBody(request);
    const keys = this.#scanRequest(url, method, event.resourceType, headers, body);
    // Any document for the main frame after the first (a redirect hop of it included) moves the page.
    const mainDocument = event.resourceType === 'Document' && event.frameId === this.#mainFrameId;
    const navigation = mainDocument && this.#navigated;
    if (mainDocument) this.#navigated = true;
    const verdict: RequestVerdict =
      ++this.#requests > MAX_REQUESTS_PER_PAGE
        ? { action: 'refuse', reason: `more than ${MAX_REQUESTS_PER_PAGE} requests from one page` }
        : judgeRequest(
            {
              url,
              method,
              resourceType: event.resourceType.toLowerCase(),
              carriesKey: keys > 0,
              navigation,
              preflight:
                method === 'OPTIONS' && headerOf(headers, 'access-control-request-method') !== undefined,
            },
            this.#ctx.scope,
          );

    if (verdict.action === 'skip') {
      await fail('BlockedByClient');
      return;
    }
    if (verdict.action === 'refuse') {
      this.#refused(url, verdict.reason);
      await fail('BlockedByClient');
      return;
    }
    if (verdict.action === 'preflight' || verdict.action === 'hold') {
      if (verdict.action === 'hold') counters.requestsHeldBack++;
      // Answered here, with every cross-origin permission the page asks for, so that it goes on to send
      // what it means to send; nothing reaches the network.
      const origin = headerOf(headers, 'origin');
      const allow = [
        { name: 'access-control-allow-origin', value: origin ?? '*' },
        ...(origin === undefined ? [] : [{ name: 'access-control-allow-credentials', value: 'true' }]),
        {
          name: 'access-control-allow-methods',
          value: headerOf(headers, 'access-control-request-method') ?? method,
        },
        ...(headerOf(headers, 'access-control-request-headers') === undefined
          ? []
          : [
              {
                name: 'access-control-allow-headers',
                value: headerOf(headers, 'access-control-request-headers') as string,
              },
            ]),
      ];
      await cdp.send('Fetch.fulfillRequest', {
        requestId,
        responseCode: 204,
        responseHeaders: allow,
        body: '',
      });
      return;
    }
    const fetcher = verdict.network === 'site' ? this.#ctx.fetchers.site : this.#ctx.fetchers.public;
    let response: RelayedResponse;
    try {
      response = await fetcher.relay({
        url,
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.any([this.#ctx.signal, this.#done.signal]),
      });
    } catch (error) {
      if (isScanError(error, 'REFUSED_TARGET')) {
        this.#refused(
          url,
          verdict.network === 'public'
            ? error.message.replace(
                /scanning private networks is turned off$/,
                'the browser reaches private addresses only on hosts the crawl itself fetched from',
              )
            : error.message,
        );
        await fail('AddressUnreachable');
      } else await fail(isScanError(error, 'TIMEOUT') ? 'TimedOut' : 'Failed');
      return;
    }
    counters.requestsFetched++;
    this.#scanResponse(url, event.resourceType, response);
    await cdp.send('Fetch.fulfillRequest', {
      requestId,
      responseCode: response.status,
      responseHeaders: Object.entries(response.headers).flatMap(([name, value]) =>
        value.split('\n').map((line) => ({ name, value: line })),
      ),
      body: response.body.toString('base64'),
    });
  }

  /**
   * Scans one thing the page showed, as seen from the page: `url` is where it sat or went, and `how`
   * says how the page reached it (the second step of the occurrence's `via`).
   */
  #scan(
    text: string,
    url: string,
    resource: ResourceKind,
    how: string,
    details: { html?: boolean; location?: HtmlLocation; method?: string } = {},
  ): number {
    const via: Hop[] = [{ url: this.#url, reason: 'rendered in the browser' }];
    if (url !== this.#url) via.push({ url, reason: how });
    return this.#ctx.collector.scan(text.slice(0, this.#ctx.maxBytes), {
      url,
      page: this.#url,
      resource,
      html: details.html ?? false,
      via,
      ...(details.location === undefined ? {} : { location: details.location }),
      ...(details.method === undefined ? {} : { method: details.method }),
    });
  }

  /** Scans what the page sends; returns how many private-key occurrences it carried. */
  #scanRequest(
    url: URL,
    method: string,
    resourceType: string,
    headers: Record<string, string>,
    body: Buffer | undefined,
  ): number {
    const how = `${resourceType.toLowerCase()} request`;
    const headerText = Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}`)
      .join('\n');
    let hits = this.#scan(url.href, url.href, 'request', how, { location: 'request-url', method });
    hits += this.#scan(headerText, url.href, 'request', how, { location: 'request-header', method });
    if (body !== undefined && body.length > 0)
      hits += this.#scan(body.toString('utf8'), url.href, 'request', how, {
        location: 'request-body',
        method,
      });
    return hits;
  }

  #scanResponse(url: URL, resourceType: string, response: RelayedResponse): void {
    const how = `${resourceType.toLowerCase()} response`;
    if (response.headerText.includes('pk'))
      this.#scan(response.headerText, url.href, 'response', how, { location: 'response-header' });
    if (response.text === undefined) return;
    const document = resourceType === 'Document';
    this.#scan(response.text, url.href, 'response', how, {
      html: document || response.contentType.includes('html'),
    });
    if (document && this.#documents.length < MAX_DOCUMENTS_KEPT) this.#documents.push(response.text);
    if (resourceType === 'Script') this.#ctx.fetchedScriptUrls.add(url.href);
  }

  /** WebSockets never connect (the browser resolves no name); the address they aimed at is still read. */
  #noteWebSocket(socket: WebSocket): void {
    const url = socket.url();
    this.#ctx.counters.requestsSeen++;
    this.#scan(url, url, 'request', 'WebSocket', { location: 'request-url' });
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      return;
    }
    this.#refused(parsed, 'WebSocket connections are not opened');
  }

  /** A window the page opens is not rendered (nothing intercepts it, so it reaches nothing); its address is read. */
  #closePopup(popup: Page): void {
    const url = popup.url();
    this.#ctx.counters.requestsSeen++;
    this.#scan(url, url, 'request', 'window opened', { location: 'request-url' });
    popup.close({ runBeforeUnload: false }).catch(() => {});
  }

  /** Every script the page runs, including inline, injected and evaluated ones, from the debugger. */
  #readScript(
    cdp: CDPSession,
    event: {
      scriptId: string;
      url: string;
      hash: string;
      length?: number;
      executionContextAuxData?: { isDefault?: boolean };
    },
  ): void {
    // Playwright's own helpers run in isolated worlds.
    if (event.executionContextAuxData?.isDefault === false) return;
    if ((event.length ?? 0) > this.#ctx.maxBytes) return;
    if (event.url !== '' && this.#ctx.fetchedScriptUrls.has(event.url)) return;
    const id = scriptId(event);
    if (this.#ctx.scannedScripts.has(id)) return;
    this.#ctx.scannedScripts.add(id);
    const reading = cdp
      .send('Debugger.getScriptSource', { scriptId: event.scriptId })
      .then(({ scriptSource }) => {
        // An inline script of a page whose HTML was scanned already shows nothing new.
        if (this.#documents.some((document) => document.includes(scriptSource))) return;
        this.#ctx.counters.runtimeScripts++;
        const url = /^https?:/.test(event.url) ? event.url : this.#url;
        this.#scan(scriptSource, url, 'runtime-script', 'script run');
      })
      .catch(() => {})
      .finally(() => this.#pendingScripts.delete(reading));
    this.#pendingScripts.add(reading);
  }

  async #waitForQuiet(quietMs: number): Promise<Outcome> {
    for (;;) {
      if (this.#ctx.signal.aborted) return 'aborted';
      if (Date.now() >= this.#deadline) return 'timeout';
      if (this.#inflight === 0 && Date.now() - this.#lastActivity >= quietMs) return 'done';
      await sleep(50);
    }
  }

  /**
   * Scrolls to the end a screen at a time, one animation frame per screen, so that whatever loads when
   * it comes into view does. It runs in a world of its own in the page: the page's scripts cannot
   * replace the functions it calls, and its source is not taken for one of the page's.
   */
  async #scroll(cdp: CDPSession): Promise<Outcome> {
    const scrolling = (async () => {
      const { executionContextId } = await cdp.send('Page.createIsolatedWorld', {
        frameId: this.#mainFrameId,
        worldName: 'klaviyo-checkup-scroll',
      });
      await cdp.send('Runtime.evaluate', {
        expression: SCROLL_TO_END,
        contextId: executionContextId,
        awaitPromise: true,
      });
    })();
    return this.#race(scrolling);
  }

  /**
   * Lets timers and idle callbacks run for `settleMs` of page time. Virtual time runs them as fast as
   * the page can go, and stands still while a request is in flight, so a tag that loads after a
   * 3-second timer is seen in a fraction of that.
   */
  async #settle(cdp: CDPSession): Promise<Outcome> {
    if (this.#ctx.settleMs <= 0) return 'done';
    const expired = new Promise<void>((resolve) =>
      cdp.once('Emulation.virtualTimeBudgetExpired', () => resolve()),
    );
    await cdp.send('Emulation.setVirtualTimePolicy', {
      policy: 'pauseIfNetworkFetchesPending',
      budget: this.#ctx.settleMs,
    });
    return this.#race(expired);
  }

  /** The page as it ended up: every frame's DOM, and the storage its scripts wrote. */
  async #readPage(cdp: CDPSession): Promise<void> {
    const reading = (async () => {
      for (const frame of this.#page.frames().slice(0, MAX_FRAMES_READ)) {
        const html = await frame.content().catch(() => undefined);
        const url = /^https?:/.test(frame.url()) ? frame.url() : this.#url;
        if (html !== undefined) this.#scan(html, url, 'rendered-page', 'frame', { html: true });
      }
      const storage = await this.#readStorage(cdp);
      if (storage !== undefined)
        this.#scan(storage, this.#url, 'rendered-page', 'storage', { location: 'storage' });
    })();
    await settledWithin(reading, Math.max(SNAPSHOT_GRACE_MS, this.#deadline - Date.now()), this.#ctx.signal);
  }

  /**
   * The page's local and session storage and its cookies, read through the browser rather than by code
   * in the page, so no script of ours runs there (and none of the page's can stand in the way).
   */
  async #readStorage(cdp: CDPSession): Promise<string | undefined> {
    let origin: string;
    try {
      origin = new URL(this.#page.url()).origin;
    } catch {
      return undefined;
    }
    if (origin === 'null') return undefined;
    const read = async (isLocalStorage: boolean) => {
      const { entries } = await cdp
        .send('DOMStorage.getDOMStorageItems', { storageId: { securityOrigin: origin, isLocalStorage } })
        .catch(() => ({ entries: [] as string[][] }));
      return entries;
    };
    const cookies = await this.#page
      .context()
      .cookies(this.#page.url())
      .catch(() => []);
    return JSON.stringify({
      localStorage: await read(true),
      sessionStorage: await read(false),
      cookies: cookies.map((cookie) => `${cookie.name}=${cookie.value}`),
    });
  }

  #refused(url: URL, reason: string): void {
    const { counters } = this.#ctx;
    counters.requestsRefused++;
    if (counters.refused.length < MAX_LISTED)
      counters.refused.push({ url: url.href, page: this.#url, reason });
  }

  async #race(work: Promise<unknown>): Promise<Outcome> {
    const remaining = this.#deadline - Date.now();
    if (remaining <= 0) return 'timeout';
    const result = await settledWithin(work, remaining, this.#ctx.signal);
    if (this.#ctx.signal.aborted) return 'aborted';
    return result ? 'done' : 'timeout';
  }
}

/** Identifies a parsed script across pages without reading its source. */
export function scriptId(event: { hash: string; length?: number }): string {
  return `${event.hash}:${event.length ?? 0}`;
}

// WebRTC sends UDP that no interception sees; the browser's flags hold it to the refusing proxy, and
// this takes the API away from every frame before its first script, as a second wall.
const WITHOUT_WEBRTC = `(() => {
  for (const name of ['RTCPeerConnection', 'webkitRTCPeerConnection', 'RTCDataChannel', 'RTCIceTransport',
    'RTCSctpTransport', 'RTCRtpSender', 'RTCRtpReceiver', 'RTCIceCandidate', 'RTCSessionDescription']) {
    try { Object.defineProperty(globalThis, name, { value: undefined, configurable: false, writable: false }); } catch {}
  }
})();`;

/** What every document of a rendered page gets before its own scripts run. */
export async function installPageGuards(cdp: CDPSession): Promise<void> {
  // Scripts added on a session run only while that session has the Page domain on.
  await cdp.send('Page.enable');
  await cdp.send('Page.addScriptToEvaluateOnNewDocument', { source: WITHOUT_WEBRTC, runImmediately: true });
}

/** The fields of the protocol's Fetch.requestPaused event that the visit reads. */
interface PausedRequest {
  requestId: string;
  request: {
    url: string;
    method: string;
    headers: Record<string, string>;
    postData?: string;
    postDataEntries?: { bytes?: string }[];
  };
  frameId: string;
  /** The protocol's resource type: Document, Script, XHR, Fetch, Ping, Image, … */
  resourceType: string;
}

function requestBody(request: PausedRequest['request']): Buffer | undefined {
  if (request.postDataEntries !== undefined && request.postDataEntries.length > 0)
    return Buffer.concat(request.postDataEntries.map((entry) => Buffer.from(entry.bytes ?? '', 'base64')));
  return request.postData === undefined ? undefined : Buffer.from(request.postData);
}

function headerOf(headers: Record<string, string>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

function describeFailure(error: unknown): string {
  const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
  if (/ERR_BLOCKED_BY_CLIENT|ERR_ADDRESS_UNREACHABLE/.test(message)) return 'the page could not be fetched';
  if (/Timeout/i.test(message)) return 'timed out before the page loaded';
  return `could not be opened: ${message.replace(/^page\.goto: /, '')}`;
}
