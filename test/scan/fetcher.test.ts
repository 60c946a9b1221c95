import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import type { Writable } from 'node:stream';
import zlib from 'node:zlib';
import * as undici from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { ScanError } from '../../src/scan/errors.js';
import { Fetcher, type FetchPolicy } from '../../src/scan/fetcher.js';
import { Agent, buildConnector } from '../../src/scan/http-client.js';
import { startSite, type TestSite } from '../fixtures/site-server.js';

const sites: TestSite[] = [];
const fetchers: Fetcher[] = [];
const rawServers: Server[] = [];
async function site(...args: Parameters<typeof startSite>): Promise<TestSite> {
  const started = await startSite(...args);
  sites.push(started);
  return started;
}
function fetcher(policy: Partial<FetchPolicy> = {}): Fetcher {
  const created = new Fetcher({
    allowPrivateNetworks: true,
    timeoutMs: 5_000,
    maxBytes: 1024 * 1024,
    maxRedirects: 5,
    userAgent: 'fetcher-test',
    ...policy,
  });
  fetchers.push(created);
  return created;
}
afterEach(async () => {
  await Promise.all(fetchers.splice(0).map((f) => f.close()));
  await Promise.all(sites.splice(0).map((s) => s.close()));
  for (const server of rawServers.splice(0)) server.close();
});

/** Text that is different at every offset, so a body cut or joined wrongly does not compare equal. */
function numbered(bytes: number): Buffer {
  let text = '';
  for (let i = 0; text.length < bytes; i++) text += `line ${i};\n`;
  return Buffer.from(text.slice(0, bytes));
}

/** Resolves when the socket has closed, by the client's doing or by a reset. */
function closeOf(socket: Socket): Promise<void> {
  socket.on('error', () => {});
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

/**
 * Writes `chunk` to `target` for as long as the client keeps the connection; resolves when it has
 * gone.
 */
function endless(res: ServerResponse, target: Writable, chunk: Buffer): Promise<void> {
  let closed = false;
  const gone = closeOf(res.socket as Socket).then(() => {
    closed = true;
  });
  const pump = () => {
    while (!closed && target.write(chunk)) {}
    if (!closed) target.once('drain', pump);
  };
  pump();
  return gone;
}

/** A server that answers every connection with `response` as raw bytes, then leaves the socket open. */
async function rawServer(response: Buffer): Promise<string> {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => socket.write(response));
  });
  rawServers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("undici's parts", () => {
  // http-client.ts loads them from undici's own files to skip its index; the version is pinned, and
  // this holds the files to what the index exports, so an upgrade that moves them fails here.
  it('are the classes and functions undici exports', () => {
    expect(Agent).toBe(undici.Agent);
    expect(buildConnector).toBe(undici.buildConnector);
  });
});

describe('content codings', () => {
  it('decodes gzip, br, zlib deflate and raw deflate bodies to the same bytes', async () => {
    const plain = numbered(300_000);
    const s = await site({
      '/gzip': { body: plain, encoding: 'gzip' },
      '/br': { body: plain, encoding: 'br' },
      '/deflate': { body: plain, encoding: 'deflate' },
      '/raw': { body: plain, encoding: 'deflate-raw' },
    });
    const f = fetcher();
    for (const path of ['/gzip', '/br', '/deflate', '/raw']) {
      const resource = await f.fetch({ url: new URL(s.url(path)) });
      expect(resource.truncated).toBe(false);
      expect(resource.bytes).toBe(plain.length);
      expect(resource.body?.equals(plain)).toBe(true);
    }
    expect(f.bytesRead).toBe(4 * plain.length);
  });

  it('stops a gzip body at maxBytes of decoded bytes, however small it is compressed', async () => {
    const maxBytes = 100_000;
    const plain = numbered(450_000);
    // The whole body, compressed, is smaller than the limit: counting received bytes would keep it all.
    expect(zlib.gzipSync(plain).length).toBeLessThan(maxBytes);
    const piece = plain.subarray(0, 64 * 1024);
    let serverGone: Promise<void> | undefined;
    const s = await site({
      '/small': { body: plain, encoding: 'gzip' },
      // A gzip stream that never ends: only counting decoded bytes ends it.
      '/endless': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
        const gzip = zlib.createGzip();
        gzip.pipe(res);
        serverGone = endless(res, gzip, piece);
      },
    });
    const f = fetcher({ maxBytes });
    const small = await f.fetch({ url: new URL(s.url('/small')) });
    expect(small.truncated).toBe(true);
    expect(small.bytes).toBe(maxBytes);
    expect(small.body?.equals(plain.subarray(0, maxBytes))).toBe(true);

    const big = await f.fetch({ url: new URL(s.url('/endless')) });
    expect(big.truncated).toBe(true);
    expect(big.bytes).toBe(maxBytes);
    expect(big.body?.equals(Buffer.concat([piece, piece]).subarray(0, maxBytes))).toBe(true);
    // The request was ended: the server sees its connection go.
    await serverGone;
  });
});

describe('a compressed stream that ends before its response', () => {
  it.each([
    ['gzip', (body: Buffer) => zlib.gzipSync(body)],
    ['br', (body: Buffer) => zlib.brotliCompressSync(body)],
    ['deflate', (body: Buffer) => zlib.deflateSync(body)],
  ] as const)(
    'keeps the %s body, and ends the response the server goes on sending',
    async (coding, encode) => {
      const plain = numbered(50_000);
      let serverGone: Promise<void> | undefined;
      const s = await site({
        '/': (_req, res) => {
          res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': coding });
          res.write(encode(plain));
          // Bytes after the stream's end, for as long as the client listens.
          serverGone = endless(res, res, Buffer.alloc(1024));
        },
      });
      const f = fetcher({ timeoutMs: 60_000 });
      const resource = await f.fetch({ url: new URL(s.url('/')) });
      expect(resource.body?.equals(plain)).toBe(true);
      expect(resource.truncated).toBe(false);
      // The request was ended: the server sees its connection go, and the fetcher closes.
      await serverGone;
      fetchers.splice(fetchers.indexOf(f), 1);
      await f.close();
    },
  );
});

