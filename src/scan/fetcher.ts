import type { LookupAddress } from 'node:dns';
import dns from 'node:dns';
import type { Socket } from 'node:net';
import { pipeline, type Readable, Transform, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import { Agent, buildConnector, type Dispatcher, request } from 'undici';
import { describeRefusal, isRefusedAddress, parseHostAddress } from './address.js';
import { ScanError } from './errors.js';

export interface FetchPolicy {
  allowPrivateNetworks: boolean;
  /** Whole request, headers and body, in milliseconds. */
  timeoutMs: number;
  /** Bytes of decoded body kept per response; reading stops past it. */
  maxBytes: number;
  maxRedirects: number;
  userAgent: string;
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
  /** Decoded text; absent when the content was binary. */
  text?: string;
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

/**
 * Fetches one URL at a time under the safety policy. Every connection's address is checked twice: at
 * DNS resolution (so no connection is opened to a refused address) and on the connected socket (so a
 * literal address or any resolver trick is still caught before a byte of the request is written).
 */
export class Fetcher {
  readonly #policy: FetchPolicy;
  readonly #agent: Agent;
  /** Whether any request was ever sent; tests and the CLI use it to prove a refusal sent nothing. */
  requestsSent = 0;
  bytesRead = 0;

  constructor(policy: FetchPolicy) {
    this.#policy = policy;
    const baseConnect = buildConnector({ timeout: policy.timeoutMs, lookup: guardedLookup(policy) } as never);
    const connect: buildConnector.connector = (options, callback) => {
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
      connections: 16,
      headersTimeout: policy.timeoutMs,
      bodyTimeout: policy.timeoutMs,
      keepAliveTimeout: 4_000,
    });
  }

  /** Throws ScanError('REFUSED_TARGET') without any network traffic when the URL's host is a refused address. */
  checkTarget(url: URL): void {
    const literal = parseHostAddress(url.hostname);
    if (literal === null) return;
    const refusal = refusalFor(literal, this.#policy, url.hostname);
    if (refusal !== null) throw refusal;
  }

  async fetch(req: FetchRequest): Promise<FetchedResource> {
    const redirects: URL[] = [];
    let current = req.url;
    for (;;) {
      this.checkTarget(current);
      const signal = req.signal
        ? AbortSignal.any([req.signal, AbortSignal.timeout(this.#policy.timeoutMs)])
        : AbortSignal.timeout(this.#policy.timeoutMs);
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
        });
        this.bytesRead += result.bytes;
        resource = {
          requestedUrl: req.url,
          url: current,
          status: statusCode,
          contentType,
          binary: result.text === undefined,
          truncated: result.truncated,
          bytes: result.bytes,
          redirects,
          headerText: headerLines(headers),
          links: headerList(headers.link),
          ...(result.text === undefined ? {} : { text: result.text }),
        };
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
    }
  }

  /**
   * Sends one request on behalf of a browser (the render pass): any method, headers and body, under the
   * same address checks. A redirect is returned, not followed, so the browser's next request for it is
   * checked like the first; any status is returned as it came.
   */
  async relay(req: RelayRequest): Promise<RelayedResponse> {
    this.checkTarget(req.url);
    const signal = req.signal
      ? AbortSignal.any([req.signal, AbortSignal.timeout(this.#policy.timeoutMs)])
      : AbortSignal.timeout(this.#policy.timeoutMs);
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
      const { buffer, truncated } = await collect(
        body,
        withDecoder(body, encoding),
        this.#policy.maxBytes,
        false,
      );
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
}

/** Reads, decompresses and decodes a body, keeping at most maxBytes of decoded content. */
async function readBody(
  body: Readable,
  options: BodyOptions,
): Promise<{ text?: string; bytes: number; truncated: boolean }> {
  const isGzipType = /gzip/.test(options.contentType);
  if (BINARY_TYPE.test(options.contentType) && !(isGzipType && options.unpackGzipFile)) {
    discard(body);
    return { bytes: 0, truncated: false };
  }
  let stream: Readable = withDecoder(body, options.contentEncoding);
  if (options.unpackGzipFile && isGzipType) stream = withDecoder(stream, 'gzip');
  // Binary content is recognised from its first bytes and not read any further.
  const { buffer, truncated, binary } = await collect(body, stream, options.maxBytes, true);
  if (binary) return { bytes: buffer.length, truncated: false };
  if (looksBinary(buffer.subarray(0, 1024))) return { bytes: buffer.length, truncated };
  return { text: decodeText(buffer, options.contentType), bytes: buffer.length, truncated };
}

/** Reads a decoded stream into one buffer of at most maxBytes, then releases the connection's body. */
async function collect(
  body: Readable,
  stream: Readable,
  maxBytes: number,
  stopAtBinary: boolean,
): Promise<{ buffer: Buffer; truncated: boolean; binary: boolean }> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let truncated = false;
  let binary = false;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const room = maxBytes - bytes;
    if (chunk.length > room) {
      chunks.push(chunk.subarray(0, room));
      bytes += room;
      truncated = true;
      break;
    }
    chunks.push(chunk);
    bytes += chunk.length;
    if (stopAtBinary && chunks.length === 1 && looksBinary(chunk)) {
      binary = true;
      break;
    }
  }
  stream.destroy();
  discard(body);
  return { buffer: Buffer.concat(chunks, bytes), truncated, binary };
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
  const limit = Math.min(sample.length, 1024);
  for (let i = 0; i < limit; i++) if (sample[i] === 0) return true;
  return false;
}

/** Decodes with the charset from the header, a BOM, or a <meta> tag, falling back to UTF-8. */
export function decodeText(buffer: Buffer, contentType: string): string {
  const label =
    charsetFromBom(buffer) ?? charsetFromContentType(contentType) ?? charsetFromMeta(buffer) ?? 'utf-8';
  // Buffer's own UTF-8 decoder is several times faster than TextDecoder's on large pages.
  if (/^(?:utf-?8|unicode-1-1-utf-8)$/i.test(label)) return buffer.toString('utf8').replace(/^\uFEFF/, '');
  try {
    return new TextDecoder(label).decode(buffer);
  } catch {
    // An unknown label (or a build of Node without full ICU) falls back to UTF-8.
    return new TextDecoder('utf-8').decode(buffer);
  }
}

function charsetFromBom(buffer: Buffer): string | undefined {
  if (buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) return 'utf-8';
  if (buffer[0] === 0xff && buffer[1] === 0xfe) return 'utf-16le';
  if (buffer[0] === 0xfe && buffer[1] === 0xff) return 'utf-16be';
  return undefined;
}

function charsetFromContentType(contentType: string): string | undefined {
  return /charset\s*=\s*["']?([\w.:-]+)/i.exec(contentType)?.[1];
}

function charsetFromMeta(buffer: Buffer): string | undefined {
  const head = buffer.subarray(0, 2048).toString('latin1');
  return (
    /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)/i.exec(head)?.[1] ??
    /<\?xml[^>]+encoding\s*=\s*["']([\w.:-]+)/i.exec(head)?.[1]
  );
}
