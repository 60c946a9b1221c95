import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type AnalysisRequest, ResourceAnalyzer } from '../../src/scan/analysis.js';
import { type Analyzer, inlineAnalyzer } from '../../src/scan/analysis-pool.js';
import { scanSite } from '../../src/scan/crawler.js';
import { scanText } from '../../src/scan/detector.js';
import { extractFromHtml } from '../../src/scan/extract.js';
import { locateInHtml } from '../../src/scan/html-location.js';
import { LinkTable } from '../../src/scan/link-table.js';
import { fingerprintKey } from '../../src/scan/redact.js';
import { fakeAccountKey, fakeLegacyKey, startSite, type TestSite } from '../fixtures/site-server.js';

const encode = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));

describe('analysing a resource', () => {
  const key = fakeLegacyKey(61);
  const page = `<!doctype html><html><head><script src="/app.js"></script>
    <link rel="alternate" hreflang="de" href="/de/"></head><body>
    <a href="/a">A</a> <a href="/b">B</a> <a href="https://cdn.example/x">X</a> <a href="rel">R</a>
    <p>Price 12 €, rated ★★★★☆</p><div data-k="${key}"></div>
    <script>_learnq.push(['account', 'AbC123']);</script></body></html>`;

  it('finds what the detector and the link reader find, each hit placed in the page', () => {
    const analysis = new ResourceAnalyzer().analyze({
      kind: 'page',
      body: encode(page),
      contentType: 'text/html; charset=utf-8',
      url: 'http://shop.test/p',
    });
    const direct = scanText(page, { html: true });
    expect(analysis.html).toBe(true);
    expect(analysis.privateKeys).toEqual(
      direct.privateKeys.map((hit) => ({ ...hit, location: locateInHtml(page, hit.offset) })),
    );
    expect(analysis.privateKeys[0]?.location).toBe('attribute');
    expect(analysis.publicKeys).toEqual(direct.publicKeys.map(({ key, via }) => ({ key, via })));
    const links = extractFromHtml(page, new URL('http://shop.test/p'));
    expect(analysis.links?.scripts.map((ref) => ref.url)).toEqual(links.scripts.map((ref) => ref.url.href));
    expect(analysis.links?.alternates).toEqual(['http://shop.test/de/']);
  });

  it('resolves each absolute or root-relative link once per scan and sends it across once', () => {
    const analyzer = new ResourceAnalyzer();
    const request = (url: string): AnalysisRequest => ({
      kind: 'page',
      body: encode(page),
      contentType: 'text/html',
      url,
    });
    const first = analyzer.analyze(request('http://shop.test/p'));
    const second = analyzer.analyze(request('http://shop.test/q'));
    expect(first.newLinks?.map((link) => link.href)).toEqual([
      'http://shop.test/a',
      'http://shop.test/b',
      'https://cdn.example/x',
    ]);
    // The relative link resolves against each page, so it is sent with each.
    expect(first.looseLinks).toEqual([{ key: '', href: 'http://shop.test/rel' }]);
    expect(second.newLinks).toBeUndefined();
    expect(second.looseLinks).toEqual([{ key: '', href: 'http://shop.test/rel' }]);
    expect(second.links?.pages.slice(0, 3)).toEqual(first.links?.pages.slice(0, 3));
  });

  it('reads code for what it loads only when asked to follow it', () => {
    const code = 'import("/chunk.js");var k="pk_x";';
    const analyzer = new ResourceAnalyzer();
    const request = { kind: 'code', contentType: 'text/javascript', url: 'http://shop.test/a.js' } as const;
    const followed = analyzer.analyze({ ...request, body: encode(code), follow: true });
    const notFollowed = analyzer.analyze({ ...request, body: encode(code), follow: false });
    expect(followed.refs?.map((ref) => ref.url)).toEqual(['http://shop.test/chunk.js']);
    expect(notFollowed.refs).toBeUndefined();
  });
});