describe('bodies that do not match their headers', () => {
  it('fails a body that does not decode as its coding says, and reads no more of it', async () => {
    let serverGone: Promise<void> | undefined;
    const s = await site({
      '/not-gzip': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' });
        serverGone = endless(res, res, Buffer.alloc(64 * 1024, 'a'));
      },
    });
    const error = await fetcher()
      .fetch({ url: new URL(s.url('/not-gzip')) })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ScanError);
    expect((error as ScanError).code).toBe('NETWORK');
    expect((error as ScanError).message).toMatch(/^Z_DATA_ERROR/);
    await serverGone;
  });

  it('keeps the declared bytes of a body longer than its Content-Length, and the next request still works', async () => {
    const origin = await rawServer(
      Buffer.from(
        'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 10\r\n\r\n0123456789 and then more',
      ),
    );
    const f = fetcher();
    const resource = await f.fetch({ url: new URL(`${origin}/`) });
    expect(resource.text).toBe('0123456789');
    expect(resource.bytes).toBe(10);
    // The bytes past the response spoil its connection, not the next request.
    const again = await f.fetch({ url: new URL(`${origin}/again`) });
    expect(again.text).toBe('0123456789');
  });

  it('fails a body the server cuts short of its Content-Length, rather than returning unfilled memory', async () => {
    const s = await site({
      '/short': (req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100000' });
        res.write('only this', () => req.socket.destroy());
      },
    });
    const error = await fetcher()
      .fetch({ url: new URL(s.url('/short')) })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ScanError);
    expect((error as ScanError).code).toBe('NETWORK');
  });
});

describe('gzip files', () => {
  it('unpacks a gzip file when asked, also when it comes gzip-encoded as well', async () => {
    const plain = numbered(200_000);
    const file = zlib.gzipSync(plain);
    const s = await site({
      '/sitemap.xml.gz': { type: 'application/gzip', body: file },
      '/twice.xml.gz': { type: 'application/x-gzip', body: file, encoding: 'gzip' },
    });
    const f = fetcher();
    for (const path of ['/sitemap.xml.gz', '/twice.xml.gz']) {
      const resource = await f.fetch({ url: new URL(s.url(path)), unpackGzipFile: true });
      expect(resource.body?.equals(plain)).toBe(true);
      // Not asked to: a gzip file is binary content, never read.
      const unread = await f.fetch({ url: new URL(s.url(path)) });
      expect(unread).toMatchObject({ binary: true, bytes: 0 });
    }
  });
});

describe('stopping early', () => {
  it('stops a body mid-way when the caller aborts, and reports it as aborted', async () => {
    let firstWritten: () => void = () => {};
    const written = new Promise<void>((resolve) => {
      firstWritten = resolve;
    });
    let serverGone: Promise<void> | undefined;
    const s = await site({
      '/slow': (req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        serverGone = closeOf(req.socket);
        res.write('<p>the start of a page that never ends', () => firstWritten());
      },
    });
    const controller = new AbortController();
    const f = fetcher();
    const pending = f
      .fetch({ url: new URL(s.url('/slow')), signal: controller.signal })
      .catch((e: unknown) => e);
    await written;
    controller.abort();
    const error = await pending;
    expect(error).toBeInstanceOf(ScanError);
    expect((error as ScanError).code).toBe('ABORTED');
    await serverGone;
  });

  it('reads no further than the first chunk of a binary body, and none of a binary content type', async () => {
    const gone: Promise<void>[] = [];
    const binary = Buffer.alloc(64 * 1024, 0);
    const s = await site({
      '/blob': (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        gone.push(endless(res, res, binary));
      },
      '/image': (_req, res) => {
        res.writeHead(200, { 'content-type': 'image/png' });
        gone.push(endless(res, res, binary));
      },
    });
    const f = fetcher({ maxBytes: 50 * 1024 * 1024 });
    const blob = await f.fetch({ url: new URL(s.url('/blob')) });
    expect(blob.binary).toBe(true);
    expect(blob.body).toBeUndefined();
    expect(blob.bytes).toBeGreaterThan(0);
    expect(blob.bytes).toBeLessThanOrEqual(1024 * 1024);
    const image = await f.fetch({ url: new URL(s.url('/image')) });
    expect(image.binary).toBe(true);
    expect(image.bytes).toBe(0);
    await Promise.all(gone);
    expect(gone).toHaveLength(2);
  });

  it('follows a redirect without reading its body, however long it is', async () => {
    let serverGone: Promise<void> | undefined;
    const s = await site({
      '/moved': (_req, res) => {
        res.writeHead(302, { location: '/here', 'content-type': 'text/html' });
        serverGone = endless(res, res, Buffer.alloc(64 * 1024, 'a'));
      },
      '/here': { body: 'arrived' },
    });
    const resource = await fetcher().fetch({ url: new URL(s.url('/moved')) });
    expect(resource.text).toBe('arrived');
    expect(resource.redirects.map(String)).toEqual([s.url('/here')]);
    await serverGone;
  });
});
