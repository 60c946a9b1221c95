import type { LookupAddress } from 'node:dns';
import dns from 'node:dns';
import type { Socket } from 'node:net';
import type { Dispatcher, Agent as UndiciAgent, buildConnector as undiciConnector } from 'undici';
import { describeRefusal, isRefusedAddress, parseHostAddress } from './address.js';
import { decodeText } from './decode.js';
import { ScanError } from './errors.js';
import {
  Agent,
  type BodyPlan,
  buildConnector,
  type Exchange,
  type ExchangeRequest,
  looksBinary,
  type ResponseHeaders,
  ResponseReader,
} from './http-client.js';
import type { ScanOptions } from './options.js';

export { decodeText };

export interface FetchPolicy {
  allowPrivateNetworks: boolean;
  /** Whole request, headers and body, in milliseconds. */
  timeoutMs: number;
  /** Bytes of decoded body kept per response; reading stops past it. */
  maxBytes: number;
  maxRedirects: number;
  userAgent: string;
  /** Connections kept per origin (16 unless said): as many as requests the caller keeps in flight. */
  connections?: number;
}

/** The fetch policy a scan with these options gives its crawler's client. */
export function fetchPolicyOf(options: ScanOptions): FetchPolicy {
  return {
    allowPrivateNetworks: options.allowPrivateNetworks,
    timeoutMs: options.requestTimeoutMs,
    maxBytes: options.maxBytesPerResponse,
    maxRedirects: options.maxRedirects,
    userAgent: options.userAgent,
    connections: options.concurrency,
  };
}

export interface FetchRequest {
  url: URL;
  /** Asked before each redirect hop is followed; false stops with OFF_SITE_REDIRECT. */
  allowRedirect?: (from: URL, to: URL) => boolean;
  /**
   * Told the headers of every redirect response, followed or not: a `Location` can carry a key as
   * well as any other header, and a redirect off the site is public all the same.
   */
  onRedirectResponse?: (url: URL, headerText: string) => void;
  /** Whether a gzip file (not gzip transfer encoding) should be unpacked, as sitemaps may be. */
  unpackGzipFile?: boolean;
  signal?: AbortSignal;
}

export interface FetchedResource {
  requestedUrl: URL;
  /** Where the content came from after redirects. */
  url: URL;
  status: number;
  contentType: string;
  /** Decoded text, decoded on first use; absent when the content was binary. */
  readonly text?: string;
  /**
   * The content's bytes (after content decoding), for a consumer that decodes elsewhere (the
   * analysis workers); absent when the content was binary. Whoever hands it to another thread owns it.
   */
  body?: Buffer;
  /** The response headers as `name: value` lines, to be scanned like the body. */
  headerText: string;
  /** Values of the `Link` headers (preloads, alternates). */
  links: string[];
  binary: boolean;
  /** True when the body was longer than maxBytes and reading stopped. */
  truncated: boolean;
  /** Decoded bytes read. */
  bytes: number;
  redirects: URL[];
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REMEMBERED_HOSTS = 1_000;

/** Something a deadline or the caller's signal can stop: one hop's exchange. */
interface Abortable {
  abort(reason: unknown): void;
}

/** Hops in flight under each caller's signal: one listener per signal stops them all. */
const hopsBySignal = new WeakMap<AbortSignal, Set<Abortable>>();

/**
 * One hop's deadline joined with the caller's signal; returns what clears them. Cheaper than
 * `AbortSignal.any` with `AbortSignal.timeout` per request, which the profile showed on every request
 * of a scan, and than an AbortController per hop.
 */
function hopDeadline(outer: AbortSignal | undefined, timeoutMs: number, hop: Abortable): () => void {
  const timer = setTimeout(
    () => hop.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    timeoutMs,
  );
  timer.unref();
  let hops: Set<Abortable> | undefined;
  if (outer?.aborted) hop.abort(outer.reason);
  else if (outer !== undefined) {
    hops = hopsBySignal.get(outer);
    if (hops === undefined) {
      const created = new Set<Abortable>();
      hopsBySignal.set(outer, created);
      outer.addEventListener(
        'abort',
        () => {
          for (const each of created) each.abort(outer.reason);
          created.clear();
        },
        { once: true },
      );
      hops = created;
    }
    hops.add(hop);
  }
  return () => {
    clearTimeout(timer);
    hops?.delete(hop);
  };
}

const FETCH_HEADERS = {
  accept: 'text/html,application/xhtml+xml,application/javascript,application/json,text/*;q=0.9,*/*;q=0.5',
  'accept-encoding': 'gzip, deflate, br',
};

/**
 * Fetches one URL at a time under the safety policy. Every connection's address is checked twice: at
 * DNS resolution (so no connection is opened to a refused address) and on the connected socket (so a
 * literal address or any resolver trick is still caught before a byte of the request is written).
 */
export class Fetcher {
  readonly #policy: FetchPolicy;
  readonly #agent: UndiciAgent;
  /** Host names checkTarget let through: the answer depends on the name and the policy alone. */
  readonly #allowedHosts = new Set<string>();
  /** Whether any request was ever sent; tests and the CLI use it to prove a refusal sent nothing. */
  requestsSent = 0;
  bytesRead = 0;

