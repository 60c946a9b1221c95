import { describe, expect, test } from 'vitest';
import {
  findNuxtApp,
  findNuxtPrerenderedRoutes,
  findParcelBundles,
  findViteDeps,
  findWebpackChunkIds,
} from '../../src/scan/bundlers.js';

const page = new URL('https://shop.example/collections/all');
const nuxtConfig = (app: string) => `window.__NUXT__={};window.__NUXT__.config={public:{},app:{${app}}}`;

describe('findNuxtApp: the app manifest a Nuxt page fetches', () => {
  test.each([
    [
      'the defaults of nuxi generate',
      'baseURL:"/",buildId:"4dd68fb1-ebf0-4645",buildAssetsDir:"/_nuxt/",cdnURL:""',
      'https://shop.example/_nuxt/builds/meta/4dd68fb1-ebf0-4645.json',
      'https://shop.example/',
    ],
    [
      'an app under a base URL',
      'baseURL:"/store/",buildId:"b1",buildAssetsDir:"/_nuxt/",cdnURL:""',
      'https://shop.example/store/_nuxt/builds/meta/b1.json',
      'https://shop.example/store/',
    ],
    [
      'build assets on a CDN',
      'baseURL:"/",buildId:"b1",buildAssetsDir:"/assets/",cdnURL:"https://cdn.example/shop/"',
      'https://cdn.example/shop/assets/builds/meta/b1.json',
      'https://shop.example/',
    ],
    [
      'escaped slashes, as devalue writes them',
      'baseURL:"\\u002F",buildId:"b1",buildAssetsDir:"\\u002F_nuxt\\u002F",cdnURL:""',
      'https://shop.example/_nuxt/builds/meta/b1.json',
      'https://shop.example/',
    ],
  ])('%s', (_name, app, manifest, routeBase) => {
    const nuxt = findNuxtApp(nuxtConfig(app), page);
    expect(nuxt?.manifest.href).toBe(manifest);
    expect(nuxt?.routeBase.href).toBe(routeBase);
  });

  test.each([
    ['no build id (Nuxt before app manifests)', 'baseURL:"/",buildAssetsDir:"/_nuxt/",cdnURL:""'],
    ['a build id that is not one', 'baseURL:"/",buildId:"../../admin?x=",buildAssetsDir:"/_nuxt/"'],
  ])('%s: none', (_name, app) => {
    expect(findNuxtApp(nuxtConfig(app), page)).toBeUndefined();
  });

  test('code that is not Nuxt names none', () => {
    expect(findNuxtApp('var app={baseURL:"/",buildId:"b1"}', page)).toBeUndefined();
  });
});

describe('findNuxtPrerenderedRoutes', () => {
  const base = new URL('https://shop.example/store/');

  test('every prerendered route, under the app base', () => {
    const json = JSON.stringify({ id: 'b1', timestamp: 1, prerendered: ['/', '/about', '/wholesale'] });
    expect(findNuxtPrerenderedRoutes(json, base).map((ref) => [ref.url.href, ref.kind])).toEqual([
      ['https://shop.example/store/', 'page'],
      ['https://shop.example/store/about', 'page'],
      ['https://shop.example/store/wholesale', 'page'],
    ]);
  });

  test('what is not a route path names nothing', () => {
    const json = JSON.stringify({
      prerendered: ['//evil.example/x', 'https://evil.example/', 42, null, '/ok'],
    });
    expect(findNuxtPrerenderedRoutes(json, base).map((ref) => ref.url.href)).toEqual([
      'https://shop.example/store/ok',
    ]);
    expect(findNuxtPrerenderedRoutes('{"prerendered":', base)).toEqual([]);
    expect(findNuxtPrerenderedRoutes('{"prerendered":"/x"}', base)).toEqual([]);
  });
});

describe('findParcelBundles: the bundles in Parcel’s runtime manifest', () => {
  const script = new URL('https://shop.example/dist/js/app.1a2b.js');

  test('a classic bundle: names resolved from the dist dir the loader prefixes', () => {
    const code =
      'var t,n="../",c=r.parcelRequire94c2;function e(e){if(e=c.i?.[e]||e,!t)return n+e;return new URL(n+e,t).toString()}' +
      'i("dKIQv",function(e,t){Object.assign(c.i??={},{lAdss:"rewards.5a73.js","9mDtw":"sub/start.b0e1.js",x:"s.c5d4.css"})})';
    expect(findParcelBundles(code, script).map((ref) => [ref.url.href, ref.kind])).toEqual([
      ['https://shop.example/dist/rewards.5a73.js', 'script'],
      ['https://shop.example/dist/sub/start.b0e1.js', 'script'],
      ['https://shop.example/dist/s.c5d4.css', 'stylesheet'],
    ]);
  });

  test('a module bundle: import() with a literal dist dir', () => {
    const code = 'Object.assign(e.i??={},{a:"label.07.js"});t.exports=(n="a",import("./"+(n=e.i?.[n]||n)))';
    expect(findParcelBundles(code, script).map((ref) => ref.url.href)).toEqual([
      'https://shop.example/dist/js/label.07.js',
    ]);
  });

  test('a manifest without its loader names nothing that can be placed', () => {
    expect(findParcelBundles('Object.assign(c.i??={},{a:"x.js"})', script)).toEqual([]);
  });
});

describe('findViteDeps', () => {
  const chunk = new URL('https://shop.example/assets/index-a1b2.js');

  test('the deps list of the preload helper, relative to the assets directory', () => {
    const code =
      'const __vite__mapDeps=(i,m=__vite__mapDeps,d=(m.f||(m.f=["assets/Returns-x1.js","assets/Returns-x2.css"])))=>i.map(i=>d[i]);';
    expect(findViteDeps(code, chunk).map((ref) => [ref.url.href, ref.kind])).toEqual([
      ['https://shop.example/assets/Returns-x1.js', 'script'],
      ['https://shop.example/assets/Returns-x2.css', 'stylesheet'],
    ]);
  });

  // Every definition without a closing `]` once made the pattern retry each later `m.f=[` against the
  // rest of the file: a file of 100 KB took hours.
  test('a file of unclosed definitions is read in one pass', () => {
    const code = '__vite__mapDeps=(i,m.f=["a.js",'.repeat(4_000);
    expect(findViteDeps(code, chunk)).toEqual([]);
  });
});

describe('findWebpackChunkIds: chunks code loads through the webpack runtime', () => {
  test.each([
    ['a lazy import', 'n.e(147).then(n.bind(n, 7147))', ['147']],
    ['a named chunk', 'r.e("pages/wholesale").then(r.bind(r,61))', ['pages/wholesale']],
    ['a call without the module import', 'x.e(3);', []],
    ['the module import too far after the call', `n.e(5);${'x'.repeat(400)}n.bind(n,1)`, []],
    ['another variable bound', 'n.e(5).then(a.bind(a,1))', []],
    [
      'a load after a long stretch of calls that load nothing',
      `${'n.e(1);'.repeat(10_000)}${'x'.repeat(500)}${'y.e(2);'.repeat(1_000)}n.e(7).then(n.bind(n,7))`,
      ['7'],
    ],
    [
      'calls just before a module import count, however many came before',
      `${'n.e(1);'.repeat(10_000)}n.e(7).then(n.bind(n,7))`,
      ['1', '7'],
    ],
  ])('%s', (_name, code, ids) => {
    expect(findWebpackChunkIds(code)).toEqual(ids);
  });
});
