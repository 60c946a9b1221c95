import { afterEach, describe, expect, it } from 'vitest';
import { type ScanResult, scanSite } from '../../src/scan/crawler.js';
import { ScanError } from '../../src/scan/errors.js';
import { fingerprintKey } from '../../src/scan/redact.js';
import { fakeAccountKey, fakeLegacyKey, startSite, type TestSite } from '../fixtures/site-server.js';

const sites: TestSite[] = [];
async function site(...args: Parameters<typeof startSite>): Promise<TestSite> {
  const started = await startSite(...args);
  sites.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(sites.splice(0).map((s) => s.close()));
});

const allow = { allowPrivateNetworks: true, retries: 0, requestTimeoutMs: 2_000 } as const;

function finding(result: ScanResult, key: string) {
  return result.findings.find((f) => f.fingerprint === fingerprintKey(key));
}

describe('scanSite on a storefront', () => {
  const inlineKey = fakeLegacyKey(1);
  const scriptKey = fakeLegacyKey(2);
  const sitemapKey = fakeLegacyKey(3);
  const redirectKey = fakeLegacyKey(4);
  const gzipKey = fakeLegacyKey(5);
  const gtmKey = fakeAccountKey('AbC123', 6);
  const moduleKey = fakeLegacyKey(7);
  const offSiteKey = fakeLegacyKey(8);

  it('finds keys in pages, scripts on another origin, sitemap-only pages, redirects, gzip, tag managers and module chunks, and never crawls another host', async () => {
    const cdn = await site(
      {
        '/app.js': {
          type: 'application/javascript',
          body: `fetch(u,{headers:{Authorization:"Klaviyo-API-Key ${scriptKey}"}})`,
        },
        '/gtm.js': {
          type: 'application/javascript',
          body: `var data={"resource":{"tags":[{"function":"__html","vtp_html":"\\u003cscript src=\\"https://static.example/onsite/js/klaviyo.js?company_id=${gtmKey}\\"\\u003e\\u003c/script\\u003e"}]}};`,
        },
        '/off-site-page': { body: `<p>${offSiteKey}</p>` },
      },
      '127.0.0.2',
    );
    const shop = await site({
      '/': {
        body: `<!doctype html><html><head>
          <script src="${cdn.url('/app.js')}"></script>
          <script>(function(w,d,s,l,i){var j=d.createElement(s);j.src='${cdn.origin}/gtm.js?id='+i;d.head.appendChild(j);})(window,document,'script','dataLayer','GTM-ABC123');</script>
          <script async src="/klaviyo.js?company_id=AbC123"></script>
          <script>var _learnq = _learnq || []; _learnq.push(['account', 'AbC123']);</script>
          <script type="module" src="/assets/main.js"></script>
          </head><body>
          <a href="/about">About</a> <a href="/old">Old</a> <a href="/zipped">Zipped</a>
          <a href="${cdn.url('/off-site-page')}">Partner</a>
          <a href="/logo.png">logo</a>
          <script>klaviyo.init({ company_id: "${inlineKey}" });</script>
          </body></html>`,
      },
      '/about': { body: '<h1>About us</h1><a href="/">home</a>' },
      '/old': { status: 301, headers: { location: '/new' } },
      '/new': { body: `<div data-klaviyo-token="${redirectKey}"></div>` },
      '/zipped': { body: `<!-- ${gzipKey} -->`, encoding: 'gzip' },
      '/only-in-sitemap': { body: `<script>var token = "${sitemapKey}";</script>` },
      '/sitemap.xml': {
        type: 'application/xml',
        body: '<?xml version="1.0"?><sitemapindex><sitemap><loc>/sitemap-pages.xml</loc></sitemap></sitemapindex>',
      },
      '/sitemap-pages.xml': {
        type: 'application/xml',
        body: '<urlset><url><loc>/only-in-sitemap</loc></url></urlset>',
      },
      '/klaviyo.js': { type: 'application/javascript', body: '/* onsite */' },
      '/assets/main.js': { type: 'application/javascript', body: 'import{a}from"./chunk-1.js";a();' },
      '/assets/chunk-1.js': {
        type: 'application/javascript',
        body: `export const a=()=>({NEXT_PUBLIC_KLAVIYO_API_KEY:"${moduleKey}"});`,
      },
    });

    const result = await scanSite(shop.url('/'), allow);

    expect(finding(result, inlineKey)?.occurrences[0]).toMatchObject({
      url: shop.url('/'),
      context: 'company_id',
      resource: 'page',
      location: 'inline-script',
    });
    expect(finding(result, scriptKey)?.occurrences[0]).toMatchObject({
      url: cdn.url('/app.js'),
      page: shop.url('/'),
      context: 'authorization',
      resource: 'script',
    });
    expect(finding(result, gtmKey)?.occurrences[0]).toMatchObject({
      resource: 'tag-manager',
      context: 'company_id',
    });
    expect(finding(result, redirectKey)?.occurrences[0]?.url).toBe(shop.url('/new'));
    expect(finding(result, gzipKey)?.occurrences[0]?.location).toBe('comment');
    expect(finding(result, sitemapKey)?.occurrences[0]).toMatchObject({
      url: shop.url('/only-in-sitemap'),
      context: 'token',
    });
    expect(finding(result, moduleKey)?.occurrences[0]).toMatchObject({
      url: shop.url('/assets/chunk-1.js'),
      context: 'environment',
    });
    expect(finding(result, offSiteKey)).toBeUndefined();
    expect(result.findings).toHaveLength(7);

    expect(cdn.requests).not.toContain('/off-site-page');
    expect(shop.requests).not.toContain('/logo.png');
    expect(result.publicKeys.map((use) => use.key)).toEqual(['AbC123']);
    expect(result.warnings.map((w) => w.code)).toContain('key_belongs_to_site');
    expect(result.complete).toBe(true);
    expect(result.pagesScanned).toBe(5);
    expect(new Set(shop.userAgents)).toEqual(new Set([expect.stringMatching(/^klaviyo-checkup\//)]));
    // Full keys stay out of the serialisable result.
    expect(JSON.stringify(result)).not.toContain(inlineKey);
  });
});

describe('less obvious places', () => {
  it('finds keys in response headers, source maps, scripts and JSON that code loads by path', async () => {
    const headerKey = fakeLegacyKey(60);
    const mapKey = fakeLegacyKey(61);
    const workerKey = fakeLegacyKey(62);
    const jsonKey = fakeLegacyKey(63);
    const shop = await site({
      '/': {
        headers: { 'x-klaviyo-key': headerKey },
        body: '<script src="/assets/app.js"></script>',
      },
      '/assets/app.js': {
        type: 'application/javascript',
        body: 'new Worker("/assets/worker.js");fetch("/config/site.json");\n//# sourceMappingURL=app.js.map',
      },
      '/assets/app.js.map': {
        type: 'application/json',
        body: JSON.stringify({
          version: 3,
          sourcesContent: [`export const env = { VITE_KLAVIYO_API_KEY: "${mapKey}" };`],
        }),
      },
      '/assets/worker.js': { type: 'application/javascript', body: `self.k="${workerKey}"` },
      '/config/site.json': {
        type: 'application/json',
        body: JSON.stringify({ klaviyo: { api_key: jsonKey } }),
      },
    });
    const result = await scanSite(shop.url('/'), { ...allow, useSitemaps: false });
    expect(finding(result, headerKey)?.occurrences[0]).toMatchObject({
      url: shop.url('/'),
      location: 'response-header',
    });
    expect(finding(result, mapKey)?.occurrences[0]).toMatchObject({
      url: shop.url('/assets/app.js.map'),
      context: 'environment',
    });
    expect(finding(result, workerKey)?.occurrences[0]?.url).toBe(shop.url('/assets/worker.js'));
    expect(finding(result, jsonKey)?.occurrences[0]).toMatchObject({
      url: shop.url('/config/site.json'),
      context: 'api_key',
    });
  });
});

describe('seeds', () => {
  it('fetches the pages and scripts it is given even when nothing links to them, and never another site', async () => {
    const pageKey = fakeLegacyKey(70);
    const scriptKey = fakeLegacyKey(71);
    const cdn = await site(
      { '/old.js': { type: 'application/javascript', body: `var k="${scriptKey}"` } },
      '127.0.0.2',
    );
    const other = await site({ '/x': { body: `<p>${fakeLegacyKey(72)}</p>` } }, '127.0.0.3');
    const shop = await site({ '/': { body: '<p>home</p>' }, '/orphan': { body: `<p>${pageKey}</p>` } });
    const result = await scanSite(shop.url('/'), {
      ...allow,
      useSitemaps: false,
      seeds: {
        pages: [shop.url('/orphan'), other.url('/x')],
        scripts: [{ url: cdn.url('/old.js'), page: shop.url('/orphan') }],
      },
    });
    expect(finding(result, pageKey)?.occurrences[0]?.url).toBe(shop.url('/orphan'));
    expect(finding(result, scriptKey)?.occurrences[0]).toMatchObject({
      url: cdn.url('/old.js'),
      page: shop.url('/orphan'),
    });
    expect(other.requests).toEqual([]);
    // A place that is not on the site any more is reported, so it can never count as clean.
    expect(result.errors).toContainEqual({
      url: other.url('/x'),
      error: 'not on the site any more (not fetched)',
    });
  });
});

describe('limits', () => {
  it('ends a link trap at the page limit and says the scan is incomplete', async () => {
    const trap = await site({
      '/calendar': (_req, res, url) => {
        const month = Number(url.searchParams.get('month') ?? 0);
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(
          `<a href="/calendar?month=${month + 1}">next</a><a href="/calendar?month=${month + 2}">skip</a>`,
        );
      },
    });
    const result = await scanSite(trap.url('/calendar'), { ...allow, maxPages: 25, maxDepth: 1000 });
    expect(result.pagesScanned).toBe(25);
    expect(trap.requests.filter((path) => path.startsWith('/calendar'))).toHaveLength(25);
    expect(result.complete).toBe(false);
    expect(result.stoppedBy).toBe('max-pages');
    expect(result.warnings.map((w) => w.code)).toContain('incomplete');
  });

  it('stops reading an endless response at the byte limit but still scans what it read', async () => {
    const key = fakeLegacyKey(20);
    let closed = false;
    const big = await site({
      '/huge': (req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.write(`<p>${key}</p>`);
        const chunk = Buffer.alloc(64 * 1024, 'a');
        const pump = () => {
          while (!closed && res.write(chunk)) {}
          if (!closed) res.once('drain', pump);
        };
        req.socket.on('close', () => {
          closed = true;
        });
        pump();
      },
    });
    const result = await scanSite(big.url('/huge'), {
      ...allow,
      maxBytesPerResponse: 1024 * 1024,
      useSitemaps: false,
    });
    expect(finding(result, key)).toBeDefined();
    expect(result.truncated).toEqual([{ url: big.url('/huge'), bytesRead: 1024 * 1024 }]);
    expect(result.warnings.map((w) => w.code)).toContain('truncated');
  });

  it('gives up on a slow page after the request timeout and scans the rest', async () => {
    const key = fakeLegacyKey(21);
    const slow = await site({
      '/': { body: `<a href="/slow">slow</a><a href="/fast">fast</a>` },
      '/slow': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.write('<p>starting…');
      },
      '/fast': { body: `<p>${key}</p>` },
    });
    const result = await scanSite(slow.url('/'), { ...allow, requestTimeoutMs: 500, useSitemaps: false });
    expect(finding(result, key)).toBeDefined();
    expect(result.errors).toEqual([{ url: slow.url('/slow'), error: 'timed out' }]);
  });

  it('stops at the time budget and reports what it scanned', async () => {
    const stall = await site({
      '/': { body: '<a href="/stall">stall</a>' },
      '/stall': () => {},
    });
    const result = await scanSite(stall.url('/'), {
      ...allow,
      requestTimeoutMs: 60_000,
      timeBudgetMs: 1_000,
      useSitemaps: false,
    });
    expect(result.complete).toBe(false);
    expect(result.stoppedBy).toBe('time-budget');
    expect(result.pagesScanned).toBe(1);
    expect(result.durationMs).toBeLessThan(5_000);
  });

  it('retries a 429 after the Retry-After the server asked for', async () => {
    const key = fakeLegacyKey(22);
    let calls = 0;
    const busy = await site({
      '/': (_req, res) => {
        calls++;
        if (calls === 1) res.writeHead(429, { 'retry-after': '1' }).end();
        else res.writeHead(200, { 'content-type': 'text/html' }).end(`<p>${key}</p>`);
      },
    });
    const started = Date.now();
    const result = await scanSite(busy.url('/'), { ...allow, retries: 2, useSitemaps: false });
    expect(finding(result, key)).toBeDefined();
    expect(calls).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  });

  it.each([
    ['brotli', 'br'],
    ['zlib deflate', 'deflate'],
    ['raw deflate', 'deflate-raw'],
  ] as const)('decodes %s bodies', async (_name, encoding) => {
    const key = fakeLegacyKey(23);
    const packed = await site({ '/': { body: `<script>var api_key="${key}"</script>`, encoding } });
    const result = await scanSite(packed.url('/'), { ...allow, useSitemaps: false });
    expect(finding(result, key)?.occurrences[0]?.context).toBe('api_key');
  });

  it('decodes a page in its declared charset', async () => {
    const key = fakeLegacyKey(24);
    const latin1 = Buffer.from(`<meta charset="windows-1252"><p>Caf\u00e9 ${key}</p>`, 'latin1');
    const shop = await site({ '/': { type: 'text/html', body: latin1 } });
    const result = await scanSite(shop.url('/'), { ...allow, useSitemaps: false });
    expect(finding(result, key)?.occurrences[0]?.snippet).toContain('Café');
  });

  it('scans error pages too: a storefront 404 page carries its layout', async () => {
    const key = fakeLegacyKey(27);
    const shop = await site({
      '/': { body: '<a href="/gone">gone</a>' },
      '/gone': {
        status: 404,
        body: `<html><script>klaviyo.init({ company_id: "${key}" })</script>Not found</html>`,
      },
    });
    const result = await scanSite(shop.url('/'), { ...allow, useSitemaps: false });
    expect(finding(result, key)?.occurrences[0]).toMatchObject({
      url: shop.url('/gone'),
      context: 'company_id',
    });
    expect(result.errors).toEqual([{ url: shop.url('/gone'), error: 'HTTP 404' }]);
  });

  it('reads a script served as application/octet-stream when it is text', async () => {
    const key = fakeLegacyKey(26);
    const shop = await site({
      '/': { body: '<script src="/app.js"></script>' },
      '/app.js': { type: 'application/octet-stream', body: `var token="${key}";` },
    });
    const result = await scanSite(shop.url('/'), { ...allow, useSitemaps: false });
    expect(finding(result, key)?.occurrences[0]?.url).toBe(shop.url('/app.js'));
  });

  it('skips binary content served as a page', async () => {
    const binary = await site({
      '/': { type: 'text/html', body: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]) },
    });
    const result = await scanSite(binary.url('/'), { ...allow, useSitemaps: false });
    expect(result.pagesScanned).toBe(1);
    expect(result.findings).toEqual([]);
  });

  it('does not follow a page redirect that leaves the site', async () => {
    const other = await site({ '/landing': { body: `<p>${fakeLegacyKey(25)}</p>` } }, '127.0.0.2');
    const shop = await site({
      '/': { body: '<a href="/go">partner</a>' },
      '/go': { status: 302, headers: { location: other.url('/landing') } },
    });
    const result = await scanSite(shop.url('/'), { ...allow, useSitemaps: false });
    expect(other.requests).toEqual([]);
    expect(result.skipped).toEqual([
      { url: shop.url('/go'), error: `redirects off the site to ${other.origin}` },
    ]);
  });

  it('gives up after five redirect hops', async () => {
    const loop = await site({
      '/': (_req, res, url) => {
        res.writeHead(302, { location: `/?n=${Number(url.searchParams.get('n') ?? 0) + 1}` }).end();
      },
    });
    await expect(scanSite(loop.url('/'), { ...allow, useSitemaps: false })).rejects.toMatchObject({
      code: 'UNREACHABLE',
      message: expect.stringContaining('more than 5 redirects'),
    });
    expect(loop.requests).toHaveLength(6);
  });
});

describe('hostile input costs bounded work', () => {
  const js = (body: string) => ({ type: 'application/javascript', body });
  const bounded = { ...allow, useSitemaps: false, maxScripts: 20, maxPages: 10 } as const;
  /** Requests other than the start page: what the scan asked the site for. */
  const fetched = (shop: TestSite) => shop.requests.filter((path) => path !== '/');

  it('a webpack chunk map of 100,000 entries, and 20,000 chunk loads', async () => {
    const ids = Array.from({ length: 100_000 }, (_, i) => i);
    const map = `{${ids.map((id) => `${id}:"${id.toString(16)}"`).join(',')}}`;
    const within = `{${ids
      .slice(0, 8_000)
      .map((id) => `${id}:"${id.toString(16)}"`)
      .join(',')}}`;
    const loads = ids
      .slice(0, 20_000)
      .map((id) => `n.e(${id}).then(n.bind(n,${id}))`)
      .join(';');
    const shop = await site({
      '/': { body: '<script src="/a/runtime.js"></script><script src="/b/runtime.js"></script>' },
      '/a/runtime.js': js(`n.p="/a/";n.u=e=>"c/"+e+"."+${map}[e]+".js";${loads}`),
      '/b/runtime.js': js(`n.p="/b/";n.u=e=>"c/"+e+"."+${within}[e]+".js";${loads}`),
    });
    const result = await scanSite(shop.url('/'), bounded);
    expect(fetched(shop).length).toBeLessThanOrEqual(bounded.maxScripts);
    expect(result.stoppedBy).toBe('max-scripts');
    expect(result.skipped.length).toBeLessThanOrEqual(100);
  });

  it('an import map of 100,000 modules', async () => {
    const imports = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`m${i}`, `/m/${i}.js`]));
    const shop = await site({
      '/': { body: `<script type="importmap">${JSON.stringify({ imports })}</script>` },
    });
    const result = await scanSite(shop.url('/'), bounded);
    expect(fetched(shop).length).toBe(bounded.maxScripts);
    expect(result.stoppedBy).toBe('max-scripts');
  });

  it('stylesheets that @import each other, and an endless chain of new ones', async () => {
    const shop = await site({
      '/': { body: '<link rel="stylesheet" href="/a.css"><link rel="stylesheet" href="/chain.css?n=0">' },
      '/a.css': { type: 'text/css', body: '@import "/b.css"; a{}' },
      '/b.css': { type: 'text/css', body: '@import url("/a.css"); b{}' },
      '/chain.css': (_req, res, url) => {
        res.writeHead(200, { 'content-type': 'text/css' });
        res.end(`@import "/chain.css?n=${Number(url.searchParams.get('n')) + 1}";`);
      },
    });
    const result = await scanSite(shop.url('/'), { ...allow, useSitemaps: false });
    expect(shop.requests.filter((path) => path === '/a.css' || path === '/b.css').sort()).toEqual([
      '/a.css',
      '/b.css',
    ]);
    expect(shop.requests.filter((path) => path.startsWith('/chain.css')).length).toBeLessThan(100);
    expect(result.errors).toEqual([]);
  });

  it('a Link header of hundreds of preloads', async () => {
    const link = Array.from({ length: 400 }, (_, i) => `</p/${i}.js>; rel=preload; as=script`).join(', ');
    const shop = await site({ '/': { headers: { link }, body: '<p>home</p>' } });
    const result = await scanSite(shop.url('/'), bounded);
    expect(fetched(shop).length).toBe(bounded.maxScripts);
    expect(result.stoppedBy).toBe('max-scripts');
  });

  it('10 MB of minified code made of chunk loads', async () => {
    let code = 'n.p="/w/";n.u=e=>"c/"+e+".js";';
    for (let i = 0; code.length < 10 * 1024 * 1024; i++) code += `n.e(${i}).then(n.bind(n,${i}));`;
    const shop = await site({ '/': { body: '<script src="/w/big.js"></script>' }, '/w/big.js': js(code) });
    const result = await scanSite(shop.url('/'), {
      ...bounded,
      maxBytesPerResponse: 11 * 1024 * 1024,
      requestTimeoutMs: 30_000,
    });
    expect(fetched(shop).length).toBe(bounded.maxScripts);
    expect(result.stoppedBy).toBe('max-scripts');
  });

  it('a Nuxt app manifest of 100,000 routes and a Parcel manifest of 100,000 bundles', async () => {
    const routes = Array.from({ length: 100_000 }, (_, i) => `/r/${i}`);
    const bundles = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`b${i}`, `b/${i}.js`]));
    const shop = await site({
      '/': {
        body: `<script>window.__NUXT__={};window.__NUXT__.config={public:{},app:{baseURL:"/",buildId:"b1",buildAssetsDir:"/_nuxt/",cdnURL:""}}</script>
          <script src="/parcel.js"></script>`,
      },
      '/_nuxt/builds/meta/b1.json': {
        type: 'application/json',
        body: JSON.stringify({ id: 'b1', prerendered: routes }),
      },
      '/parcel.js': js(
        `var r="./";function e(e){return import(r+e)}Object.assign(c.i??={},${JSON.stringify(bundles)});`,
      ),
    });
    const result = await scanSite(shop.url('/'), bounded);
    expect(shop.requests.filter((path) => path.startsWith('/r/')).length).toBe(bounded.maxPages - 1);
    expect(shop.requests.filter((path) => path.startsWith('/b/')).length).toBeLessThanOrEqual(
      bounded.maxScripts,
    );
    expect(result.stoppedBy).toBe('max-pages');
  });
});