  constructor(policy: FetchPolicy) {
    this.#policy = policy;
    // HTTP/2 where a TLS server offers it: many requests on one connection, which still goes through
    // both address checks (at lookup and on the connected socket) like every other.
    const baseConnect = buildConnector({
      timeout: policy.timeoutMs,
      lookup: guardedLookup(policy),
      allowH2: true,
    } as never);
    const connect: undiciConnector.connector = (options, callback) => {
      baseConnect(options, (error, socket) => {
        if (error !== null) {
          callback(error, null);
          return;
        }
        const refusal = refusalFor((socket as Socket).remoteAddress ?? '', policy, options.hostname);
        if (refusal !== null) {
          socket.destroy();
          callback(refusal, null);
          return;
        }
        callback(null, socket);
      });
    };
    this.#agent = new Agent({
      connect,
      allowH2: true,
      connections: policy.connections ?? 16,
      headersTimeout: policy.timeoutMs,
      bodyTimeout: policy.timeoutMs,
      keepAliveTimeout: 4_000,
    });
  }

  /** Throws ScanError('REFUSED_TARGET') without any network traffic when the URL's host is a refused address. */
  checkTarget(url: URL): void {
    // Every request of a scan asks about the same few hosts; an allowed one is remembered.
    if (this.#allowedHosts.has(url.hostname)) return;
    const literal = parseHostAddress(url.hostname);
    const refusal = literal === null ? null : refusalFor(literal, this.#policy, url.hostname);
    if (refusal !== null) throw refusal;
    if (this.#allowedHosts.size < MAX_REMEMBERED_HOSTS) this.#allowedHosts.add(url.hostname);
  }

  async fetch(req: FetchRequest): Promise<FetchedResource> {
    const redirects: URL[] = [];
    const unpackGzipFile = req.unpackGzipFile === true;
    const plan = (statusCode: number, headers: ResponseHeaders) =>
      fetchPlan(statusCode, headers, unpackGzipFile);
    let current = req.url;
    for (;;) {
      this.checkTarget(current);
      let exchange: Exchange;
      try {
        exchange = await this.#exchange(
          {
            url: current,
            method: 'GET',
            headers: { 'user-agent': this.#policy.userAgent, ...FETCH_HEADERS },
          },
          plan,
          req.signal,
        );
      } catch (error) {
        throw toScanError(error, current, req.signal);
      }
      const { statusCode, headers, body } = exchange;
      const location = headerValue(headers.location);
      if (REDIRECT_STATUSES.has(statusCode) && location !== undefined) {
        req.onRedirectResponse?.(current, headerLines(headers));
        if (redirects.length >= this.#policy.maxRedirects) {
          throw new ScanError('TOO_MANY_REDIRECTS', `more than ${this.#policy.maxRedirects} redirects`);
        }
        let next: URL;
        try {
          next = new URL(location, current);
        } catch {
          throw new ScanError('NETWORK', `redirect to an invalid URL`);
        }
        if (next.protocol !== 'http:' && next.protocol !== 'https:') {
          throw new ScanError('OFF_SITE_REDIRECT', `redirect to a ${next.protocol} URL`);
        }
        next.hash = '';
        // A hop into a refused network is reported as such, whatever the site scope says.
        this.checkTarget(next);
        if (req.allowRedirect && !req.allowRedirect(current, next)) {
          throw new ScanError('OFF_SITE_REDIRECT', `redirects off the site to ${next.origin}`);
        }
        redirects.push(next);
        current = next;
        continue;
      }
      // No body: a binary content type, never read. A binary first chunk: read no further. Otherwise
      // binary content is still recognised from its first bytes, however they came.
      const bytes = body?.length ?? 0;
      const text = body !== undefined && !exchange.binary && !looksBinary(body);
      this.bytesRead += bytes;
      const resource = withLazyText({
        requestedUrl: req.url,
        url: current,
        status: statusCode,
        contentType: contentTypeOf(headers),
        binary: !text,
        truncated: exchange.truncated,
        bytes,
        redirects,
        headerText: headerLines(headers),
        links: headerList(headers.link),
        ...(text ? { body } : {}),
      });
      if (statusCode >= 400) {
        // An error page is public too (a storefront's 404 page carries its layout and scripts): its
        // body travels with the error so the crawler can still scan it.
        throw new ScanError('HTTP_STATUS', `HTTP ${statusCode}`, {
          status: statusCode,
          retryAfterSeconds: parseRetryAfter(headerValue(headers['retry-after'])),
          resource,
        });
      }
      return resource;
    }
  }

  /**
   * Sends one request on behalf of a browser (the render pass): any method, headers and body, under the
   * same address checks. A redirect is returned, not followed, so the browser's next request for it is
   * checked like the first; any status is returned as it came.
   */
  async relay(req: RelayRequest): Promise<RelayedResponse> {
    this.checkTarget(req.url);
    const headers: Record<string, string> = { 'user-agent': this.#policy.userAgent };
    for (const [name, value] of Object.entries(req.headers)) {
      if (!NOT_RELAYED_REQUEST_HEADERS.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
    }
    headers['accept-encoding'] = 'gzip, deflate, br';
    let exchange: Exchange;
    try {
      exchange = await this.#exchange(
        {
          url: req.url,
          method: req.method as Dispatcher.HttpMethod,
          headers,
          ...(req.body === undefined ? {} : { body: req.body }),
        },
        relayPlan,
        req.signal,
      );
    } catch (error) {
      throw toScanError(error, req.url, req.signal);
    }
    const { statusCode, headers: received } = exchange;
    const buffer = exchange.body ?? Buffer.alloc(0);
    this.bytesRead += buffer.length;
    const contentType = contentTypeOf(received);
    const binary = BINARY_TYPE.test(contentType) || looksBinary(buffer);
    return {
      status: statusCode,
      headers: relayedHeaders(received),
      headerText: headerLines(received),
      contentType,
      body: buffer,
      truncated: exchange.truncated,
      ...(binary ? {} : { text: decodeText(buffer, contentType) }),
    };
  }

  /** One hop: the request, its response and as much of the body as `plan` says, under the hop's deadline. */
  async #exchange(
    request: ExchangeRequest,
    plan: (statusCode: number, headers: ResponseHeaders) => BodyPlan,
    signal: AbortSignal | undefined,
  ): Promise<Exchange> {
    const reader = new ResponseReader(this.#policy.maxBytes, plan);
    const clear = hopDeadline(signal, this.#policy.timeoutMs, reader);
    try {
      this.requestsSent++;
      return await reader.send(this.#agent, request);
    } finally {
      clear();
    }
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}

export interface RelayRequest {
  url: URL;
  method: string;
  /** The browser's headers; connection-level ones are dropped and the encodings are the fetcher's. */
  headers: Record<string, string>;
  body?: Buffer;
  signal?: AbortSignal;
}

export interface RelayedResponse {
  status: number;
  /** The response's headers for the browser: the body is already decoded, so its framing is dropped. */
  headers: Record<string, string>;
  /** The response headers as `name: value` lines, to be scanned like the body. */
  headerText: string;
  contentType: string;
  /** Decoded bytes, at most maxBytes of them. */
  body: Buffer;
  /** Decoded text, unless the content is binary. */
  text?: string;
  truncated: boolean;
}

// Connection-level headers belong to each hop; the fetcher sets its own.
const NOT_RELAYED_REQUEST_HEADERS = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'content-length',
  'accept-encoding',
]);
const NOT_RELAYED_RESPONSE_HEADERS = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-encoding',
  'content-length',
  'trailer',
]);

function relayedHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || NOT_RELAYED_RESPONSE_HEADERS.has(name)) continue;
    kept[name] = Array.isArray(value) ? value.join('\n') : value;
  }
  return kept;
}

