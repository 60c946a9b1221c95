import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintKey } from '../../src/scan/redact.js';
import { fakeLegacyKey } from '../fixtures/site-server.js';

// The built command (npm test builds first), trusting the loopback test certificate: the only way to
// make a child trust it is NODE_EXTRA_CA_CERTS, read when the process starts.
const BIN = new URL('../../bin/klaviyo-checkup.js', import.meta.url).pathname;
const CERT = new URL('../fixtures/tls/loopback-cert.pem', import.meta.url).pathname;
const KEY = new URL('../fixtures/tls/loopback-key.pem', import.meta.url).pathname;

const pageKey = fakeLegacyKey(71);
const scriptKey = fakeLegacyKey(72);

const versions: string[] = [];
let server: Http2SecureServer;
let origin = '';

beforeAll(async () => {
  server = createSecureServer({ cert: readFileSync(CERT), key: readFileSync(KEY), allowHTTP1: true });
  server.on('request', (req, res) => {
    versions.push(req.httpVersion);
    const path = req.url ?? '/';
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        `<script src="/app.js"></script>${Array.from({ length: 20 }, (_, i) => `<a href="/p${i}">${i}</a>`).join('')}<p>${pageKey}</p>`,
      );
    } else if (path === '/app.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(`var k="${scriptKey}";`);
    } else if (/^\/p\d+$/.test(path)) {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<p>page ${path}</p>`);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('a storefront served over HTTP/2', () => {
  it('is scanned over HTTP/2, every request and key as over HTTP/1.1', async () => {
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [BIN, 'scan', `${origin}/`, '--json', '--allow-private-networks', '--no-sitemaps'],
        { env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: CERT }, timeout: 60_000 },
        (error, stdout, stderr) =>
          resolve({
            code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
            stdout,
            stderr,
          }),
      );
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.pagesScanned).toBe(21);
    expect(report.scriptsScanned).toBe(1);
    expect(report.findings.map((finding: { fingerprint: string }) => finding.fingerprint).sort()).toEqual(
      [fingerprintKey(pageKey), fingerprintKey(scriptKey)].sort(),
    );
    expect(versions.length).toBe(22);
    expect(new Set(versions)).toEqual(new Set(['2.0']));
  });
});