describe('refusing dangerous targets', () => {
  it.each([
    ['a loopback address', (origin: string) => origin],
    ['localhost by name', (origin: string) => origin.replace('127.0.0.1', 'localhost')],
    ['a decimal loopback address', (origin: string) => origin.replace('127.0.0.1', '2130706433')],
    ['a short loopback address', (origin: string) => origin.replace('127.0.0.1', '127.1')],
  ])('refuses %s and sends no request', async (_name, spell) => {
    const shop = await site({ '/': { body: `<p>${fakeLegacyKey(30)}</p>` } });
    const error = await scanSite(spell(shop.origin), { retries: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScanError);
    expect(error).toMatchObject({ code: 'REFUSED_TARGET', message: expect.stringMatching(/loopback/) });
    expect(shop.requests).toEqual([]);
  });

  it.each([
    ['the cloud metadata address', 'http://169.254.169.254/latest/meta-data/'],
    ['0.0.0.0', 'http://0.0.0.0:{port}/'],
  ])('refuses a redirect to %s even when private networks are allowed', async (_name, target) => {
    const shop = await site({ '/': { body: '<a href="/x">x</a>' } });
    const port = new URL(shop.origin).port;
    const jump = await site({ '/': { status: 302, headers: { location: target.replace('{port}', port) } } });
    const error = await scanSite(jump.url('/'), { ...allow, useSitemaps: false }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'REFUSED_TARGET' });
    expect(shop.requests).toEqual([]);
  });

  it('applies the same address check to every kind of URL a page or its code names, on every hop', async () => {
    const meta = 'http://169.254.169.254';
    const js = (body: string) => ({ type: 'application/javascript', body });
    const shop = await site({
      '/': {
        headers: { link: `<${meta}/link.js>; rel=preload; as=script` },
        body: `<link rel="modulepreload" href="${meta}/preload.js">
          <script type="importmap">{"imports":{"m":"${meta}/importmap.js"}}</script>
          <script type="text/lazyload" data-src="${meta}/lazy.js"></script>
          <link rel="stylesheet" href="/s.css">
          <script src="/webpack.js"></script><script src="/vite.js"></script><script src="/parcel.js"></script>
          <script src="/moved.js"></script>`,
      },
      '/s.css': { type: 'text/css', body: `@import "${meta}/import.css";` },
      '/webpack.js': js(`n.p="${meta}/";n.u=e=>"chunk/"+e+".js";n.e(1).then(n.bind(n,1));`),
      '/vite.js': js(
        `const __vite__mapDeps=(i,m=__vite__mapDeps,d=(m.f||(m.f=["${meta}/vite.js"])))=>i.map(i=>d[i]);`,
      ),
      '/parcel.js': js(
        `var r="./";function e(e){return import(r+e)}Object.assign(c.i??={},{a:"${meta}/parcel.js"});`,
      ),
      '/moved.js': { status: 302, headers: { location: `${meta}/moved.js` } },
    });
    const result = await scanSite(shop.url('/'), { ...allow, useSitemaps: false });
    const refused = result.errors.filter(
      (entry) => entry.url.startsWith(meta) || entry.url === shop.url('/moved.js'),
    );
    expect(refused.map((entry) => entry.url).sort()).toEqual(
      [
        `${meta}/chunk/1.js`,
        `${meta}/import.css`,
        `${meta}/importmap.js`,
        `${meta}/lazy.js`,
        `${meta}/link.js`,
        `${meta}/parcel.js`,
        `${meta}/preload.js`,
        `${meta}/vite.js`,
        shop.url('/moved.js'),
      ].sort(),
    );
    for (const entry of refused) expect(entry.error).toMatch(/metadata|link-local/);
    // Every request the scan sent reached the site itself.
    expect(result.stats.requests).toBe(shop.requests.length);
  });

  it('refuses scripts on private addresses while the site itself is allowed', async () => {
    const shop = await site({ '/': { body: '<script src="http://169.254.169.254/x.js"></script>' } });
    const result = await scanSite(shop.url('/'), { ...allow, useSitemaps: false });
    expect(result.errors).toEqual([
      { url: 'http://169.254.169.254/x.js', error: expect.stringMatching(/metadata|link-local/) },
    ]);
  });
});

