import { type ChildProcess, fork } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, posix, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SERVER_CONFIG_FILE, type ServerConfig } from './site-generator.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml',
  '.webmanifest': 'application/manifest+json',
};

/** One file of the site, held in memory. */
export interface StaticFile {
  body: Buffer;
  contentType: string;
}

/** Site path (`/products/x.html`, `/index.html`) → file, plus the redirects and extra headers. */
export interface StaticSite {
  files: Map<string, StaticFile>;
  config: ServerConfig;
}

/** Every file under `root` by the site path it is served at (`/products/x.html`), `_server.json` aside. */
export function siteFiles(root: string): { sitePath: string; path: string }[] {
  const found: { sitePath: string; path: string }[] = [];
  const walk = (dir: string, prefix: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const sitePath = `${prefix}/${entry.name}`;
      if (entry.isDirectory()) walk(path, sitePath);
      else if (entry.isFile() && sitePath !== `/${SERVER_CONFIG_FILE}`) found.push({ sitePath, path });
    }
  };
  walk(resolve(root), '');
  return found;
}

/**
 * Reads every file under `root` into memory, so that serving a request touches neither the disk nor
 * the file system: the benchmark then measures the clients, not the server's file handling. A
 * `_server.json` at the root (written by the generator) holds redirects and extra response headers.
 */
export function loadSite(root: string): StaticSite {
  const files = new Map<string, StaticFile>();
  for (const { sitePath, path } of siteFiles(root)) {
    files.set(sitePath, {
      body: readFileSync(path),
      contentType: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
    });
  }
  const configFile = join(resolve(root), SERVER_CONFIG_FILE);
  const config: ServerConfig = existsSync(configFile)
    ? (JSON.parse(readFileSync(configFile, 'utf8')) as ServerConfig)
    : { headers: {}, redirects: {} };
  return { files, config };
}

export interface StaticServerOptions {
  /** Every response (headers and body) is sent this many ms after its request arrives; 0 for at once. */
  delayMs?: number;
}

const NOT_FOUND = Buffer.from('Not found\n', 'utf8');

/**
 * Serves an in-memory site the way a storefront host would: `/dir/` is `dir/index.html`, and an
 * extension-less path such as `/products/x` is `products/x.html`. Only GET and HEAD. With `delayMs`,
 * each response waits on a timer first (the event loop stays free), which models a storefront's
 * time to first byte.
 */
export function createStaticServer(site: StaticSite, options: StaticServerOptions = {}): Server {
  const delayMs = options.delayMs ?? 0;
  return createServer((request, response) => {
    if (delayMs <= 0) {
      respond(site, request, response);
      return;
    }
    const timer = setTimeout(() => respond(site, request, response), delayMs);
    // A client that hangs up early needs no answer.
    response.once('close', () => clearTimeout(timer));
  });
}

function respond(site: StaticSite, request: IncomingMessage, response: ServerResponse): void {
  if (response.destroyed) return;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-length': 0 }).end();
    return;
  }
  const pathname = pathOf(request.url ?? '/');
  const redirect = pathname === undefined ? undefined : site.config.redirects[pathname];
  if (redirect !== undefined) {
    response.writeHead(redirect.status, {
      ...redirect.headers,
      location: redirect.location,
      'content-length': 0,
    });
    response.end();
    return;
  }
  const file = pathname === undefined ? undefined : findFile(site, pathname);
  if (file === undefined) {
    response.writeHead(404, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': NOT_FOUND.length,
    });
    response.end(request.method === 'HEAD' ? undefined : NOT_FOUND);
    return;
  }
  response.writeHead(200, {
    ...(pathname === undefined ? {} : site.config.headers[pathname]),
    'content-type': file.contentType,
    'content-length': file.body.length,
  });
  response.end(request.method === 'HEAD' ? undefined : file.body);
}

function pathOf(rawUrl: string): string | undefined {
  try {
    return decodeURIComponent(new URL(rawUrl, 'http://localhost').pathname);
  } catch {
    return undefined;
  }
}

function findFile(site: StaticSite, pathname: string): StaticFile | undefined {
  const candidates = pathname.endsWith('/') ? [`${pathname}index.html`] : [pathname, `${pathname}.html`];
  for (const candidate of candidates) {
    // Keys are normalised paths under the root, so `..` cannot reach anything else.
    const file = site.files.get(posix.normalize(candidate));
    if (file !== undefined) return file;
  }
  return undefined;
}

export interface ServerProcess {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** Files and bytes the server holds in memory. */
  files: number;
  bytes: number;
  delayMs: number;
  stop(): Promise<void>;
}

export interface StartServerOptions extends StaticServerOptions {
  startTimeoutMs?: number;
}

const READY = /^listening (\d+) files (\d+) bytes (\d+)$/m;

/**
 * Starts the server in a child process, so the server and the scanner under test do not share an
 * event loop. The child loads the site into memory, then prints `listening <port> files <n> bytes <n>`
 * once bound to 127.0.0.1 on a free port.
 */
export function startStaticServerProcess(
  root: string,
  options: StartServerOptions = {},
): Promise<ServerProcess> {
  const delayMs = options.delayMs ?? 0;
  const child = fork(fileURLToPath(import.meta.url), [root, '--delay-ms', String(delayMs)], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  return new Promise((resolvePromise, reject) => {
    let output = '';
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new Error('the static server did not start in time')),
      options.startTimeoutMs ?? 15_000,
    );
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`the static server exited early (status ${code})`)));
    child.stdout?.on('data', (data: Buffer) => {
      output += data.toString('utf8');
      const match = READY.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.removeAllListeners('error');
      child.stdout?.resume();
      resolvePromise({
        origin: `http://127.0.0.1:${match[1]}`,
        files: Number(match[2]),
        bytes: Number(match[3]),
        delayMs,
        stop: () => stopChild(child),
      });
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      done();
    });
    child.kill('SIGTERM');
  });
}

const MAX_LIFETIME_MS = 30 * 60_000;
const USAGE = 'usage: static-server.js <directory> [--delay-ms <n>]\n';

function runChild(args: string[]): void {
  let root: string | undefined;
  let delayMs = 0;
  try {
    const parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { 'delay-ms': { type: 'string' } },
    });
    root = parsed.positionals[0];
    const delay = parsed.values['delay-ms'];
    if (delay !== undefined) {
      delayMs = Number(delay);
      if (!/^\d+$/.test(delay) || !Number.isSafeInteger(delayMs)) throw new Error(`bad --delay-ms: ${delay}`);
    }
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    process.exit(2);
  }
  if (root === undefined) {
    process.stderr.write(USAGE);
    process.exit(2);
  }
  const site = loadSite(root);
  let bytes = 0;
  for (const file of site.files.values()) bytes += file.body.length;
  const server = createStaticServer(site, { delayMs });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    process.stdout.write(`listening ${port} files ${site.files.size} bytes ${bytes}\n`);
  });
  const quit = () => process.exit(0);
  process.on('SIGTERM', quit);
  process.on('SIGINT', quit);
  // An orphaned server (the parent died) goes away by itself.
  process.on('disconnect', quit);
  setTimeout(quit, MAX_LIFETIME_MS).unref();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runChild(process.argv.slice(2));
}
