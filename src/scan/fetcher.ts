import type { LookupAddress } from 'node:dns';
import dns from 'node:dns';
import type { Socket } from 'node:net';
import { pipeline, type Readable, Transform, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import type { Dispatcher, Agent as UndiciAgent, buildConnector as undiciConnector } from 'undici';
import { describeRefusal, isRefusedAddress, parseHostAddress } from './address.js';
import { decodeText } from './decode.js';
import { ScanError } from './errors.js';
import { Agent, buildConnector, request } from './http-client.js';

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

/** Hops in flight under each caller's signal: one listener per signal stops them all. */
const hopsBySignal = new WeakMap<AbortSignal, Set<AbortController>>();

/**
 * One hop's deadline joined with the caller's signal. Cheaper than `AbortSignal.any` with
 * `AbortSignal.timeout` per request, which the profile showed on every request of a scan.
 */
function hopDeadline(
  outer: AbortSignal | undefined,
  timeoutMs: number,
): { signal: AbortSignal; clear(): void } {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    timeoutMs,
  );
  timer.unref();
  let hops: Set<AbortController> | undefined;
  if (outer?.aborted) controller.abort(outer.reason);
  else if (outer !== undefined) {
    hops = hopsBySignal.get(outer);
    if (hops === undefined) {
      const created = new Set<AbortController>();
      hopsBySignal.set(outer, created);
      outer.addEventListener(
        'abort',
        () => {
          for (const hop of created) hop.abort(outer.reason);
          created.clear();
        },
        { once: true },
      );
      hops = created;
    }
    hops.add(controller);
  }
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer);
      hops?.delete(controller);
    },
  };
}

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
    let current = req.url;
    for (;;) {
      this.checkTarget(current);
      const deadline = hopDeadline(req.signal, this.#policy.timeoutMs);
      const { signal } = deadline;
      try {
        let response: Awaited<ReturnType<typeof request>>;
        try {
          this.requestsSent++;
          response = await request(current, {
            dispatcher: this.#agent,
            method: 'GET',
            signal,
            headers: {
              'user-agent': this.#policy.userAgent,
              accept:
                'text/html,application/xhtml+xml,application/javascript,application/json,text/*;q=0.9,*/*;q=0.5',
              'accept-encoding': 'gzip, deflate, br',
            },
          });
        } catch (error) {
          throw toScanError(error, current, req.signal);
        }
        const { statusCode, headers, body } = response;
        const location = headerValue(headers.location);
        if (REDIRECT_STATUSES.has(statusCode) && location !== undefined) {
          discard(body);
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
        const contentType = (headerValue(headers['content-type']) ?? '').toLowerCase();
        let resource: FetchedResource;
        try {
          const result = await readBody(body, {
            contentEncoding: (headerValue(headers['content-encoding']) ?? '').trim().toLowerCase(),
            contentType,
            maxBytes: this.#policy.maxBytes,
            unpackGzipFile: req.unpackGzipFile === true,
            contentLength: contentLengthOf(headerValue(headers['content-length'])),
          });
          this.bytesRead += result.bytes;
          resource = withLazyText({
            requestedUrl: req.url,
            url: current,
            status: statusCode,
            contentType,
            binary: result.body === undefined,
            truncated: result.truncated,
            bytes: result.bytes,
            redirects,
            headerText: headerLines(headers),
            links: headerList(headers.link),
            ...(result.body === undefined ? {} : { body: result.body }),
          });
        } catch (error) {
          throw toScanError(error, current, req.signal);
        }
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
      } finally {
        deadline.clear();
      }
    }
  }

  /**
   * Sends one request on behalf of a browser (the render pass): any method, headers and body, under the
   * same address checks. A redirect is returned, not followed, so the browser's next request for it is
   * checked like the first; any status is returned as it came.
   */
  async relay(req: RelayRequest): Promise<RelayedResponse> {
    this.checkTarget(req.url);
    const deadline = hopDeadline(req.signal, this.#policy.timeoutMs);
    const { signal } = deadline;
    const headers: Record<string, string> = { 'user-agent': this.#policy.userAgent };
    for (const [name, value] of Object.entries(req.headers)) {
      if (!NOT_RELAYED_REQUEST_HEADERS.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
    }
    headers['accept-encoding'] = 'gzip, deflate, br';
    try {
      this.requestsSent++;
      const {
        statusCode,
        headers: received,
        body,
      } = await request(req.url, {
        dispatcher: this.#agent,
        method: req.method as Dispatcher.HttpMethod,
        signal,
        headers,
        ...(req.body === undefined ? {} : { body: req.body }),
      });
      const contentType = (headerValue(received['content-type']) ?? '').toLowerCase();
      const encoding = (headerValue(received['content-encoding']) ?? '').trim().toLowerCase();
      const { buffer, truncated } = await collect(body, withDecoder(body, encoding), {
        maxBytes: this.#policy.maxBytes,
        stopAtBinary: false,
        contentLength: undefined,
      });
      this.bytesRead += buffer.length;
      const binary = BINARY_TYPE.test(contentType) || looksBinary(buffer.subarray(0, 1024));
      return {
        status: statusCode,
        headers: relayedHeaders(received),
        headerText: headerLines(received),
        contentType,
        body: buffer,
        truncated,
        ...(binary ? {} : { text: decodeText(buffer, contentType) }),
      };
    } catch (error) {
      throw toScanError(error, req.url, req.signal);
    } finally {
      deadline.clear();
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

/** Drops a body we will not read; undici reports the abort as an error, which is expected here. */
function discard(body: Readable): void {
  body.on('error', () => {});
  body.destroy();
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

interface BodyOptions {
  contentEncoding: string;
  contentType: string;
  maxBytes: number;
  unpackGzipFile: boolean;
  /** The Content-Length the server declared, when it did. */
  contentLength: number | undefined;
}

function contentLengthOf(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,15}$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/** Reads and decompresses a body, keeping at most maxBytes of decoded content; no body when binary. */
async function readBody(
  body: Readable,
  options: BodyOptions,
): Promise<{ body?: Buffer; bytes: number; truncated: boolean }> {
  const isGzipType = /gzip/.test(options.contentType);
  if (BINARY_TYPE.test(options.contentType) && !(isGzipType && options.unpackGzipFile)) {
    discard(body);
    return { bytes: 0, truncated: false };
  }
  let stream: Readable = withDecoder(body, options.contentEncoding);
  if (options.unpackGzipFile && isGzipType) stream = withDecoder(stream, 'gzip');

  // Binary content is recognised from its first bytes and not read any further.
  const { buffer, truncated, binary } = await collect(body, stream, {
    maxBytes: options.maxBytes,
    stopAtBinary: true,
    contentLength: options.contentLength,
  });
  if (binary) return { bytes: buffer.length, truncated: false };
  if (looksBinary(buffer.subarray(0, 1024))) return { bytes: buffer.length, truncated };
  return { body: buffer, bytes: buffer.length, truncated };
}

/**
 * Reads a decoded stream into one buffer of at most maxBytes, then releases the connection's body. A
 * body of declared length (and no content encoding) is copied into its own buffer as it arrives: no
 * joining copy at the end, no chunks kept, and the buffer is the whole of its memory, so it moves to
 * an analysis thread as it is.
 */
async function collect(
  body: Readable,
  stream: Readable,
  options: { maxBytes: number; stopAtBinary: boolean; contentLength: number | undefined },
): Promise<{ buffer: Buffer; truncated: boolean; binary: boolean }> {
  const { maxBytes, contentLength } = options;
  let whole =
    stream === body && contentLength !== undefined && contentLength <= maxBytes
      ? Buffer.allocUnsafeSlow(contentLength)
      : undefined;
  const chunks: Buffer[] = [];
  let bytes = 0;
  let truncated = false;
  let binary = false;
  for await (const read of stream as AsyncIterable<Buffer>) {
    const room = maxBytes - bytes;
    const chunk = read.length > room ? read.subarray(0, room) : read;
    if (whole !== undefined && bytes + chunk.length > whole.length) {
      // More than the server declared: collected as chunks from here on.
      chunks.push(whole.subarray(0, bytes));
      whole = undefined;
    }
    if (whole !== undefined) chunk.copy(whole, bytes);
    else chunks.push(chunk);
    const first = bytes === 0;
    bytes += chunk.length;
    if (chunk !== read) {
      truncated = true;
      break;
    }
    if (options.stopAtBinary && first && looksBinary(chunk)) {
      binary = true;
      break;
    }
  }
  stream.destroy();
  discard(body);
  const buffer =
    whole === undefined
      ? Buffer.concat(chunks, bytes)
      : bytes === whole.length
        ? whole
        : whole.subarray(0, bytes);
  return { buffer, truncated, binary };
}

function withDecoder(body: Readable, encoding: string): Readable {
  const lenient = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
  let decoder: Transform | undefined;
  if (encoding === 'gzip' || encoding === 'x-gzip') decoder = zlib.createGunzip(lenient);
  else if (encoding === 'br')
    decoder = zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
  else if (encoding === 'deflate') decoder = new DeflateDecoder();
  if (decoder === undefined) return body;
  // The callback form keeps an error on either side from going unhandled; the iterator sees it.
  return pipeline(body, decoder, () => {});
}

/** "deflate" means zlib-wrapped data, but some servers send raw deflate; the first two bytes tell. */
class DeflateDecoder extends Transform {
  #inner: zlib.Inflate | zlib.InflateRaw | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.#inner === undefined) {
      const first = chunk[0] ?? 0;
      const second = chunk[1] ?? 0;
      const zlibHeader = chunk.length >= 2 && (first & 0x0f) === 8 && ((first << 8) | second) % 31 === 0;
      const lenient = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
      this.#inner = zlibHeader ? zlib.createInflate(lenient) : zlib.createInflateRaw(lenient);
      this.#inner.on('data', (data: Buffer) => this.push(data));
      this.#inner.on('error', (error) => this.destroy(error));
    }
    this.#inner.write(chunk, () => callback());
  }

  override _flush(callback: TransformCallback): void {
    if (this.#inner === undefined) {
      callback();
      return;
    }
    this.#inner.once('end', () => callback());
    this.#inner.end();
  }
}

function looksBinary(sample: Buffer): boolean {
  if (
    sample.length >= 2 &&
    ((sample[0] === 0xff && sample[1] === 0xfe) || (sample[0] === 0xfe && sample[1] === 0xff))
  ) {
    return false;
  }
  // Buffer's own search for the byte: a loop over every byte of every response cost more.
  return sample.subarray(0, 1024).indexOf(0) !== -1;
}
