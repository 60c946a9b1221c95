import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScanResult, scanSite } from '../../src/scan/crawler.js';
import { fingerprintKey } from '../../src/scan/redact.js';
import type { TestSite } from '../fixtures/site-server.js';
import { serveDirectory } from '../fixtures/static-dir.js';

// Storefronts built by the real tools (test/fixtures/builds/build.sh), served as static files. Every
// key is a made-up 34-hex string planted where only that build's own way of loading code leads.
const OUT = fileURLToPath(new URL('../fixtures/builds/out/', import.meta.url));
const allow = { allowPrivateNetworks: true, retries: 0, requestTimeoutMs: 5_000 } as const;

interface Planted {
  key: string;
  /** What the scan must understand to reach it. */
  shape: string;
  /** The end of the URL of the file that holds it. */
  file: RegExp;
  /** A reason that must appear in the occurrence's chain. */
  reason: string;
}

interface Build {
  name: string;
  root: string;
  planted: Planted[];
}

const BUILDS: Build[] = [
  {
    name: 'Vite 8 (Rolldown) + React, four levels of lazy()',
    root: 'vite-react',
    planted: [
      {
        key: 'pk_e79e617795e27be97bc30a6de684d61375',
        shape: 'the fourth lazy chunk',
        file: /\/assets\/ReturnLabel-[\w-]+\.js$/,
        reason: 'import',
      },
      {
        key: 'pk_bb33b8ec34af7a5f7af8d4aa18a07b84d6',
        shape: "a lazy chunk's CSS, named only in __vite__mapDeps",
        file: /\/assets\/Returns-[\w-]+\.css$/,
        reason: 'Vite __vite__mapDeps',
      },
    ],
  },
  {
    name: 'Next.js 16 with Turbopack (app router, static export)',
    root: 'next-turbopack',
    planted: [
      {
        key: 'pk_04eaf38038b54008b29b3676cc73623f29',
        shape: 'a next/dynamic({ ssr: false }) component, loaded by e.l("static/chunks/…")',
        file: /\/_next\/static\/chunks\/[\w-]+\.js$/,
        reason: 'Turbopack chunk list',
      },
    ],
  },
  {
    name: 'Next.js 16 with webpack (pages router, static export)',
    root: 'next-webpack',
    planted: [
      {
        key: 'pk_1de64c495c588abaa6e1df041c6ccf532d',
        shape: 'a next/dynamic({ ssr: false }) component: a webpack async chunk',
        file: /\/_next\/static\/chunks\/\d+\.[0-9a-f]+\.js$/,
        reason: 'webpack chunk map',
      },
      {
        key: 'pk_f20a30bfda0aa8d99019dfafb45f06e05c',
        shape: 'a route reached only by router.push, named in _buildManifest.js',
        file: /\/_next\/static\/chunks\/pages\/wholesale-[0-9a-f]+\.js$/,
        reason: 'Next.js build manifest',
      },
    ],
  },
  {
    name: 'esbuild --splitting, five chunks deep',
    root: 'esbuild-splitting',
    planted: [
      {
        key: 'pk_35bdf4e6ecffda7bffbf3dbd3e4d1d7bd3',
        shape: 'the fifth chunk of an import() chain',
        file: /\/chunks\/label-\w+\.js$/,
        reason: 'import',
      },
    ],
  },
  {
    name: 'Rollup, five chunks deep',
    root: 'rollup-splitting',
    planted: [
      {
        key: 'pk_28f04c531e7c0a88d2db9e7f5bcc03bb38',
        shape: 'the fifth chunk of an import() chain',
        file: /\/chunks\/label-[\w-]+\.js$/,
        reason: 'import',
      },
    ],
  },
  {
    name: 'Nuxt 4 (nuxi generate, static)',
    root: 'nuxt-app',
    planted: [
      {
        key: 'pk_d44b8ba42b703d250723ccabf857786f8b',
        shape: 'a Lazy component, its own chunk, loaded only after a click',
        file: /\/_nuxt\/[\w-]+\.js$/,
        reason: 'prefetch as=script',
      },
      {
        key: 'pk_5dc06642d38d81a0fdc079eaebed7315ce',
        shape:
          'server data prerendered into the payload of a route no page links to, named in the app manifest',
        file: /\/wholesale\/_payload\.json\?[\w-]+$/,
        reason: 'Nuxt app manifest (prerendered route)',
      },
    ],
  },
  {
    name: 'Parcel 2, a classic script with lazy bundles',
    root: 'parcel-app',
    planted: [
      {
        key: 'pk_0937c779dc52b5ecf06239a594ae551c93',
        shape: "a lazy bundle named only in Parcel's bundle manifest",
        file: /\/rewards\.[0-9a-f]+\.js$/,
        reason: 'Parcel bundle manifest',
      },
      {
        key: 'pk_b54d44b02acd67b861cac1424cbec4c1ae',
        shape: 'a lazy bundle that a lazy bundle loads',
        file: /\/label\.[0-9a-f]+\.js$/,
        reason: 'Parcel bundle manifest',
      },
    ],
  },
];

function occurrenceOf(result: ScanResult, key: string) {
  return result.findings.find((finding) => finding.fingerprint === fingerprintKey(key))?.occurrences[0];
}

