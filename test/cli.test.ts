import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintKey } from '../src/scan/redact.js';
import { fakeAccountKey, fakeLegacyKey, startSite, type TestSite } from './fixtures/site-server.js';
import { pluralProblems } from './slack/words.js';

const BIN = new URL('../bin/klaviyo-checkup.js', import.meta.url).pathname;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built command as a user would (npm test builds before the tests run). */
function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env.PATH, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const legacy = fakeLegacyKey(40);
const scoped = fakeAccountKey('XvCJDh', 41);
let shop: TestSite;
let clean: TestSite;
const tmp = mkdtempSync(join(tmpdir(), 'klaviyo-checkup-cli-'));

beforeAll(async () => {
  shop = await startSite({
    '/': {
      body: `<html><body><script async src="/onsite/js/XvCJDh/klaviyo.js"></script>
        <script>klaviyo.push(['account', '${legacy}']);</script>
        <a href="/checkout">checkout</a></body></html>`,
    },
    '/checkout': {
      body: `<script>fetch("/api",{headers:{"Authorization":"Klaviyo-API-Key ${scoped}"}})</script>`,
    },
    '/onsite/js/XvCJDh/klaviyo.js': { type: 'application/javascript', body: '/* onsite */' },
  });
  clean = await startSite({ '/': { body: '<p>pk_test_51HxYzAbCdEfGhIjKlMnOpQr and nothing else</p>' } });
});

afterAll(async () => {
  await Promise.all([shop.close(), clean.close()]);
  rmSync(tmp, { recursive: true, force: true });
});