describe('every way a site names code', () => {
  it('reports a key in the headers of a redirect it does not follow, and of each hop it follows', async () => {
    const offSiteKey = fakeLegacyKey(80);
    const hopKey = fakeLegacyKey(81);
    const other = await site({ '/landing': { body: '<p>partner</p>' } }, '127.0.0.2');
    const shop = await site({
      '/': { body: '<a href="/go">partner</a><a href="/moved">moved</a>' },
      '/go': { status: 302, headers: { location: `${other.url('/landing')}?api_key=${offSiteKey}` } },
      '/moved': { status: 301, headers: { location: '/new', 'x-debug-klaviyo': hopKey } },
      '/new': { body: '<p>new</p>' },
    });
    const result = await scanSite(shop.url('/'), { ...allow, useSitemaps: false });
    expect(other.requests).toEqual([]);
    expect(finding(result, offSiteKey)?.occurrences[0]).toMatchObject({
      url: shop.url('/go'),
      location: 'response-header',
      context: 'api_key',
    });
    expect(finding(result, hopKey)?.occurrences[0]).toMatchObject({
      url: shop.url('/moved'),
      location: 'response-header',
    });
  });

  it('ends each chain with the file the key is in, after the redirects that led there', async () => {
    const pageKey = fakeLegacyKey(90);
    const childKey = fakeLegacyKey(91);
    const scriptKey = fakeLegacyKey(92);
    const shop = await site({
      '/': { body: '<a href="/old">old</a><script src="/app.js"></script>' },
      '/old': { status: 301, headers: { location: '/new', 'x-note': 'moved' } },
      '/new': { body: `<p>${pageKey}</p><a href="/child">child</a>` },
      '/child': { body: `<p>${childKey}</p>` },
      '/app.js': { status: 302, headers: { location: '/cdn/app.js' } },
      '/cdn/app.js': { type: 'application/javascript', body: `var k="${scriptKey}"` },
    });
    const result = await scanSite(shop.url('/'), { ...allow, useSitemaps: false });
    const chain = (key: string) => finding(result, key)?.occurrences[0]?.via;
    expect(chain(pageKey)).toEqual([
      { url: shop.url('/'), reason: 'start' },
      { url: shop.url('/old'), reason: 'link' },
      { url: shop.url('/new'), reason: 'redirect' },
    ]);
    expect(chain(childKey)?.slice(2)).toEqual([
      { url: shop.url('/new'), reason: 'redirect' },
      { url: shop.url('/child'), reason: 'link' },
    ]);
    expect(chain(scriptKey)).toEqual([
      { url: shop.url('/'), reason: 'start' },
      { url: shop.url('/app.js'), reason: 'script tag' },
      { url: shop.url('/cdn/app.js'), reason: 'redirect' },
    ]);
    for (const key of [pageKey, childKey, scriptKey]) {
      const occurrence = finding(result, key)?.occurrences[0];
      expect(occurrence?.via?.at(-1)?.url).toBe(occurrence?.url);
    }
  });

  it('follows Link response headers: preloads, stylesheets and hreflang alternates', async () => {
    const preloadKey = fakeLegacyKey(82);
    const cssKey = fakeLegacyKey(83);
    const alternateKey = fakeLegacyKey(84);
    const shop = await site({
      '/': {
        headers: {
          link: '</assets/app.js>; rel=preload; as=script, </assets/theme.css>; rel="preload"; as="style", </de/>; rel=alternate; hreflang=de',
        },
        body: '<p>home</p>',
      },
      '/assets/app.js': { type: 'application/javascript', body: `var k="${preloadKey}"` },
      '/assets/theme.css': { type: 'text/css', body: `a{background:url(/t.gif?k=${cssKey})}` },
      '/de/': { body: `<p>${alternateKey}</p>` },
    });
    const result = await scanSite(shop.url('/'), { ...allow, useSitemaps: false });
    expect(finding(result, preloadKey)?.occurrences[0]?.via).toEqual([
      { url: shop.url('/'), reason: 'start' },
      { url: shop.url('/assets/app.js'), reason: 'Link header preload as=script' },
    ]);
    expect(finding(result, cssKey)?.occurrences[0]).toMatchObject({ resource: 'stylesheet' });
    expect(finding(result, alternateKey)?.occurrences[0]?.url).toBe(shop.url('/de/'));
    expect(result.stylesheetsScanned).toBe(1);
  });

  it("follows a third-party loader to its own origin's scripts, but not on to other origins", async () => {
    const widgetKey = fakeLegacyKey(85);
    const elsewhere = await site({ '/tracker.js': { body: `var k="${fakeLegacyKey(86)}"` } }, '127.0.0.3');
    const cdn = await site(
      {
        // The loader names its own origin, as an app's CDN loader does.
        '/loader.js': (req, res) => {
          res.writeHead(200, { 'content-type': 'application/javascript' });
          res.end(`var s=document.createElement("script");s.src="http://${req.headers.host}/widget.js";`);
        },
        '/widget.js': {
          type: 'application/javascript',
          body: `window.w={key:"${widgetKey}"};load("${elsewhere.url('/tracker.js')}");`,
        },
      },
      '127.0.0.2',
    );
    const shop = await site({ '/': { body: `<script src="${cdn.url('/loader.js')}"></script>` } });
    const result = await scanSite(shop.url('/'), { ...allow, useSitemaps: false });
    expect(finding(result, widgetKey)?.occurrences[0]?.via?.map((hop) => hop.url)).toEqual([
      shop.url('/'),
      cdn.url('/loader.js'),
      cdn.url('/widget.js'),
    ]);
    expect(elsewhere.requests).toEqual([]);
  });
});