describe('pages read as bytes', () => {
  // Everything the scan looks for, written every way it reads, among characters outside ASCII.
  const hex = (n: number, seed: number) => fingerprintKey(String(seed)).slice(0, n);
  const pieces = (seed: number) => [
    `pk_${hex(34, seed)}`,
    `pk\\u005f${hex(34, seed + 1)}`,
    `&#112;k_${hex(34, seed + 2)}`,
    `%70k%5f${hex(34, seed + 3)}`,
    `pk_<span>${hex(10, seed + 4)}</span>${hex(24, seed + 5)}`,
    `pk_<b>é${hex(33, seed + 6)}</b>`,
    Buffer.from(`{"token":"AbC123","key":"pk_${hex(34, seed + 7)}"}`).toString('base64'),
    `company_id: "XyZ789"`,
    `<script src="/onsite/js/QwE456/klaviyo.js"></script>`,
    `<script>_learnq.push(['account', 'RtY012']);var u="/café-${seed}.js";</script>`,
    `<a href="/collections/été-${seed}">été</a>`,
    `<a href="/p?q=${seed}&amp;x=ü">x</a>`,
    `<img alt="★★★☆" src="/i.png">`,
    `<link rel="alternate" hreflang="fr" href="/fr/ç">`,
    '<script type="importmap">{"imports":{"m":"/mödule.js"}}</script>',
    '★',
    '–',
    '€',
    '😀',
    'é',
    '\n',
    ' ',
    'p',
    'k',
    '<',
    '>',
    '"',
  ];

  it('gives what the decoded text gives, whatever the page mixes', () => {
    for (let seed = 0; seed < 400; seed++) {
      // Half the pages carry no key, so their links are read from the bytes themselves.
      const parts = seed % 2 === 0 ? pieces(seed) : pieces(seed).slice(7);
      let page = '<!doctype html><html><body>';
      for (let i = 0; i < 40; i++) page += parts[(seed * 31 + i * 17 + ((i * i) % 7)) % parts.length];
      page += '</body></html>';
      const url = 'http://shop.test/page';
      const analysis = new LinkTable().read(
        new ResourceAnalyzer().analyze({ kind: 'page', body: encode(page), contentType: 'text/html', url }),
      );
      const direct = scanText(page, { html: true });
      const links = extractFromHtml(page, new URL(url));
      expect(analysis.privateKeys).toEqual(
        direct.privateKeys.map((hit) => ({ ...hit, location: locateInHtml(page, hit.offset) })),
      );
      expect(analysis.publicKeys).toEqual(direct.publicKeys.map(({ key, via }) => ({ key, via })));
      expect(analysis.links?.pages.map((link) => link.href)).toEqual(links.pages.map((link) => link.href));
      expect(analysis.links?.scripts.map((ref) => ref.url)).toEqual(links.scripts.map((ref) => ref.url.href));
      expect(analysis.links?.alternates).toEqual(links.alternates.map((link) => link.href));
    }
  });

  it('reads a page with a no-break space or a BOM as text, where a pattern would see them differently', () => {
    const key = fakeLegacyKey(64);
    for (const page of [`<p>company_id:\u00a0"AbC123"</p><p>${key}</p>`, `\ufeff<a href="/x">x</a>`]) {
      const analysis = new ResourceAnalyzer().analyze({
        kind: 'page',
        body: encode(page),
        contentType: 'text/html',
        url: 'http://shop.test/',
      });
      const direct = scanText(page.replace(/^\ufeff/, ''), { html: true });
      expect(analysis.publicKeys).toEqual(direct.publicKeys.map(({ key, via }) => ({ key, via })));
      expect(analysis.privateKeys.map((hit) => hit.column)).toEqual(
        direct.privateKeys.map((hit) => hit.column),
      );
    }
  });
});

// The built worker threads (npm test builds before the tests run), as the command line uses them.
const BUILT_POOL = new URL('../../dist/scan/analysis-pool.js', import.meta.url).href;
const BUILDS = fileURLToPath(new URL('../fixtures/builds/out/', import.meta.url));