describe('klaviyo-checkup scan', () => {
  it('exits 1 with a JSON report of every key, masked, with where it sits', async () => {
    const result = await run(['scan', shop.url('/'), '--json', '--allow-private-networks']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      target: shop.url('/'),
      pagesScanned: 2,
      scriptsScanned: 1,
      publicKeys: [{ key: 'XvCJDh' }],
      errors: [],
    });
    expect(report.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'private_key',
          masked: `pk_…${legacy.slice(-4)}`,
          fingerprint: fingerprintKey(legacy),
          occurrences: [
            expect.objectContaining({ url: shop.url('/'), page: shop.url('/'), context: 'account' }),
          ],
        }),
        expect.objectContaining({
          masked: `pk_…${scoped.slice(-4)}`,
          fingerprint: fingerprintKey(scoped),
          occurrences: [expect.objectContaining({ url: shop.url('/checkout'), context: 'authorization' })],
        }),
      ]),
    );
    expect(report.findings).toHaveLength(2);
    expect(result.stdout + result.stderr).not.toContain(legacy);
    expect(result.stdout + result.stderr).not.toContain(scoped);
  });

  it('prints a readable report without full keys, and the keys only with --reveal', async () => {
    const masked = await run(['scan', shop.url('/'), '--allow-private-networks']);
    expect(masked.code).toBe(1);
    expect(masked.stdout).toContain('EXPOSED: 2 Klaviyo private keys found in public code. Rotate each one.');
    expect(pluralProblems(masked.stdout)).toEqual([]);
    expect(masked.stdout).toContain(`pk_…${legacy.slice(-4)}`);
    expect(masked.stdout).toContain('belongs to this site');
    expect(masked.stdout + masked.stderr).not.toContain(legacy);
    expect(masked.stdout + masked.stderr).not.toContain(scoped);

    const revealed = await run(['scan', shop.url('/'), '--allow-private-networks', '--reveal']);
    expect(revealed.stdout).toContain(legacy);
    expect(revealed.stdout).toContain(scoped);
  });

  it('exits 0 on a site without private keys, whatever other vendors put there', async () => {
    const result = await run(['scan', clean.url('/'), '--allow-private-networks']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('No Klaviyo private key found.');
  });

  it('honours SCAN_ALLOW_PRIVATE_NETWORKS=true', async () => {
    const result = await run(['scan', clean.url('/'), '--json'], { SCAN_ALLOW_PRIVATE_NETWORKS: 'true' });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).pagesScanned).toBe(1);
  });

  it('refuses a loopback target with exit 2, a clear reason and no request', async () => {
    const before = shop.requests.length;
    const result = await run(['scan', shop.url('/'), '--json']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/loopback.*private networks is turned off/);
    expect(shop.requests.length).toBe(before);
  });

  it.each([
    [['scan', 'ftp://shop.example/'], /Only http and https/],
    [['scan'], /needs a URL/],
    [['scan', 'https://shop.example', '--max-pages', 'many'], /--max-pages needs a whole number/],
    [['scan', 'https://shop.example', '--concurrency', '0'], /concurrency must be a whole number from 1/],
    [['scan', 'https://shop.example', '--expect-public-key', 'pk_123'], /6 letters and digits/],
    [['scan', 'https://shop.example', '--bogus'], /Unknown option/],
  ])('exits 2 for bad input %j', async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('exits 2 when the site cannot be reached', async () => {
    const port = await closedPort();
    const result = await run([
      'scan',
      `http://127.0.0.1:${port}/`,
      '--allow-private-networks',
      '--retries',
      '0',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/could not be scanned: connection refused/);
  });

  it('warns when the pages use another site ID than expected', async () => {
    const result = await run([
      'scan',
      shop.url('/'),
      '--json',
      '--allow-private-networks',
      '--expect-public-key',
      'AbC123',
    ]);
    const codes = JSON.parse(result.stdout).warnings.map((w: { code: string }) => w.code);
    expect(codes).toEqual(expect.arrayContaining(['unexpected_public_key', 'expected_public_key_missing']));
  });

  it('writes a SARIF 2.1.0 report for code-scanning alerts', async () => {
    const file = join(tmp, 'scan.sarif');
    const result = await run(['scan', shop.url('/'), '--allow-private-networks', '--sarif', file, '--quiet']);
    expect(result.code).toBe(1);
    const text = readFileSync(file, 'utf8');
    const sarif = JSON.parse(text);
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].results).toHaveLength(2);
    expect(sarif.runs[0].results[0].locations[0].physicalLocation.region.startLine).toBeGreaterThan(0);
    expect(text).not.toContain(legacy);
  });

  it('masks keys that sit in URLs too (links, script sources), without --reveal', async () => {
    const inUrl = fakeLegacyKey(44);
    const encoded = `pk_${'fedcba9876543210'.repeat(2)}77`;
    const base64 = Buffer.from(JSON.stringify({ token: encoded })).toString('base64');
    const leaky = await startSite({
      '/': {
        body: `<a href="/unsubscribe?api_key=${inUrl}">x</a><script src="/lib.js?api_key=${inUrl}"></script>
          <a href="/track?d=${base64}">t</a><a href="/p?k=pk%5F${encoded.slice(3)}">p</a>`,
      },
      '/track': { status: 500, body: 'oops' },
    });
    try {
      const json = await run(['scan', leaky.url('/'), '--json', '--allow-private-networks']);
      const text = await run(['scan', leaky.url('/'), '--allow-private-networks']);
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout).findings[0].masked).toBe(`pk_…${inUrl.slice(-4)}`);
      for (const output of [json.stdout, json.stderr, text.stdout, text.stderr]) {
        expect(output).not.toContain(inUrl);
        expect(output).not.toContain(encoded.slice(3));
        expect(output).not.toContain(base64);
      }
    } finally {
      await leaky.close();
    }
  });

  it('lists placeholders apart, with low confidence, and exits 0 when they are all it saw', async () => {
    const docs = await startSite({
      '/': {
        body: `<p>Example: <code>pk_abc123def456ghi789jkl0mno123pqrst4</code></p>
          <pre>KLAVIYO_PRIVATE_KEY=pk_${'x'.repeat(34)}
          KLAVIYO_KEY=pk_YOUR_PRIVATE_KEY_HERE_${'X'.repeat(12)}</pre>`,
      },
    });
    try {
      const json = await run(['scan', docs.url('/'), '--json', '--allow-private-networks', '--no-sitemaps']);
      expect(json.code).toBe(0);
      const report = JSON.parse(json.stdout);
      expect(report.findings).toEqual([]);
      expect(report.placeholders).toEqual(
        ['pk_…rst4', 'pk_…xxxx', 'pk_…XXXX'].map((masked) =>
          expect.objectContaining({
            masked,
            confidence: 'low',
            reason: expect.stringContaining('looks like a placeholder'),
          }),
        ),
      );
      const text = await run(['scan', docs.url('/'), '--allow-private-networks', '--no-sitemaps']);
      expect(text.code).toBe(0);
      expect(text.stdout).toContain('No Klaviyo private key found.');
      expect(text.stdout).toContain('Looks like a placeholder (low confidence, not counted): 3');
    } finally {
      await docs.close();
    }
  });

  it('says how each resource was reached, in every report format', async () => {
    const key = fakeLegacyKey(45);
    const chained = await startSite({
      '/': { body: '<script type="module" src="/assets/entry.js"></script>' },
      '/assets/entry.js': { type: 'application/javascript', body: 'import("./lazy.js")' },
      '/assets/lazy.js': { type: 'application/javascript', body: `var api_key="${key}"` },
    });
    try {
      const args = ['scan', chained.url('/'), '--allow-private-networks', '--no-sitemaps'];
      const sarifFile = join(tmp, 'chain.sarif');
      const [json, text] = await Promise.all([
        run([...args, '--json']),
        run([...args, '--sarif', sarifFile]),
      ]);
      expect(JSON.parse(json.stdout).findings[0].occurrences[0].via).toEqual([
        { url: chained.url('/'), reason: 'start' },
        { url: chained.url('/assets/entry.js'), reason: 'script tag' },
        { url: chained.url('/assets/lazy.js'), reason: 'import' },
      ]);
      expect(text.stdout).toContain(
        `reached: ${chained.url('/')} → ${chained.url('/assets/entry.js')} (script tag) → ${chained.url('/assets/lazy.js')} (import)`,
      );
      const sarif = JSON.parse(readFileSync(sarifFile, 'utf8'));
      expect(sarif.runs[0].results[0].locations[0].message.text).toContain('reached:');
      expect(sarif.runs[0].results[0].locations[0].properties.via).toHaveLength(3);
    } finally {
      await chained.close();
    }
  });

  it('prints usage for --help', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: klaviyo-checkup scan <url>');
  });

  it('answers --version without loading the scan engine', async () => {
    // undici is a CommonJS package, so once anything imports it, it sits in the require cache.
    const probe = `
      import { createRequire } from 'node:module';
      const { main } = await import(${JSON.stringify(new URL('../dist/cli.js', import.meta.url).href)});
      const out = [];
      const code = await main(['--version'], { stdout: { write: (t) => out.push(t) }, stderr: process.stderr, env: {} });
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((path) => path.includes('undici'));
      process.stdout.write(JSON.stringify({ code, version: out.join('').trim(), loaded: loaded.length }));`;
    const result = await new Promise<Run>((resolve) => {
      execFile(process.execPath, ['--input-type=module', '-e', probe], (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : -1, stdout, stderr }),
      );
    });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ code: 0, version: '0.1.0', loaded: 0 });
  });

  it('answers --version and -v from the launcher alone, before the command line module loads', async () => {
    // A copy of the package without dist/: the version still answers, anything else says what is missing.
    const bare = mkdtempSync(join(tmpdir(), 'klaviyo-checkup-bare-'));
    try {
      cpSync(new URL('../bin', import.meta.url), join(bare, 'bin'), { recursive: true });
      cpSync(new URL('../package.json', import.meta.url), join(bare, 'package.json'));
      const version = (JSON.parse(readFileSync(join(bare, 'package.json'), 'utf8')) as { version: string })
        .version;
      const bareRun = (args: string[]) =>
        new Promise<Run>((resolve) => {
          execFile(
            process.execPath,
            [join(bare, 'bin', 'klaviyo-checkup.js'), ...args],
            (error, stdout, stderr) =>
              resolve({
                code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
                stdout,
                stderr,
              }),
          );
        });
      for (const flag of ['--version', '-v']) {
        expect(await bareRun([flag])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
      }
      const help = await bareRun(['--help']);
      expect(help.code).toBe(2);
      expect(help.stderr).toMatch(/^klaviyo-checkup: .*dist\/cli\.js/);
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  it('exits at once on a scan with a usage error, though the scan had started its analysis thread', async () => {
    for (const args of [['scan'], ['scan', '--bogus'], ['scan', 'https://x.example', 'extra']]) {
      const result = await run(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain('klaviyo-checkup --help');
    }
  });

  it('treats no arguments as a usage error: usage on stderr, exit 2', async () => {
    const result = await run([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Usage: klaviyo-checkup scan <url>');
  });
});

describe('npx klaviyo-checkup from a clone', () => {
  it('runs the clone’s own command: no global install, nothing fetched', async () => {
    const root = new URL('..', import.meta.url).pathname;
    // An empty global prefix, so only the clone can provide the command; --no forbids a download.
    const result = await new Promise<Run>((resolve) => {
      execFile(
        'npx',
        ['--no', '--', 'klaviyo-checkup', 'scan', shop.url('/'), '--json', '--allow-private-networks'],
        {
          cwd: root,
          env: { PATH: process.env.PATH, HOME: tmp, npm_config_prefix: join(tmp, 'global') },
          timeout: 60_000,
        },
        (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
          resolve({ code, stdout, stderr });
        },
      );
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).findings).toHaveLength(2);
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
