import { forEachMatchAt } from './anchored.js';

/**
 * What bundlers' runtimes say about the chunks a build can load. Each parser reads a structure the
 * bundler writes (a chunk map, a chunk list, a manifest) and returns the URLs it names, with the
 * reason; nothing here guesses a file name. Pure functions of the code and its URL.
 */

/** A file a build can load, and why we know. */
export interface BundlerRef {
  url: URL;
  /** `page` for a route of the site (Next.js build manifest). */
  kind: 'script' | 'stylesheet' | 'page';
  reason: string;
}

/** One part of a webpack/rspack chunk file name: a literal, the chunk id, or a lookup by id. */
type NamePart =
  | { kind: 'text'; value: string }
  | { kind: 'id' }
  | { kind: 'map'; map: Map<string, string>; orId: boolean };

/**
 * A webpack/rspack runtime's way of naming async chunks (`__webpack_require__.u`, or
 * `.miniCssF` for their CSS) and the public path the names are relative to.
 */
export interface WebpackChunkNamer {
  parts: NamePart[];
  base: URL;
  kind: 'script' | 'stylesheet';
  /** Every chunk id the namer's maps list: all of them are loadable. */
  ids: string[];
}

/** Chunk ids a build loads on demand, from `__webpack_require__.e(<id>)` calls. */
const WEBPACK_ENSURE = /\b([\w$]{1,40})\.e\(\s{0,20}(\d{1,9}|"[\w./-]{1,100}")\s{0,20}\)/y;
/** Longest name before `.e(`, and longest match of WEBPACK_ENSURE. */
const MAX_REQUIRE_NAME = 40;
const MAX_ENSURE_LENGTH = 190;
/** How far after `.e(<id>)` the runtime's module import (`n.bind(n, …)`) must follow. */
const BIND_WINDOW = 300;
const WEBPACK_NAMER =
  /\b([\w$]{1,40})\.(u|miniCssF)\s*=\s*(?:function\s*\(\s*([\w$]+)\s*\)\s*\{\s*return\s*|\(?\s*([\w$]+)\s*\)?\s*=>\s*(?:\{\s*return\s*)?)/g;
/** Longest chunk-name expression read; real maps of very large apps stay well below it. */
const MAX_NAMER_LENGTH = 200_000;

/** The chunk-name functions of a webpack or rspack runtime in `code`, if it is one. */
export function findWebpackNamers(code: string, scriptUrl: URL): WebpackChunkNamer[] {
  if (!mayNameChunks(code)) return [];
  const namers: WebpackChunkNamer[] = [];
  for (const match of code.matchAll(WEBPACK_NAMER)) {
    const require = match[1] as string;
    const param = (match[3] ?? match[4]) as string;
    const parts = readNameExpression(code, match.index + match[0].length, param);
    if (parts === undefined || !parts.some((part) => part.kind !== 'text')) continue;
    const base = webpackPublicPath(code, require, scriptUrl);
    if (base === undefined) continue;
    const ids = new Set<string>();
    for (const part of parts) if (part.kind === 'map') for (const id of part.map.keys()) ids.add(id);
    namers.push({ parts, base, kind: match[2] === 'u' ? 'script' : 'stylesheet', ids: [...ids] });
  }
  return namers;
}

/** Whether code holds `.u=`, `.u =` or `miniCssF`, in one pass over its `.u`s. */
function mayNameChunks(code: string): boolean {
  for (let i = code.indexOf('.u'); i !== -1; i = code.indexOf('.u', i + 2)) {
    const next = code.charCodeAt(i + 2);
    if (next === 0x3d || (next === 0x20 && code.charCodeAt(i + 3) === 0x3d)) return true;
  }
  // `CssF` first: a search for a literal that starts with a common letter stops at each of them, and
  // `miniCssF` took ten times as long as `CssF` on the bench store's bundles.
  return code.includes('CssF') && code.includes('miniCssF');
}

/**
 * Where a match of WEBPACK_ENSURE may start: within the name just before each `.e(`, for the calls
 * with a `.bind(` within reach (the others cannot be chunk loads), so a file of `.e(` calls alone
 * costs one pass.
 */
function ensureStarts(code: string): number[] {
  const starts: number[] = [];
  let bind = code.indexOf('.bind(');
  for (let call = code.indexOf('.e('); call !== -1 && bind !== -1; call = code.indexOf('.e(', call + 3)) {
    if (bind < call) bind = code.indexOf('.bind(', call);
    if (bind === -1) break;
    if (bind - call > MAX_ENSURE_LENGTH + BIND_WINDOW) {
      // No call before this point has a `.bind(` within reach.
      call = Math.max(call, bind - MAX_ENSURE_LENGTH - BIND_WINDOW - 3);
      continue;
    }
    let start = call;
    while (start > 0 && call - start < MAX_REQUIRE_NAME && /[\w$]/.test(code[start - 1] as string)) start--;
    for (let i = start; i < call; i++) starts.push(i);
  }
  return starts;
}

/**
 * Ids of chunks that code asks the webpack runtime for, e.g. `n.e(147).then(n.bind(n, 7147))`. Only a
 * call followed by the runtime's own module import is a chunk load: `x.e(3)` alone is not.
 */
export function findWebpackChunkIds(code: string): string[] {
  if (!code.includes('.e(')) return [];
  const ids = new Set<string>();
  forEachMatchAt(WEBPACK_ENSURE, code, ensureStarts(code), (match) => {
    const end = match.index + match[0].length;
    const require = match[1] as string;
    const after = code.slice(end, end + BIND_WINDOW);
    if (!after.includes(`${require}.bind(${require},`) && !after.includes(`${require}.bind(${require}, `))
      return;
    ids.add((match[2] as string).replace(/"/g, ''));
  });
  return [...ids];
}

/** The URL of chunk `id` as the runtime names it; undefined when its maps do not list the id. */
export function webpackChunkUrl(namer: WebpackChunkNamer, id: string): URL | undefined {
  let name = '';
  for (const part of namer.parts) {
    if (part.kind === 'text') name += part.value;
    else if (part.kind === 'id') name += id;
    else {
      const value = part.map.get(id);
      if (value === undefined && !part.orId) return undefined;
      name += value ?? id;
    }
  }
  try {
    return new URL(name, namer.base);
  } catch {
    return undefined;
  }
}

function webpackPublicPath(code: string, require: string, scriptUrl: URL): URL | undefined {
  const escaped = require.replace(/\$/g, '\\$');
  const literal = new RegExp(`\\b${escaped}\\.p\\s*=\\s*(["'\`])([^"'\`]*)\\1`).exec(code)?.[2];
  try {
    // Without a literal the public path is "auto": the directory of the runtime script itself.
    return new URL(literal ?? './', literal === undefined ? scriptUrl : new URL('/', scriptUrl));
  } catch {
    return undefined;
  }
}

/**
 * Reads `"static/chunks/" + e + "." + {1:"ab"}[e] + ".js"` (and the forms minifiers make of it:
 * `({…})[e]||e`, parentheses) from `start`. Anything else ends the read with undefined.
 */
function readNameExpression(code: string, start: number, param: string): NamePart[] | undefined {
  const parts: NamePart[] = [];
  let i = start;
  const end = Math.min(code.length, start + MAX_NAMER_LENGTH);
  const skipSpace = () => {
    while (i < end && /\s/.test(code[i] as string)) i++;
  };
  const readTerm = (): NamePart | undefined => {
    skipSpace();
    const c = code[i];
    if (c === '"' || c === "'" || c === '`') {
      const close = code.indexOf(c, i + 1);
      if (close === -1 || close > end) return undefined;
      const value = code.slice(i + 1, close);
      if (value.includes('\\') || (c === '`' && value.includes('${'))) return undefined;
      i = close + 1;
      return { kind: 'text', value };
    }
    if (c === '{') {
      const map = readObjectMap(code, i, end);
      if (map === undefined) return undefined;
      i = map.end;
      skipSpace();
      if (!code.startsWith(`[${param}]`, i)) return undefined;
      i += param.length + 2;
      return { kind: 'map', map: map.entries, orId: false };
    }
    if (c === '(') {
      i++;
      const inner = readTerm();
      if (inner === undefined) return undefined;
      skipSpace();
      if (code[i] === ')') {
        i++;
        // `({…})[e]`: the lookup follows the parentheses.
        if (inner.kind === 'map' || code[i] !== '[') return inner;
        return undefined;
      }
      if (code.startsWith('||', i) && inner.kind === 'map') {
        i += 2;
        skipSpace();
        if (!code.startsWith(param, i)) return undefined;
        i += param.length;
        skipSpace();
        if (code[i] !== ')') return undefined;
        i++;
        return { ...inner, orId: true };
      }
      return undefined;
    }
    if (code.startsWith(param, i) && !/[\w$]/.test(code[i + param.length] ?? '')) {
      i += param.length;
      return { kind: 'id' };
    }
    return undefined;
  };
  for (;;) {
    const term = readTerm();
    if (term === undefined) return undefined;
    parts.push(term);
    skipSpace();
    if (code[i] !== '+') break;
    i++;
  }
  return parts;
}

const MAP_ENTRY = /\s*(?:"([^"\\]*)"|'([^'\\]*)'|([\w$]+))\s*:\s*(?:"([^"\\]*)"|'([^'\\]*)'|(\d+))\s*(,|\})/y;

/** A flat object literal of chunk ids to names or hashes, `{12:"ab34",x:"cd"}`. */
function readObjectMap(
  code: string,
  start: number,
  end: number,
): { entries: Map<string, string>; end: number } | undefined {
  const entries = new Map<string, string>();
  let i = start + 1;
  if (code[i] === '}') return { entries, end: i + 1 };
  while (i < end) {
    MAP_ENTRY.lastIndex = i;
    const m = MAP_ENTRY.exec(code);
    if (m === null) return undefined;
    entries.set((m[1] ?? m[2] ?? m[3]) as string, (m[4] ?? m[5] ?? m[6]) as string);
    i = MAP_ENTRY.lastIndex;
    if (m[7] === '}') return { entries, end: i };
  }
  return undefined;
}

/**
 * `/_next/` (or `<assetPrefix>/_next/`), the base that Next.js and Turbopack resolve chunk paths
 * such as `static/chunks/abc.js` against, when `url` is one of the build's files.
 */
export function nextBaseOf(url: URL): URL | undefined {
  const at = url.pathname.indexOf('/_next/');
  if (at === -1) return undefined;
  return new URL(url.pathname.slice(0, at + '/_next/'.length), url);
}

const NEXT_CHUNK_PATH = /["'`](static\/[\w./~@%-]{1,300}?\.(?:js|css))(?:\?[^"'`\s]*)?["'`]/g;
const BUILD_MANIFEST_ROUTE = /["']?(\/[\w./[\]-]*)["']?\s*:\s*\[\s*["']static\//g;
const NEXT_INTERNAL_ROUTE = /^\/(?:_app|_error|_document|404|500)$/;

/**
 * Chunk paths relative to the `/_next/` base: Turbopack's `e.l("static/chunks/…")` and chunk lists
 * (`otherChunks`), the webpack build manifest (`_buildManifest.js`) and the app router's flight data.
 * The build manifest also names every route of the site, linked or not.
 */
export function findNextChunks(code: string, nextBase: URL): BundlerRef[] {
  if (!code.includes('static/')) return [];
  const refs: BundlerRef[] = [];
  const seen = new Set<string>();
  const reason = code.includes('__BUILD_MANIFEST')
    ? 'Next.js build manifest'
    : code.includes('TURBOPACK')
      ? 'Turbopack chunk list'
      : 'Next.js chunk path';
  for (const match of code.matchAll(NEXT_CHUNK_PATH)) {
    const path = match[1] as string;
    if (seen.has(path)) continue;
    seen.add(path);
    refs.push({
      url: new URL(path, nextBase),
      kind: path.endsWith('.css') ? 'stylesheet' : 'script',
      reason,
    });
  }
  if (code.includes('__BUILD_MANIFEST')) {
    for (const match of code.matchAll(BUILD_MANIFEST_ROUTE)) {
      const route = match[1] as string;
      // Dynamic routes (`/products/[handle]`) name no page by themselves.
      if (NEXT_INTERNAL_ROUTE.test(route) || route.includes('[')) continue;
      refs.push({ url: new URL(route, nextBase), kind: 'page', reason: 'Next.js build manifest route' });
    }
  }
  return refs;
}

const VITE_MAP_DEPS = /__vite__mapDeps\s*=\s*\(/g;
/** `(i,m=__vite__mapDeps,d=(m.f||(m.f=[`: the list opens within the helper's first few characters. */
const VITE_DEPS_OPEN = /^[^)]{0,200}?\.f\s*=\s*\[/;
const MAX_VITE_DEPS_LENGTH = 200_000;
/** Definitions tried; a chunk has one. */
const MAX_VITE_DEFINITIONS = 10;
const QUOTED = /["'`]([^"'`\\]{1,500})["'`]/g;
const VITE_ASSETS_URL = /function\s*\(\s*([\w$]+)\s*\)\s*\{\s*return\s*["'`]([^"'`]*)["'`]\s*\+\s*\1\s*\}/;

/**
 * Vite/Rolldown/Rollup `__vite__mapDeps`: the chunks and CSS a lazy import preloads, relative to the
 * build's base. The base is read off the chunk's own URL (its deps share the assets directory), else
 * from the preload helper's `function(e){return"/"+e}`, else the site root.
 */
export function findViteDeps(code: string, scriptUrl: URL): BundlerRef[] {
  // `Deps` first, as for `miniCssF` above: a fifth of the time on code without Vite's helper.
  if (!code.includes('Deps') || !code.includes('__vite__mapDeps')) return [];
  const list = viteDepsList(code);
  if (list === undefined) return [];
  const deps = [...list.matchAll(QUOTED)].map((match) => match[1] as string);
  const base = viteBase(deps, scriptUrl, code);
  const refs: BundlerRef[] = [];
  for (const dep of deps) {
    let url: URL;
    try {
      url = new URL(dep, /^\.{1,2}\//.test(dep) ? scriptUrl : base);
    } catch {
      continue;
    }
    refs.push({ url, kind: dep.endsWith('.css') ? 'stylesheet' : 'script', reason: 'Vite __vite__mapDeps' });
  }
  return refs;
}

/**
 * The text between `m.f=[` and `]` of the first definition that has both. Read with indexOf, not one
 * pattern: a pattern that spans the gap retried every later `m.f=[` of a file without a `]`, at a
 * cost of the cube of the file's length.
 */
function viteDepsList(code: string): string | undefined {
  let tried = 0;
  for (const match of code.matchAll(VITE_MAP_DEPS)) {
    if (++tried > MAX_VITE_DEFINITIONS) break;
    const after = match.index + match[0].length;
    const open = VITE_DEPS_OPEN.exec(code.slice(after, after + 300));
    if (open === null) continue;
    const start = after + open[0].length;
    const end = code.indexOf(']', start);
    if (end !== -1 && end - start <= MAX_VITE_DEPS_LENGTH) return code.slice(start, end);
  }
  return undefined;
}

function viteBase(deps: string[], scriptUrl: URL, code: string): URL {
  const directory = scriptUrl.pathname.slice(0, scriptUrl.pathname.lastIndexOf('/') + 1);
  for (const dep of deps) {
    const depDirectory = dep.slice(0, dep.lastIndexOf('/') + 1);
    if (depDirectory !== '' && !depDirectory.startsWith('.') && directory.endsWith(`/${depDirectory}`)) {
      return new URL(directory.slice(0, directory.length - depDirectory.length), scriptUrl);
    }
  }
  const helper = VITE_ASSETS_URL.exec(code)?.[2];
  return new URL(helper ?? '/', scriptUrl);
}

/** Where a Nuxt app lives and what it names (`window.__NUXT__.config.app`, written into every page). */
export interface NuxtApp {
  /** The app manifest: `builds/meta/<buildId>.json` under the build assets, as the client fetches it. */
  manifest: URL;
  /** The app's base URL: routes in the manifest are paths under it. */
  routeBase: URL;
}

const NUXT_APP_CONFIG = /\bapp\s*:\s*\{([^{}]{0,2000})\}/;
const NUXT_APP_FIELD = /["']?(baseURL|buildId|buildAssetsDir|cdnURL)["']?\s*:\s*"((?:[^"\\]|\\.){0,500})"/g;
const NUXT_BUILD_ID = /^[\w-]{1,100}$/;

/**
 * The app manifest a Nuxt page's runtime fetches, read off the runtime config in an inline script:
 * `<cdnURL or baseURL><buildAssetsDir>builds/meta/<buildId>.json`, as `buildAssetsURL` in Nuxt's
 * `app/composables/manifest` builds it. Nuxt writes the manifest only when it has a build id.
 */
export function findNuxtApp(code: string, pageUrl: URL): NuxtApp | undefined {
  const at = code.indexOf('__NUXT__');
  if (at === -1) return undefined;
  const app = NUXT_APP_CONFIG.exec(code.slice(at, at + 10_000))?.[1];
  if (app === undefined) return undefined;
  const fields = new Map<string, string>();
  for (const match of app.matchAll(NUXT_APP_FIELD)) {
    const value = jsonString(match[2] as string);
    if (value !== undefined && !fields.has(match[1] as string)) fields.set(match[1] as string, value);
  }
  const buildId = fields.get('buildId');
  if (buildId === undefined || !NUXT_BUILD_ID.test(buildId)) return undefined;
  const baseURL = fields.get('baseURL') || '/';
  const assetsBase = fields.get('cdnURL') || baseURL;
  const assetsDir = fields.get('buildAssetsDir') ?? '/_nuxt/';
  try {
    return {
      manifest: new URL(joinPath(assetsBase, assetsDir, 'builds/meta', `${buildId}.json`), pageUrl),
      routeBase: new URL(joinPath(baseURL, '/'), pageUrl),
    };
  } catch {
    return undefined;
  }
}

const MAX_NUXT_ROUTES = 50_000;

/** The routes a Nuxt app manifest lists as prerendered: pages of the site, linked from anywhere or not. */
export function findNuxtPrerenderedRoutes(json: string, routeBase: URL): BundlerRef[] {
  let manifest: unknown;
  try {
    manifest = JSON.parse(json);
  } catch {
    return [];
  }
  const prerendered = (manifest as { prerendered?: unknown } | null)?.prerendered;
  if (!Array.isArray(prerendered)) return [];
  const refs: BundlerRef[] = [];
  for (const route of prerendered.slice(0, MAX_NUXT_ROUTES)) {
    if (typeof route !== 'string' || !route.startsWith('/') || route.startsWith('//')) continue;
    try {
      refs.push({
        url: new URL(joinPath(routeBase.pathname, route), routeBase),
        kind: 'page',
        reason: 'Nuxt app manifest (prerendered route)',
      });
    } catch {}
  }
  return refs;
}

/** Path segments joined with one slash each, as `joinRelativeURL` of `ufo` does; an origin may lead. */
function joinPath(...parts: string[]): string {
  const kept = parts.filter((part) => part !== '');
  const joined = kept
    .map((part, i) => (i === 0 ? part.replace(/\/+$/, '') : part.replace(/^\/+|\/+$/g, '')))
    .filter((part, i) => i === 0 || part !== '')
    .join('/');
  return kept.at(-1)?.endsWith('/') && !joined.endsWith('/') ? `${joined}/` : joined;
}

function jsonString(raw: string): string | undefined {
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return undefined;
  }
}

const PARCEL_IMPORT_MAP = /\bObject\.assign\(\s*[\w$]+\.i\s*\?\?=\s*\{\s*\}\s*,\s*(?=\{)/g;
/** How Parcel's `$parcel$resolve` / `$parcel$import` prefix a bundle name: the bundle's way to the dist root. */
const PARCEL_DIST_DIR = /(?:\bimport|\bnew\s+URL)\(\s*(?:([\w$]+)|"((?:\.\.?\/)+)")\s*\+/g;

/**
 * Parcel's runtime bundle manifest: `Object.assign(parcelRequire.i ??= {}, {<id>: "rewards.5a73.js"})`
 * (`$parcel$extendImportMap` in Parcel's JS packager) names every bundle that code can load, relative
 * to the dist root. The runtime reaches the root as `<distDir> + name` from the loading bundle's own URL;
 * the distDir is read from that expression. A map without its loader names nothing that can be placed.
 */
export function findParcelBundles(code: string, scriptUrl: URL): BundlerRef[] {
  if (!hasParcelImportMap(code)) return [];
  const base = parcelDistRoot(code, scriptUrl);
  if (base === undefined) return [];
  const refs: BundlerRef[] = [];
  for (const match of code.matchAll(PARCEL_IMPORT_MAP)) {
    const start = match.index + match[0].length;
    const map = readObjectMap(code, start, Math.min(code.length, start + MAX_NAMER_LENGTH));
    if (map === undefined) continue;
    for (const name of map.entries.values()) {
      try {
        refs.push({
          url: new URL(name, base),
          kind: name.endsWith('.css') ? 'stylesheet' : 'script',
          reason: 'Parcel bundle manifest',
        });
      } catch {}
    }
  }
  return refs;
}

/**
 * Whether code holds `.i??=` or `.i ??=`, found from its `??=`s: `?` is rare in code and `.` is
 * everywhere, so this is one fast pass instead of two slow ones.
 */
function hasParcelImportMap(code: string): boolean {
  for (let i = code.indexOf('??='); i !== -1; i = code.indexOf('??=', i + 3)) {
    if (code.startsWith('.i', i - 2) || code.startsWith('.i ', i - 3)) return true;
  }
  return false;
}

/** Loader expressions tried for the dist dir; real bundles have one or two. */
const MAX_PARCEL_LOADERS = 10;

function parcelDistRoot(code: string, scriptUrl: URL): URL | undefined {
  let tried = 0;
  for (const match of code.matchAll(PARCEL_DIST_DIR)) {
    if (++tried > MAX_PARCEL_LOADERS) break;
    let distDir: string | undefined = match[2];
    const variable = match[1];
    if (variable !== undefined) {
      const escaped = variable.replace(/\$/g, '\\$');
      distDir = new RegExp(`(?<![\\w$.])${escaped}\\s*=\\s*"((?:\\.\\.?\\/)+)"`).exec(code)?.[1];
    }
    if (distDir !== undefined) return new URL(distDir, scriptUrl);
  }
  return undefined;
}