function fixtureRequests(): AnalysisRequest[] {
  const requests: AnalysisRequest[] = [];
  const walk = (dir: string, path: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = join(dir, entry.name);
      if (entry.isDirectory()) walk(file, `${path}/${entry.name}`);
      else {
        const extension = extname(entry.name);
        const isPage = extension === '.html';
        requests.push({
          kind: isPage ? 'page' : 'code',
          body: new Uint8Array(readFileSync(file)),
          contentType: isPage ? 'text/html' : extension === '.css' ? 'text/css' : 'text/javascript',
          url: `http://shop.test${path}/${entry.name}`,
          ...(extension === '.css' ? { scriptKind: 'stylesheet' as const } : {}),
          follow: true,
          findNamers: true,
        });
      }
    }
  };
  walk(BUILDS, '');
  return requests;
}

describe('the pool of analysis threads', () => {
  const pools: Analyzer[] = [];
  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.close()));
  });

  it('gives the same analyses as the calling thread, and takes the bodies over without a copy', async () => {
    const { createAnalyzer } = (await import(BUILT_POOL)) as typeof import('../../src/scan/analysis-pool.js');
    const pool = createAnalyzer(2);
    pools.push(pool);
    expect(pool.threads).toBe(2);
    const inline = inlineAnalyzer();
    const requests = fixtureRequests();
    expect(requests.length).toBeGreaterThan(20);
    const copies = requests.map((request) => ({ ...request, body: request.body.slice() }));
    const fromThreads = await Promise.all(requests.map((request) => pool.analyze(request)));
    const fromHere: unknown[] = [];
    for (const request of copies) fromHere.push(await inline.analyze(request));
    expect(fromThreads).toEqual(fromHere);
    // Handed over: the sender's buffers are detached.
    expect(requests.every((request) => request.body.byteLength === 0)).toBe(true);
  });

  const BUILT_WORKER = new URL('../../dist/scan/analysis-worker.js', import.meta.url);
  const page = (): AnalysisRequest => ({
    kind: 'page',
    body: new TextEncoder().encode(
      `<a href="/next">next</a><script>var k = "${fakeLegacyKey(63)}";</script>`,
    ),
    contentType: 'text/html',
    url: 'http://shop.test/',
  });

  /** The young generation the launcher gives its analysis thread, as bin/klaviyo-checkup.js writes it. */
  function launcherYoungGeneration(): number {
    const launcher = readFileSync(new URL('../../bin/klaviyo-checkup.js', import.meta.url), 'utf8');
    const written = /new Worker\(file, \{ resourceLimits: \{ maxYoungGenerationSizeMb: (\d+) \} \}\)/.exec(
      launcher,
    );
    if (written === null)
      throw new Error('the launcher starts its analysis thread in a way this test does not know');
    return Number(written[1]);
  }

  /**
   * A pool made after a thread was started the way the launcher starts one (stopped first, if asked;
   * with another young generation than the launcher's, if given).
   */
  async function poolAfterLauncher(stopFirst: boolean, youngGenerationMb = launcherYoungGeneration()) {
    const built = (await import(BUILT_POOL)) as typeof import('../../src/scan/analysis-pool.js');
    const { Worker } = await import('node:worker_threads');
    const started = new Worker(BUILT_WORKER, {
      resourceLimits: { maxYoungGenerationSizeMb: youngGenerationMb },
    });
    if (stopFirst) await started.terminate();
    built.adoptAnalysisThread(started);
    const pool = built.createAnalyzer(1);
    pools.push(pool);
    return { pool, started };
  }

  it('takes the thread the launcher started as its first, and goes on without it when it stops', async () => {
    const { pool, started } = await poolAfterLauncher(false);
    const expected = await inlineAnalyzer().analyze(page());
    expect(await pool.analyze(page())).toEqual(expected);
    // The pool's one thread is the launcher's: when it stops, the pool has none and analyses inline.
    const stopped = new Promise((resolve) => started.once('exit', resolve));
    await started.terminate();
    await stopped;
    expect(pool.threads).toBe(0);
    expect(await pool.analyze(page())).toEqual(expected);
  });

  it('gives its threads the young generation the launcher gives its own', async () => {
    const built = (await import(BUILT_POOL)) as typeof import('../../src/scan/analysis-pool.js');
    const worker = built.startAnalysisWorker();
    try {
      await once(worker, 'online');
      expect(worker.resourceLimits?.maxYoungGenerationSizeMb).toBe(launcherYoungGeneration());
    } finally {
      await worker.terminate();
    }
  });

  it('stops a thread started with other limits and starts its own', async () => {
    const built = (await import(BUILT_POOL)) as typeof import('../../src/scan/analysis-pool.js');
    const other = built.ANALYSIS_YOUNG_GENERATION_MB * 2;
    const { pool, started } = await poolAfterLauncher(false, other);
    const stopped = new Promise((resolve) => started.once('exit', resolve));
    expect(await pool.analyze(page())).toEqual(await inlineAnalyzer().analyze(page()));
    await stopped;
    // The pool's own thread does the work.
    expect(pool.threads).toBe(1);
    expect(await pool.analyze(page())).toEqual(await inlineAnalyzer().analyze(page()));
  });

  it('starts its own thread when the one the launcher started has already stopped', async () => {
    const { pool } = await poolAfterLauncher(true);
    expect(pool.threads).toBe(1);
    expect(await pool.analyze(page())).toEqual(await inlineAnalyzer().analyze(page()));
  });
});

