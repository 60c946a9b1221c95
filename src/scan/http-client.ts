import { createRequire } from 'node:module';
import { pipeline, Transform, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import type * as Undici from 'undici';

/**
 * The parts of undici the fetcher uses, loaded from their own modules. undici's index loads every
 * dispatcher, fetch, WebSocket, the cache stores and the mocks: about 60 ms before a scan's first
 * request, against under 30 ms for these two. They are the same classes the index exports (it
 * re-exports these modules): package.json pins undici to one version, and a test holds these to its
 * index, so an upgrade that moves them fails there. Responses are read by a dispatch handler of our own (ResponseReader), not
 * through `request()` and its body stream: the body goes from the connection into one buffer.
 */
const require = createRequire(import.meta.url);

export const Agent: typeof Undici.Agent = require('undici/lib/dispatcher/agent.js');
export const buildConnector: typeof Undici.buildConnector = require('undici/lib/core/connect.js');

export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** What to do with a response's body, decided from its status and headers before a byte of it is read. */
export type BodyPlan =
  | { read: false }
  | {
      read: true;
      /** Content codings to undo, in order ("gzip", "br", "deflate"; any other is left as it is). */
      encodings: string[];
      /** Stop at a first chunk that looks binary (a NUL in its first kilobyte). */
      stopAtBinary: boolean;
      /** The Content-Length the server declared, when it did. */
      contentLength: number | undefined;
    };

export interface Exchange {
  statusCode: number;
  headers: ResponseHeaders;
  /** The decoded body, at most maxBytes of it; undefined when the plan said not to read it. */
  body: Buffer | undefined;
  /** True when the body was longer than maxBytes and reading stopped. */
  truncated: boolean;
  /** True when reading stopped at a binary first chunk (body then holds that chunk). */
  binary: boolean;
}

export interface ExchangeRequest {
  url: URL;
  method: Undici.Dispatcher.HttpMethod;
  headers: Record<string, string>;
  body?: Buffer;
}

/** Given as the reason when the fetcher stops a response it has read enough of. */
class ResponseNotRead extends Error {
  override name = 'ResponseNotRead';
}

/**
 * Reads one response straight from the connection: the status and headers, then (as `plan` says) its
 * body, decoded, into one buffer of at most maxBytes. A body of declared length and no content coding
 * is copied into its own buffer as it arrives (no chunks kept, no joining copy), and every body buffer
 * is the whole of its memory, so it moves to an analysis thread as it is. A response it stops reading
 * (a redirect, binary content, past maxBytes) is aborted, unless the rest of it already arrived.
 */
export class ResponseReader implements Undici.Dispatcher.DispatchHandler {
  readonly result: Promise<Exchange>;
  #resolve!: (exchange: Exchange) => void;
  #reject!: (error: unknown) => void;
  readonly #maxBytes: number;
  readonly #plan: (statusCode: number, headers: ResponseHeaders) => BodyPlan;
  #controller: Undici.Dispatcher.DispatchController | undefined;
  #abortReason: Error | undefined;
  #settled = false;
  /** The connection has nothing more for this response (it ended or failed). */
  #ended = false;
  /** Body bytes are being taken. */
  #reading = false;
  #statusCode = 0;
  #headers: ResponseHeaders = {};
  #stopAtBinary = false;
  #whole: Buffer | undefined;
  #chunks: Buffer[] = [];
  #bytes = 0;
  #truncated = false;
  #binary = false;
  /** The content decoders, in order, when the body has a content coding; the body is written to the first. */
  #decoders: Transform[] = [];
  #draining = false;

  constructor(maxBytes: number, plan: (statusCode: number, headers: ResponseHeaders) => BodyPlan) {
    this.#maxBytes = maxBytes;
    this.#plan = plan;
    this.result = new Promise<Exchange>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** Sends the request on `dispatcher`; `result` settles with the response or the error. */
  send(dispatcher: Undici.Dispatcher, request: ExchangeRequest): Promise<Exchange> {
    const { url } = request;
    // Stopped before it started (the caller's signal was already aborted): nothing to send.
    if (this.#settled) return this.result;
    if (request.method === 'CONNECT') {
      this.#fail(Object.assign(new Error('invalid method'), { code: 'UND_ERR_INVALID_ARG' }));
      return this.result;
    }
    dispatcher.dispatch(
      {
        origin: url.origin,
        // The path and query, never the fragment.
        path: url.search ? `${url.pathname}${url.search}` : url.pathname,
        method: request.method,
        headers: request.headers,
        ...(request.body === undefined ? {} : { body: request.body }),
      },
      this,
    );
    return this.result;
  }

  /** Stops the exchange with `reason` (a deadline, the caller's signal): `result` rejects with it. */
  abort(reason: unknown): void {
    if (this.#abortReason !== undefined) return;
    this.#abortReason = reason instanceof Error ? reason : new Error(String(reason));
    this.#fail(reason);
    this.#controller?.abort(this.#abortReason);
  }

  onRequestStart(controller: Undici.Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#abortReason !== undefined) controller.abort(this.#abortReason);
  }

  onResponseStart(
    controller: Undici.Dispatcher.DispatchController,
    statusCode: number,
    headers: ResponseHeaders,
  ): void {
    // An informational response (100 Continue, 103 Early Hints) is followed by the real one.
    if (statusCode < 200 || this.#settled) return;
    this.#statusCode = statusCode;
    this.#headers = headers;
    const plan = this.#plan(statusCode, headers);
    if (!plan.read) {
      this.#succeed(undefined);
      this.#stop();
      return;
    }
    this.#reading = true;
    this.#stopAtBinary = plan.stopAtBinary;
    for (const encoding of plan.encodings) {
      const decoder = decoderFor(encoding);
      if (decoder === undefined) continue;
      decoder.on('error', (error) => {
        // A body that does not decode is not read any further.
        this.#fail(error);
        if (!this.#ended) controller.abort(error);
      });
      this.#decoders.push(decoder);
    }
    const last = this.#decoders.at(-1);
    if (last === undefined) {
      const length = plan.contentLength;
      if (length !== undefined && length <= this.#maxBytes) this.#whole = Buffer.allocUnsafeSlow(length);
      return;
    }
    if (this.#decoders.length > 1) pipeline(this.#decoders, () => {});
    last.on('data', (chunk: Buffer) => this.#take(chunk));
    // A compressed stream can end before its response does (bytes after it, or a server that keeps
    // sending): what follows is never read, and the response is ended like any other read far enough.
    last.on('end', () => {
      this.#finish();
      this.#stop();
    });
    // A decoder that lags pauses the connection until it has caught up.
    this.#decoders[0]?.on('drain', () => {
      this.#draining = false;
      controller.resume();
    });
  }

  onResponseData(controller: Undici.Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.#reading) return;
    const decoder = this.#decoders[0];
    if (decoder === undefined) {
      this.#take(chunk);
    } else if (!decoder.write(chunk) && !this.#draining) {
      this.#draining = true;
      controller.pause();
    }
  }

  onResponseEnd(): void {
    this.#ended = true;
    if (!this.#reading) return;
    const decoder = this.#decoders[0];
    if (decoder === undefined) this.#finish();
    else decoder.end();
  }

  onResponseError(_controller: Undici.Dispatcher.DispatchController, error: Error): void {
    this.#ended = true;
    this.#fail(error);
  }

  /** Keeps a chunk of decoded body, up to maxBytes; stops at the limit or at a binary first chunk. */
  #take(read: Buffer): void {
    if (!this.#reading) return;
    const room = this.#maxBytes - this.#bytes;
    const chunk = read.length > room ? read.subarray(0, room) : read;
    const whole = this.#whole;
    if (whole !== undefined && this.#bytes + chunk.length > whole.length) {
      // More than the server declared: collected as chunks from here on.
      this.#chunks.push(whole.subarray(0, this.#bytes));
      this.#whole = undefined;
    }
    if (this.#whole !== undefined) chunk.copy(this.#whole, this.#bytes);
    else this.#chunks.push(chunk);
    const first = this.#bytes === 0;
    this.#bytes += chunk.length;
    if (chunk !== read) {
      this.#truncated = true;
      this.#finish();
      this.#stop();
    } else if (this.#stopAtBinary && first && looksBinary(chunk)) {
      this.#binary = true;
      this.#finish();
      this.#stop();
    }
  }

  #finish(): void {
    if (!this.#reading) return;
    this.#reading = false;
    this.#destroyDecoders();
    const whole = this.#whole;
    const bytes = this.#bytes;
    const body =
      whole === undefined
        ? join(this.#chunks, bytes)
        : bytes === whole.length
          ? whole
          : whole.subarray(0, bytes);
    this.#chunks = [];
    this.#whole = undefined;
    this.#succeed(body);
  }

  #succeed(body: Buffer | undefined): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#resolve({
      statusCode: this.#statusCode,
      headers: this.#headers,
      body,
      truncated: this.#truncated,
      binary: this.#binary,
    });
  }

  #fail(error: unknown): void {
    this.#reading = false;
    this.#destroyDecoders();
    if (this.#settled) return;
    this.#settled = true;
    this.#reject(error);
  }

  /**
   * Ends a response the fetcher has read enough of. The abort waits for the bytes already received to
   * be parsed: when the rest of the response was among them the connection stays open for the next.
   */
  #stop(): void {
    queueMicrotask(() => {
      if (!this.#ended) this.#controller?.abort(new ResponseNotRead('response not read'));
    });
  }

  #destroyDecoders(): void {
    if (this.#decoders.length === 0) return;
    for (const decoder of this.#decoders) decoder.destroy();
    this.#decoders = [];
  }
}

/** The chunks as one buffer that is the whole of its memory. */
function join(chunks: Buffer[], bytes: number): Buffer {
  const joined = Buffer.allocUnsafeSlow(bytes);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.length;
  }
  return joined;
}

/** Lenient decoders: a body cut short yields what it had rather than an error. */
function decoderFor(encoding: string): Transform | undefined {
  if (encoding === 'gzip' || encoding === 'x-gzip')
    return zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
  if (encoding === 'br')
    return zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
  if (encoding === 'deflate') return new DeflateDecoder();
  return undefined;
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
      // The deflate stream's own end ends this one, whatever the response still sends after it.
      this.#inner.on('end', () => this.push(null));
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

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#inner?.destroy();
    callback(error);
  }
}

/** A NUL byte in the first kilobyte, unless a UTF-16 byte order mark says the NULs are text. */
export function looksBinary(sample: Buffer): boolean {
  if (
    sample.length >= 2 &&
    ((sample[0] === 0xff && sample[1] === 0xfe) || (sample[0] === 0xfe && sample[1] === 0xff))
  ) {
    return false;
  }
  // Buffer's own search for the byte: a loop over every byte of every response cost more.
  return sample.subarray(0, 1024).indexOf(0) !== -1;
}
