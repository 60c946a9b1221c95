import { type ChildProcess, fork } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml',
};

/**
 * Serves a directory the way a storefront host would: `/dir/` is `dir/index.html`, and an
 * extension-less path such as `/products/x` is `products/x.html`. Only GET and HEAD.
 */
export function createStaticServer(root: string): Server {
  const base = resolve(root);
  return createServer((request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    findFile(base, request.url ?? '/').then(
      (file) => {
        if (file === undefined) {
          response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
          return;
        }
        response.writeHead(200, {
          'content-type': CONTENT_TYPES[extname(file.path)] ?? 'application/octet-stream',
          'content-length': file.size,
        });
        if (request.method === 'HEAD') {
          response.end();
          return;
        }
        pipeline(createReadStream(file.path), response, () => {});
      },
      () => response.writeHead(500).end(),
    );
  });
}

async function findFile(base: string, rawUrl: string): Promise<{ path: string; size: number } | undefined> {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(rawUrl, 'http://localhost').pathname);
  } catch {
    return undefined;
  }
  const candidates = pathname.endsWith('/') ? [`${pathname}index.html`] : [pathname, `${pathname}.html`];
  for (const candidate of candidates) {
    const path = resolve(base, `.${candidate}`);
    if (!path.startsWith(base + sep)) return undefined;
    const info = await stat(path).catch(() => undefined);
    if (info?.isFile()) return { path, size: info.size };
  }
  return undefined;
}

export interface ServerProcess {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  stop(): Promise<void>;
}

const READY = /^listening (\d+)$/m;

/**
 * Starts the server in a child process, so the server and the scanner under test do not share an
 * event loop. The child prints `listening <port>` once bound to 127.0.0.1 on a free port.
 */
export function startStaticServerProcess(root: string, startTimeoutMs = 15_000): Promise<ServerProcess> {
  const child = fork(fileURLToPath(import.meta.url), [root], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  return new Promise((resolvePromise, reject) => {
    let output = '';
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new Error('the static server did not start in time')),
      startTimeoutMs,
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
      resolvePromise({ origin: `http://127.0.0.1:${match[1]}`, stop: () => stopChild(child) });
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

function runChild(root: string | undefined): void {
  if (root === undefined) {
    process.stderr.write('usage: static-server.js <directory>\n');
    process.exit(2);
  }
  const server = createStaticServer(root);
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    process.stdout.write(`listening ${port}\n`);
  });
  const quit = () => process.exit(0);
  process.on('SIGTERM', quit);
  process.on('SIGINT', quit);
  // An orphaned server (the parent died) goes away by itself.
  process.on('disconnect', quit);
  setTimeout(quit, MAX_LIFETIME_MS).unref();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runChild(process.argv[2]);
}