/** Text is decoded only when someone reads it: bodies scanned in a worker are never decoded here. */
function withLazyText(resource: Omit<FetchedResource, 'text'>): FetchedResource {
  let text: string | undefined;
  return Object.defineProperty(resource, 'text', {
    enumerable: true,
    get: () => {
      if (resource.body === undefined) return undefined;
      text ??= decodeText(resource.body, resource.contentType);
      return text;
    },
  }) as FetchedResource;
}

export function refusalFor(
  address: string,
  policy: Pick<FetchPolicy, 'allowPrivateNetworks'>,
  hostname: string,
): ScanError | null {
  const host = hostname.replace(/^\[|\]$/g, '');
  let verdict: ReturnType<typeof isRefusedAddress>;
  try {
    verdict = isRefusedAddress(address, { allowPrivateNetworks: policy.allowPrivateNetworks });
  } catch {
    // A socket without a readable peer address cannot be vouched for.
    return new ScanError('REFUSED_TARGET', `${host}: the connected address could not be checked`);
  }
  const message = describeRefusal(host, verdict);
  return message === undefined ? null : new ScanError('REFUSED_TARGET', message);
}

/**
 * Answers "may this URL be scanned?" before a scan is queued, so a person who typed a private or
 * metadata address hears why at once. The fetcher checks every connection again anyway (DNS can change).
 */