describe('no wasted requests', () => {
  it("reads a source map's original source but never requests its `sources` file names", async () => {
    const mapKey = fakeLegacyKey(87);
    const shop = await site({
      '/': { body: '<script src="/assets/app.js"></script>' },
      '/assets/app.js': { type: 'application/javascript', body: 'x();\n//# sourceMappingURL=app.js.map' },
      '/assets/app.js.map': {
        type: 'application/json',
        body: JSON.stringify({
          version: 3,
          sources: ['../../src/main.js', '/src/lazy.js', 'webpack:///./src/app.js'],
          sourcesContent: [`import "./lazy.js"; import("/src/other.js"); const k = "${mapKey}";`],
        }),
      },
    });
    const result = await scanSite(shop.url('/'), { ...allow, useSitemaps: false });
    expect(finding(result, mapKey)?.occurrences[0]?.url).toBe(shop.url('/assets/app.js.map'));
    expect(shop.requests).toEqual(['/', '/assets/app.js', '/assets/app.js.map']);
  });

  it("asks each webpack runtime only for its own app's chunk ids, when a page runs two", async () => {
    const storeKey = fakeLegacyKey(88);
    const widgetKey = fakeLegacyKey(89);
    const js = (body: string) => ({ type: 'application/javascript', body });
    const shop = await site({
      '/': { body: '<script src="/store/runtime.js"></script><script src="/reviews/widget.js"></script>' },
      // The store's build: its chunk names come from a hash map.
      '/store/runtime.js': js(
        '(self.webpackChunk_N_E=self.webpackChunk_N_E||[]);r.p="/store/";r.u=e=>"chunks/"+e+"."+{147:"9f3a"}[e]+".js";r.e(147).then(r.bind(r,147));',
      ),
      '/store/chunks/147.9f3a.js': js(
        `(self.webpackChunk_N_E=self.webpackChunk_N_E||[]).push([[147],{1:()=>"${storeKey}"}]);`,
      ),
      // A reviews widget's own build, whose chunks are named by id alone: any id gives it a URL.
      '/reviews/widget.js': js(
        '(self.webpackChunkreviews_widget=self.webpackChunkreviews_widget||[]);n.p="/reviews/";n.u=e=>"chunks/"+e+".js";n.e(9).then(n.bind(n,9));',
      ),
      '/reviews/chunks/9.js': js(
        `(self.webpackChunkreviews_widget=self.webpackChunkreviews_widget||[]).push([[9],{2:()=>"${widgetKey}"}]);`,
      ),
    });
    const result = await scanSite(shop.url('/'), { ...allow, useSitemaps: false });
    expect(finding(result, storeKey)?.occurrences[0]?.url).toBe(shop.url('/store/chunks/147.9f3a.js'));
    expect(finding(result, widgetKey)?.occurrences[0]?.url).toBe(shop.url('/reviews/chunks/9.js'));
    expect(shop.requests.filter((path) => path.includes('/chunks/')).sort()).toEqual([
      '/reviews/chunks/9.js',
      '/store/chunks/147.9f3a.js',
    ]);
    expect(result.errors).toEqual([]);
  });

  it('stops a chain of ever-new script URLs at the cycle guard', async () => {
    const shop = await site({
      '/': { body: '<script src="/chain.js?n=1"></script>' },
      '/chain.js': (_req, res, url) => {
        const n = Number(url.searchParams.get('n'));
        res.writeHead(200, { 'content-type': 'application/javascript' });
        res.end(`import("/chain.js?n=${n + 1}");`);
      },
    });
    const result = await scanSite(shop.url('/'), { ...allow, useSitemaps: false });
    const chain = shop.requests.filter((path) => path.startsWith('/chain.js'));
    // Deeper than any real app, and then no further.
    expect(chain.length).toBeGreaterThan(10);
    expect(chain.length).toBeLessThan(100);
    expect(result.errors).toEqual([]);
  });
});