describe('a crawl whose responses arrive out of order', () => {
  const sites: TestSite[] = [];
  afterAll(async () => {
    await Promise.all(sites.map((site) => site.close()));
  });
  const key = fakeAccountKey('AbC123', 62);

  /** Two pages that both load the same script, and a clock of which response is sent when. */
  async function storefront(holdFirstPage: boolean): Promise<TestSite> {
    let secondAnswered: () => void = () => {};
    const second = new Promise<void>((resolve) => {
      secondAnswered = resolve;
    });
    const site = await startSite({
      '/': { body: '<a href="/first">first</a><a href="/second">second</a>' },
      '/first': (_req, res) => {
        const answer = () =>
          res.writeHead(200, { 'content-type': 'text/html' }).end('<script src="/shared.js"></script>');
        // The first page answers only after the second one has: it finishes last.
        if (holdFirstPage) void second.then(answer);
        else answer();
      },
      '/second': (_req, res) => {
        res.once('finish', () => secondAnswered());
        res
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<script src="/shared.js"></script><a href="/third">3</a>');
      },
      '/third': { body: `<p>${fakeLegacyKey(63)}</p>` },
      '/shared.js': { type: 'text/javascript', body: `var k="${key}";` },
    });
    sites.push(site);
    return site;
  }

  it('reports the same chains, pages and order whichever response came first', async () => {
    const reports: string[] = [];
    for (const hold of [false, true]) {
      const site = await storefront(hold);
      const result = await scanSite(site.url('/'), {
        allowPrivateNetworks: true,
        useSitemaps: false,
        retries: 0,
        concurrency: 4,
      });
      const shared = result.findings.find((finding) => finding.masked.endsWith(key.slice(-4)));
      // The script is reached from the page the crawl started first, not from the one that answered first.
      expect(shared?.occurrences[0]?.page).toBe(site.url('/first'));
      expect(shared?.occurrences[0]?.via?.map((hop) => hop.url)).toEqual([
        site.url('/'),
        site.url('/first'),
        site.url('/shared.js'),
      ]);
      reports.push(JSON.stringify(result.findings).split(site.origin).join('ORIGIN'));
    }
    expect(reports[1]).toBe(reports[0]);
  });
});