export async function preflightTarget(
  url: URL,
  policy: Pick<FetchPolicy, 'allowPrivateNetworks'>,
): Promise<void> {
  const literal = parseHostAddress(url.hostname);
  if (literal !== null) {
    const refusal = refusalFor(literal, policy, url.hostname);
    if (refusal !== null) throw refusal;
    return;
  }
  let addresses: LookupAddress[];
  try {
    addresses = await dns.promises.lookup(url.hostname, { all: true });
  } catch (error) {
    throw new ScanError('DNS', `${url.hostname} could not be resolved`, { cause: error });
  }
  for (const entry of addresses) {
    const refusal = refusalFor(entry.address, policy, url.hostname);
    if (refusal !== null) throw refusal;
  }
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** A dns.lookup that refuses, before any connection, a host that resolves to a refused address. */
function guardedLookup(policy: FetchPolicy) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) {
        callback(error, []);
        return;
      }
      const list = addresses as LookupAddress[];
      for (const entry of list) {
        const refusal = refusalFor(entry.address, policy, hostname);
        if (refusal !== null) {
          callback(refusal as unknown as NodeJS.ErrnoException, []);
          return;
        }
      }
      const first = list[0];
      if (options.all) callback(null, list);
      else if (first === undefined)
        callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), []);
      else callback(null, first.address, first.family);
    });
  };
}

function headerLines(headers: Record<string, string | string[] | undefined>): string {
  const lines: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    for (const item of Array.isArray(value) ? value : [value ?? ''])
      lines.push(`${name}: ${item.slice(0, 8_192)}`);
  }
  return lines.join('\n');
}

function headerList(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Retry-After in seconds, from either its seconds or its HTTP-date form. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

function toScanError(error: unknown, url: URL, outer: AbortSignal | undefined): ScanError {
  const found = findScanError(error);
  if (found) return found;
  if (outer?.aborted) return new ScanError('ABORTED', 'scan stopped', { cause: error });
  const code =
    (error as { code?: string } | null)?.code ?? (error as { cause?: { code?: string } })?.cause?.code;
  const name = (error as { name?: string } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError' || (code !== undefined && /TIMEOUT/.test(code))) {
    return new ScanError('TIMEOUT', 'timed out', { cause: error });
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new ScanError('DNS', `${url.hostname} could not be resolved`, { cause: error });
  }
  if (code === 'ECONNREFUSED') return new ScanError('NETWORK', 'connection refused', { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new ScanError('NETWORK', code ? `${code}: ${message}` : message, { cause: error });
}

function findScanError(error: unknown): ScanError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    if (current instanceof ScanError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

// Types that are never text. application/octet-stream is not among them: misconfigured servers send
// scripts with it, so such content is sniffed (a NUL byte in its first kilobyte means binary) instead.
// SVG is XML text that can carry scripts, so it is read too.
const BINARY_TYPE =
  /^(?:image\/(?!svg)|audio\/|video\/|font\/)|^application\/(?:pdf|zip|x-zip|gzip|x-gzip|x-tar|wasm|vnd\.|x-font|font-|msword|x-7z|x-rar)/;

function contentTypeOf(headers: ResponseHeaders): string {
  return (headerValue(headers['content-type']) ?? '').toLowerCase();
}

function contentEncodingOf(headers: ResponseHeaders): string {
  return (headerValue(headers['content-encoding']) ?? '').trim().toLowerCase();
}

function contentLengthOf(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,15}$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/**
 * What a fetch reads of a response: nothing of a redirect's body or of a binary content type (a gzip
 * file that is to be unpacked aside), and otherwise the body, decoded, up to a binary first chunk.
 */
function fetchPlan(statusCode: number, headers: ResponseHeaders, unpackGzipFile: boolean): BodyPlan {
  if (REDIRECT_STATUSES.has(statusCode) && headerValue(headers.location) !== undefined)
    return { read: false };
  const contentType = contentTypeOf(headers);
  const gzipFile = unpackGzipFile && /gzip/.test(contentType);
  if (BINARY_TYPE.test(contentType) && !gzipFile) return { read: false };
  const encoding = contentEncodingOf(headers);
  return {
    read: true,
    encodings: gzipFile ? [encoding, 'gzip'] : [encoding],
    stopAtBinary: true,
    contentLength: contentLengthOf(headerValue(headers['content-length'])),
  };
}

/** A relayed response is read whatever it is: the browser decides what to make of it. */
function relayPlan(_statusCode: number, headers: ResponseHeaders): BodyPlan {
  return {
    read: true,
    encodings: [contentEncodingOf(headers)],
    stopAtBinary: false,
    contentLength: undefined,
  };
}
