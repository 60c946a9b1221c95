import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintKey } from '../../../src/scan/redact.js';
import { apiRoutes, RUNTIME_KEYS, runtimeSiteRoutes } from '../../fixtures/runtime-site.js';
import { startSite, type TestSite } from '../../fixtures/site-server.js';
import { BIN } from './netns.js';

interface Report {
  findings: {
    fingerprint: string;
    masked: string;
    occurrenceCount: number;
    occurrences: Record<string, unknown>[];
  }[];
  render?: Record<string, unknown>;
}

function scan(url: string, args: string[]): Promise<{ code: number; report: Report; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [BIN, 'scan', url, '--json', '--allow-private-networks', '--no-sitemaps', ...args],
      { env: { PATH: process.env.PATH }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        try {
          resolve({ code, report: JSON.parse(stdout) as Report, stderr });
        } catch {
          reject(new Error(`no report (exit ${code}): ${stderr}`));
        }
      },
    );
  });
}

let shop: TestSite;
let api: TestSite;
let staticRun: Awaited<ReturnType<typeof scan>>;
let renderRun: Awaited<ReturnType<typeof scan>>;

beforeAll(async () => {
  api = await startSite(apiRoutes(), '127.0.0.2');
  shop = await startSite(runtimeSiteRoutes(api.origin));
  staticRun = await scan(shop.url('/'), []);
  renderRun = await scan(shop.url('/'), ['--render']);
}, 240_000);

afterAll(async () => {
  await Promise.all([shop.close(), api.close()]);
});

const fingerprints = (report: Report) => report.findings.map((finding) => finding.fingerprint).sort();
const findingOf = (report: Report, key: string) =>
  report.findings.find((finding) => finding.fingerprint === fingerprintKey(key));

describe('keys that exist only when the page runs', () => {
  it('the static scan finds only the key the page spells out', () => {
    expect(staticRun.code).toBe(1);
    expect(fingerprints(staticRun.report)).toEqual([fingerprintKey(RUNTIME_KEYS.static)]);
    expect(staticRun.report.render).toBeUndefined();
  });

  it('--render finds every runtime key too, and no decoy', () => {
    expect(renderRun.stderr).toBe('');
    // The browser's own account first: a pass that failed or stopped says why here.
    expect(renderRun.report.render).toMatchObject({ status: 'done', pagesRendered: 5, errors: [] });
    expect(renderRun.code).toBe(1);
    expect(fingerprints(renderRun.report)).toEqual(
      Object.values(RUNTIME_KEYS)
        .map((key) => fingerprintKey(key))
        .sort(),
    );
    expect(renderRun.report.render).toMatchObject({
      status: 'done',
      pagesRendered: 5,
      browserConnectionAttempts: 0,
    });
  });

  it('a key assembled at runtime is seen in the Authorization header of the request, which is never sent', () => {
    expect(findingOf(renderRun.report, RUNTIME_KEYS.header)?.occurrences).toEqual([
      expect.objectContaining({
        url: api.url('/api/profiles/'),
        page: shop.url('/checkout'),
        resource: 'request',
        location: 'request-header',
        method: 'POST',
        context: 'authorization',
      }),
    ]);
    // The scan holds back a request that carries a key: the stand-in API saw no request at all.
    expect(api.requests).toEqual([]);
  });

  it('a script whose URL is computed and injected is fetched and scanned', () => {
    expect(findingOf(renderRun.report, RUNTIME_KEYS.injected)?.occurrences).toEqual([
      expect.objectContaining({
        url: shop.url('/assets/config-42.js'),
        page: shop.url('/products/blue-shirt'),
        resource: 'response',
      }),
    ]);
  });

  it('a value from an endpoint no file names is seen in the response', () => {
    expect(findingOf(renderRun.report, RUNTIME_KEYS.fetched)?.occurrences).toEqual([
      expect.objectContaining({
        url: shop.url('/apps/settings?v=2'),
        page: shop.url('/account'),
        resource: 'response',
      }),
    ]);
  });

  it('a tag written by a tag manager after a timer is seen as a script the page ran', () => {
    expect(findingOf(renderRun.report, RUNTIME_KEYS.tagManager)?.occurrences).toEqual([
      expect.objectContaining({ page: shop.url('/landing'), resource: 'runtime-script' }),
    ]);
  });

  it('a key the static scan already reported is not reported again from the browser', () => {
    expect(findingOf(renderRun.report, RUNTIME_KEYS.static)).toEqual(
      findingOf(staticRun.report, RUNTIME_KEYS.static),
    );
  });

  it('never puts a full key in the report', () => {
    const text = JSON.stringify(renderRun.report);
    for (const key of Object.values(RUNTIME_KEYS)) expect(text).not.toContain(key.slice(3));
  });
});