describe.each(BUILDS)('$name', (build) => {
  let site: TestSite;
  let result: ScanResult;
  beforeAll(async () => {
    site = await serveDirectory(`${OUT}${build.root}`);
    result = await scanSite(site.url('/'), allow);
  });
  afterAll(() => site.close());

  it.each(build.planted)('finds the key in $shape', (planted) => {
    const occurrence = occurrenceOf(result, planted.key);
    expect(occurrence?.url).toMatch(planted.file);
    expect(occurrence?.via?.map((hop) => hop.reason)).toContain(planted.reason);
    expect(occurrence?.via?.[0]?.url).toBe(site.url('/'));
  });

  it('reports nothing else, and asks for no file the build does not have', () => {
    expect(result.findings.map((finding) => finding.masked).sort()).toEqual(
      build.planted.map((planted) => `pk_…${planted.key.slice(-4)}`).sort(),
    );
    expect(result.errors).toEqual([]);
    expect(result.complete).toBe(true);
  });
});

describe('a Dawn-like Liquid theme rendered by LiquidJS, with speed apps and an app CDN', () => {
  const THEME: Planted[] = [
    {
      key: 'pk_dc8b23046eca49547f986cf9e0dfd9395d',
      shape: 'a delay-JS <script type="text/lazyload" data-src>',
      file: /\/assets\/reviews-widget\.js$/,
      reason: 'delay-JS loader (data-src)',
    },
    {
      key: 'pk_5907f7fb36b3e3f8b4cde70da85c5b0377',
      shape: 'a WP Rocket-style rocketlazyloadscript data-rocket-src',
      file: /\/assets\/wishlist\.js$/,
      reason: 'delay-JS loader (data-rocket-src)',
    },
    {
      key: 'pk_7a5988ac3a540549d061880550f530f9dd',
      shape: 'a data-lazy-src script',
      file: /\/assets\/size-chart\.js$/,
      reason: 'delay-JS loader (data-lazy-src)',
    },
    {
      key: 'pk_c03f137fb7e0de462aacb047a2b2f4e6e7',
      shape: 'a script that an inline Partytown script loads',
      file: /\/assets\/analytics-bridge\.js$/,
      reason: 'script URL in code',
    },
    {
      key: 'pk_0943b3c416a430b77fd0278a3298953b6f',
      shape: 'a module named only in an import map',
      file: /\/assets\/cart-drawer\.js$/,
      reason: 'import map',
    },
    {
      key: 'pk_364760064096d7bf0ee04269ca55ef0b22',
      shape: 'a page reached only by its hreflang alternate',
      file: /\/fr\/$/,
      reason: 'hreflang alternate',
    },
    {
      key: 'pk_28671ea9feb0de618d21968460cdb41051',
      shape: 'a url(…) in an external stylesheet',
      file: /\/assets\/base\.css$/,
      reason: 'stylesheet',
    },
    {
      key: 'pk_d63d443113b44c727abdfc766a2b852bd3',
      shape: 'a stylesheet pulled in by @import',
      file: /\/assets\/component-newsletter\.css$/,
      reason: '@import',
    },
    {
      key: 'pk_47b4cd0b566858af5e8e57fb36d936a6cd',
      shape: 'the web app manifest',
      file: /\/manifest\.webmanifest$/,
      reason: 'web app manifest',
    },
    {
      key: 'pk_17891fd69831c59d0e11029568f912f1b4',
      shape: 'a rel=alternate type=application/json file',
      file: /\/products\/classic-tee\.json$/,
      reason: 'alternate JSON',
    },
    {
      key: 'pk_c0e6e39b155c7de07041db826ec0d08ae1',
      shape: "a script that an app CDN's loader injects from its own origin",
      file: /\/loyalty\/widget-3f2a9c\.js$/,
      reason: 'script URL in code',
    },
    {
      key: 'pk_7d4c3702dd3124bbce7501b83e915448ea',
      shape: 'page text split by inline tags',
      file: /\/pages\/contact\/$/,
      reason: 'link',
    },
  ];
  let cdn: TestSite;
  let shop: TestSite;
  let result: ScanResult;
  beforeAll(async () => {
    cdn = await serveDirectory(`${OUT}liquid-theme/app-cdn`, {
      address: '127.0.0.2',
      replace: (origin) => ({ __APP_CDN__: origin }),
    });
    shop = await serveDirectory(`${OUT}liquid-theme/site`, { replace: { __APP_CDN__: cdn.origin } });
    result = await scanSite(shop.url('/'), allow);
  });
  afterAll(() => Promise.all([cdn.close(), shop.close()]));

  it.each(THEME)('finds the key in $shape', (planted) => {
    const occurrence = occurrenceOf(result, planted.key);
    expect(occurrence?.url).toMatch(planted.file);
    expect(occurrence?.via?.map((hop) => hop.reason)).toContain(planted.reason);
  });

  it('tells the key split by markup apart, and keeps placeholders and other vendors out of the findings', () => {
    expect(occurrenceOf(result, 'pk_7d4c3702dd3124bbce7501b83e915448ea')).toMatchObject({
      encoding: 'split-markup',
      location: 'text',
    });
    expect(result.findings).toHaveLength(THEME.length);
    expect(result.placeholders?.map((placeholder) => placeholder.masked)).toEqual(['pk_…rst4', 'pk_…xxxx']);
    expect(result.errors).toEqual([]);
  });
});
