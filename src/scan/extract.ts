import { forEachMatchAt, positionsOf } from './anchored.js';
import { findNextChunks, findNuxtApp, nextBaseOf } from './bundlers.js';
import { resolveLink } from './url-scope.js';

/**
 * How a resource was named: a script (tag-manager containers are named so the report can say so), a
 * same-site JSON file code fetches (`data`), a script's source map (it often holds the original source),
 * a stylesheet, a web app manifest, or a framework's list of the site's routes (`app-manifest`).
 */
export type ScriptKind =
  | 'classic'
  | 'module'
  | 'preload'
  | 'tag-manager'
  | 'referenced'
  | 'data'
  | 'source-map'
  | 'stylesheet'
  | 'manifest'
  | 'app-manifest';

export interface ScriptRef {
  url: URL;
  kind: ScriptKind;
  /** How the page or code named it, in a few words ("script tag", "import map", "@import"). */
  reason: string;
  /** For an `app-manifest`: the URL its routes are paths under. */
  routeBase?: URL;
}

export interface PageLinks<Page = URL> {
  /** Links and frames to other pages (any host; the crawler decides what is in scope). */
  pages: Page[];
  /** The page in other languages (`<link rel="alternate" hreflang>`), often linked nowhere else. */
  alternates: URL[];
  scripts: ScriptRef[];
}

// Comments are skipped whole; the tags that link pages or load scripts are read with their attributes.
// That is `/<!--[\s\S]*?(?:-->|$)|<(a|area|iframe|frame|script|link|base)(?=[\s/>])(ATTRIBUTES)(?:>|$)/gi`,
// found by nextTag from the `<`s of the page: a fifth faster than the regex's own search. ATTRIBUTES is
// `(?:[^>"']|"[^"]*(?:"|$)|'[^']*(?:'|$))*`: one character or one quoted value at a time, so it cannot
// backtrack badly. An unclosed quote or tag ends at the end of the page, as in browsers: otherwise a
// page of `<a '` would be rescanned to its end from every tag, at a cost of the square of its size.
// The attributes are then read one at a time as
// `/([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g` would find them (nextAttribute).
// Both are read by hand, by character code and by position: the regexes' match arrays and the
// substrings of every tag (some 150 links a page) were most of what the analysis left to collect.
const TAG_NAMES = ['a', 'area', 'iframe', 'frame', 'script', 'link', 'base'] as const;
const SCRIPT_END = /<\/script\s*>/gi;

/**
 * Where delay-JS speed apps move a script's URL so the browser does not load it at once (their own
 * loader copies it back later): lazy-load scripts, WP Rocket, Flying Scripts and similar.
 */
const DEFERRED_SRC_ATTRIBUTES = ['data-src', 'data-rocket-src', 'data-lazy-src'] as const;

/**
 * Reads the links and scripts of an HTML page with one pass of a tag scanner. Pages are scanned for
 * keys as raw text, so only a handful of tags matter here; building a full document tree for each
 * page took most of a scan's time (about half of it on a 60 MB storefront).
 */
export function extractFromHtml<Page = URL>(
  html: string,
  pageUrl: URL,
  resolvePageLink: (raw: string, base: URL) => Page | null = resolveLink as (
    raw: string,
    base: URL,
  ) => Page | null,
  options: {
    /**
     * For `html` in byte text (decode.ts): turns a part cut at ASCII characters (an attribute value,
     * a script's content) into its text.
     */
    decode?: (part: string) => string;
  } = {},
): PageLinks<Page> {
  const decode = options.decode;
  const pages: Page[] = [];
  const alternates: URL[] = [];
  const scripts: ScriptRef[] = [];
  const inlineScripts: string[] = [];
  let base = pageUrl;
  let baseSeen = false;
  // Navigation repeats the same links many times per page; each is resolved once.
  const seenLinks = new Set<string>();
  const tag: TagSpan = { start: 0, stop: 0, end: 0 };
  const attributeSpan: AttributeSpan = { nameStart: 0, nameEnd: 0, valueStart: 0, valueEnd: 0, end: 0 };
  for (let name = nextTag(html, 0, tag); name !== null; name = nextTag(html, tag.end, tag)) {
    if (name === 'a' || name === 'area' || name === 'iframe' || name === 'frame') {
      const wanted = name === 'a' || name === 'area' ? 'href' : 'src';
      const raw = attributeValue(html, tag.start, tag.stop, wanted, attributeSpan, decode);
      if (raw === undefined || seenLinks.has(raw)) continue;
      seenLinks.add(raw);
      const page = resolvePageLink(raw, base);
      if (page !== null) pages.push(page);
      continue;
    }
    const attributes = parseAttributes(html, tag.start, tag.stop, attributeSpan, decode);
    if (name === 'script') {
      SCRIPT_END.lastIndex = tag.end;
      const end = SCRIPT_END.exec(html);
      const contentEnd = end === null ? html.length : end.index;
      const type = (attributes.get('type') ?? '').trim().toLowerCase();
      const src = attributes.get('src');
      const kind = type === 'module' ? 'module' : 'classic';
      if (src !== undefined) {
        const url = resolveLink(src, base);
        if (url)
          scripts.push({
            url,
            kind: scriptKind(url, kind),
            reason: type === 'text/partytown' ? 'Partytown script' : 'script tag',
          });
      }
      for (const attribute of DEFERRED_SRC_ATTRIBUTES) {
        const deferred = attributes.get(attribute);
        const url = deferred === undefined ? null : resolveLink(deferred, base);
        if (url) scripts.push({ url, kind: scriptKind(url, kind), reason: `delay-JS loader (${attribute})` });
      }
      if (type === 'importmap') {
        const json = html.slice(tag.end, contentEnd);
        scripts.push(...importMapModules(decode === undefined ? json : decode(json), base));
      } else if (src === undefined && isJavaScriptType(type)) {
        const code = html.slice(tag.end, contentEnd);
        inlineScripts.push(decode === undefined ? code : decode(code));
      }
      // Markup inside a script is code, not links on the page.
      tag.end = end === null ? html.length : SCRIPT_END.lastIndex;
    } else if (name === 'base') {
      const href = attributes.get('href');
      const url = !baseSeen && href !== undefined ? resolveLink(href, pageUrl) : null;
      if (url) base = url;
      baseSeen = true;
    } else {
      const href = attributes.get('href');
      if (href === undefined) continue;
      const named = classifyLink(
        {
          rel: attributes.get('rel') ?? '',
          as: attributes.get('as') ?? '',
          type: attributes.get('type') ?? '',
          hreflang: attributes.get('hreflang'),
        },
        href,
        base,
        '',
      );
      if (named === null) continue;
      if ('alternate' in named) alternates.push(named.alternate);
      else scripts.push(named);
    }
  }
  if (inlineScripts.length > 0) {
    // Next.js writes chunk paths relative to its `/_next/` base into inline scripts (Turbopack's chunk
    // list, the app router's flight data); the page's own Next.js scripts tell where that base is.
    let nextBase: URL | undefined;
    for (const script of scripts) {
      nextBase = nextBaseOf(script.url);
      if (nextBase !== undefined) break;
    }
    for (const code of inlineScripts) {
      scripts.push(...findScriptUrlsInCode(code, base));
      const nuxt = findNuxtApp(code, base);
      if (nuxt !== undefined) {
        scripts.push({
          url: nuxt.manifest,
          kind: 'app-manifest',
          reason: 'Nuxt app manifest',
          routeBase: nuxt.routeBase,
        });
      }
      if (nextBase !== undefined) {
        for (const ref of findNextChunks(code, nextBase)) {
          if (ref.kind !== 'page') {
            scripts.push({
              url: ref.url,
              kind: ref.kind === 'stylesheet' ? 'stylesheet' : 'referenced',
              reason: ref.reason,
            });
          }
        }
      }
    }
  }
  return { pages, alternates, scripts };
}

interface LinkAttributes {
  rel: string;
  as: string;
  type: string;
  hreflang: string | undefined;
}

/**
 * What a `<link>` element or a `Link:` header names: a script, stylesheet, JSON or manifest to fetch,
 * the page in another language, or nothing of interest (icons, canonical, preconnect).
 */
function classifyLink(
  link: LinkAttributes,
  href: string,
  base: URL,
  via: string,
): ScriptRef | { alternate: URL } | null {
  const rel = link.rel.toLowerCase().split(/\s+/);
  const as = link.as.trim().toLowerCase();
  const type = link.type.trim().toLowerCase();
  let kind: ScriptKind | undefined;
  let reason = '';
  if (rel.includes('modulepreload')) {
    kind = 'preload';
    reason = 'modulepreload';
  } else if (rel.includes('preload') || rel.includes('prefetch')) {
    const which = rel.includes('preload') ? 'preload' : 'prefetch';
    if (as === 'script' || as === 'worker') kind = 'preload';
    else if (as === 'style') kind = 'stylesheet';
    else if (as === 'fetch' && (type.includes('json') || /\.json(?:[?#]|$)/i.test(href))) kind = 'data';
    reason = `${which} as=${as}`;
  } else if (rel.includes('stylesheet')) {
    kind = 'stylesheet';
    reason = 'stylesheet';
  } else if (rel.includes('manifest')) {
    kind = 'manifest';
    reason = 'web app manifest';
  } else if (rel.includes('alternate')) {
    if (link.hreflang !== undefined && link.hreflang.trim() !== '') {
      const url = resolveLink(href, base);
      return url === null ? null : { alternate: url };
    }
    if (/(?:^|[/+])json(?:$|;)/.test(type)) {
      kind = 'data';
      reason = 'alternate JSON';
    }
  }
  if (kind === undefined) return null;
  const url = resolveLink(href, base);
  if (url === null) return null;
  return { url, kind: kind === 'preload' ? scriptKind(url, kind) : kind, reason: `${via}${reason}` };
}

const LINK_VALUE = /<([^>]*)>((?:\s*;\s*[\w*-]+(?:\s*=\s*(?:"[^"]*"|[^;,]*))?)*)/g;
const LINK_PARAM = /;\s*([\w*-]+)(?:\s*=\s*(?:"([^"]*)"|([^;,]*)))?/g;

/** The scripts, stylesheets and alternates that `Link:` response headers name (RFC 8288). */
export function linkHeaderRefs(
  values: readonly string[],
  base: URL,
): { scripts: ScriptRef[]; alternates: URL[] } {
  const scripts: ScriptRef[] = [];
  const alternates: URL[] = [];
  for (const value of values) {
    for (const match of value.matchAll(LINK_VALUE)) {
      const params = new Map<string, string>();
      for (const param of (match[2] ?? '').matchAll(LINK_PARAM)) {
        const name = (param[1] as string).toLowerCase();
        if (!params.has(name)) params.set(name, (param[2] ?? param[3] ?? '').trim());
      }
      const named = classifyLink(
        {
          rel: params.get('rel') ?? '',
          as: params.get('as') ?? '',
          type: params.get('type') ?? '',
          hreflang: params.get('hreflang'),
        },
        match[1] ?? '',
        base,
        'Link header ',
      );
      if (named === null) continue;
      if ('alternate' in named) alternates.push(named.alternate);
      else scripts.push(named);
    }
  }
  return { scripts, alternates };
}

/** The module URLs of an import map (`imports` and every `scopes` entry); a bad map names none. */
function importMapModules(json: string, base: URL): ScriptRef[] {
  let map: unknown;
  try {
    map = JSON.parse(json);
  } catch {
    return [];
  }
  if (typeof map !== 'object' || map === null) return [];
  const { imports, scopes } = map as { imports?: unknown; scopes?: unknown };
  const tables = [imports, ...(typeof scopes === 'object' && scopes !== null ? Object.values(scopes) : [])];
  const refs: ScriptRef[] = [];
  for (const table of tables) {
    if (typeof table !== 'object' || table === null) continue;
    for (const target of Object.values(table)) {
      // A prefix mapping ("lib/": "/js/lib/") names a folder, not a module.
      if (typeof target !== 'string' || target.endsWith('/')) continue;
      const url = resolveLink(target, base);
      if (url) refs.push({ url, kind: 'module', reason: 'import map' });
    }
  }
  return refs;
}

function isJavaScriptType(type: string): boolean {
  if (type === '') return true;
  // Speed apps and Partytown change the type so the browser leaves the script for their loader.
  return /javascript|ecmascript|module|babel|partytown|lazyload|rocket/.test(type);
}

/** Where a tag's attributes are (from `start` to `stop`) and where the tag ends. */
interface TagSpan {
  start: number;
  stop: number;
  end: number;
}

/**
 * The next comment or tag of interest at or after `from`, as the pattern above would find it;
 * comments are skipped. Returns its name, lower-cased, and puts where it is into `tag`.
 */
function nextTag(html: string, from: number, tag: TagSpan): string | null {
  for (let at = html.indexOf('<', from); at !== -1; at = html.indexOf('<', at + 1)) {
    const first = html.charCodeAt(at + 1);
    if (first === 0x21) {
      if (!html.startsWith('--', at + 2)) continue;
      const close = html.indexOf('-->', at + 4);
      if (close === -1) return null;
      at = close + 2;
      continue;
    }
    // Most tags are divs, spans and list items: one look at the first letter rules them out.
    const lower = first | 0x20;
    const names = lower < 0x80 ? TAGS_BY_FIRST_LETTER[lower] : undefined;
    if (names === undefined) continue;
    for (const name of names) {
      const after = at + 1 + name.length;
      if (after >= html.length || !isAfterTagName(html.charCodeAt(after))) continue;
      let same = true;
      for (let i = 1; i < name.length && same; i++)
        same = (html.charCodeAt(at + 1 + i) | 0x20) === name.charCodeAt(i);
      if (!same) continue;
      tag.start = after;
      findTagEnd(html, after, tag);
      return name;
    }
  }
  return null;
}

/**
 * Where ATTRIBUTES, then `>` or the end of the page, stop from `from`: at the first `>` outside
 * quotes, or at the end of the page (an unclosed quote runs to it).
 */
function findTagEnd(html: string, from: number, tag: TagSpan): void {
  const length = html.length;
  for (let i = from; i < length; i++) {
    const c = html.charCodeAt(i);
    if (c === 0x3e) {
      tag.stop = i;
      tag.end = i + 1;
      return;
    }
    if (c === 0x22 || c === 0x27) {
      const close = html.indexOf(c === 0x22 ? '"' : "'", i + 1);
      if (close === -1) break;
      i = close;
    }
  }
  tag.stop = length;
  tag.end = length;
}

// By character code, in an array: a Map lookup for every `<` of a page cost as much as finding them.
const TAGS_BY_FIRST_LETTER: Array<string[] | undefined> = Array.from({ length: 0x80 }, () => undefined);
for (const name of TAG_NAMES) {
  const first = name.charCodeAt(0);
  TAGS_BY_FIRST_LETTER[first] = [...(TAGS_BY_FIRST_LETTER[first] ?? []), name];
}

/** `[\s/>]` */
function isAfterTagName(c: number): boolean {
  return c === 0x3e || c === 0x2f || isSpace(c);
}

/**
 * `\s` of a JavaScript regex: ASCII whitespace, U+00A0 (which byte text holds as the last byte of
 * some UTF-8 characters: a regex reads it as a space there too), U+1680, U+2000–U+200A, U+2028,
 * U+2029, U+202F, U+205F, U+3000 and U+FEFF.
 */
function isSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** `[^\s"'>/=]` */
function isNameCode(c: number): boolean {
  return c !== 0x22 && c !== 0x27 && c !== 0x3e && c !== 0x2f && c !== 0x3d && !isSpace(c);
}

/** `[^\s"'=<>\`]` */
function isUnquotedValueCode(c: number): boolean {
  return c !== 0x22 && c !== 0x27 && c !== 0x3d && c !== 0x3c && c !== 0x3e && c !== 0x60 && !isSpace(c);
}

/** Where an attribute's name and value are (an empty value when it has none), and where it ends. */
interface AttributeSpan {
  nameStart: number;
  nameEnd: number;
  valueStart: number;
  valueEnd: number;
  end: number;
}

/**
 * The next attribute at or after `from` before `stop`, put into `attribute`, as the global regex
 * `/([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g` run on the text from `from` to
 * `stop` would match it: the name is as long as it goes, and `= value` is taken only if a value
 * follows whole (a quote closed before `stop`, or one character an unquoted value may hold); else
 * the attribute is its name alone. False when there is none.
 */
function nextAttribute(html: string, from: number, stop: number, attribute: AttributeSpan): boolean {
  let i = from;
  while (i < stop && !isNameCode(html.charCodeAt(i))) i++;
  if (i >= stop) return false;
  attribute.nameStart = i;
  while (i < stop && isNameCode(html.charCodeAt(i))) i++;
  attribute.nameEnd = i;
  attribute.valueStart = i;
  attribute.valueEnd = i;
  attribute.end = i;
  while (i < stop && isSpace(html.charCodeAt(i))) i++;
  if (i >= stop || html.charCodeAt(i) !== 0x3d) return true;
  i++;
  while (i < stop && isSpace(html.charCodeAt(i))) i++;
  if (i >= stop) return true;
  const c = html.charCodeAt(i);
  if (c === 0x22 || c === 0x27) {
    const close = html.indexOf(c === 0x22 ? '"' : "'", i + 1);
    if (close === -1 || close >= stop) return true;
    attribute.valueStart = i + 1;
    attribute.valueEnd = close;
    attribute.end = close + 1;
    return true;
  }
  if (!isUnquotedValueCode(c)) return true;
  attribute.valueStart = i;
  while (i < stop && isUnquotedValueCode(html.charCodeAt(i))) i++;
  attribute.valueEnd = i;
  attribute.end = i;
  return true;
}

/**
 * The decoded value of one attribute (the first if repeated, as in browsers) of the tag whose
 * attributes run from `start` to `stop`, without reading the others'. `wanted` is lower-case ASCII
 * letters: a name is it when each character is the letter in either case (no other character
 * lower-cases to an ASCII letter but the Kelvin sign, to `k`).
 */
function attributeValue(
  html: string,
  start: number,
  stop: number,
  wanted: string,
  attribute: AttributeSpan,
  decode?: (part: string) => string,
): string | undefined {
  for (let at = start; nextAttribute(html, at, stop, attribute); at = attribute.end) {
    if (attribute.nameEnd - attribute.nameStart !== wanted.length) continue;
    let same = true;
    for (let i = 0; i < wanted.length && same; i++)
      same = (html.charCodeAt(attribute.nameStart + i) | 0x20) === wanted.charCodeAt(i);
    if (!same) continue;
    const value = html.slice(attribute.valueStart, attribute.valueEnd);
    return decodeEntities(decode === undefined ? value : decode(value));
  }
  return undefined;
}

/** Attribute names (lower-cased) to decoded values; the first of a repeated attribute wins, as in browsers. */
function parseAttributes(
  html: string,
  start: number,
  stop: number,
  attribute: AttributeSpan,
  decode?: (part: string) => string,
): Map<string, string> {
  const attributes = new Map<string, string>();
  for (let at = start; nextAttribute(html, at, stop, attribute); at = attribute.end) {
    const name = html.slice(attribute.nameStart, attribute.nameEnd).toLowerCase();
    if (attributes.has(name)) continue;
    const value = html.slice(attribute.valueStart, attribute.valueEnd);
    attributes.set(name, decodeEntities(decode === undefined ? value : decode(value)));
  }
  return attributes;
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  sol: '/',
  lowbar: '_',
};

function decodeEntities(value: string): string {
  if (!value.includes('&')) return value;
  return value.replace(/&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|([a-z]{2,8}));?/gi, (whole, dec, hex, name) => {
    if (dec !== undefined || hex !== undefined) {
      const code = dec !== undefined ? Number(dec) : Number.parseInt(hex, 16);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[(name as string).toLowerCase()] ?? whole;
  });
}

function scriptKind(url: URL, fallback: ScriptKind): ScriptKind {
  return isTagManagerContainer(url) ? 'tag-manager' : fallback;
}

/** Google Tag Manager containers, wherever they are served from (`/gtm.js?id=GTM-…`). */
export function isTagManagerContainer(url: URL): boolean {
  return /\/gtm\.js$/.test(url.pathname) && /^GTM-/i.test(url.searchParams.get('id') ?? '');
}

// Absolute (`https://…/x.js`, `//…/x.js`) or root-relative (`/assets/x.js`) script URLs in quotes.
// Sticky: tried only from the opening quotes that urlLiteralStarts finds.
const SCRIPT_URL_LITERAL =
  /["'`]((?:(?:https?:)?\/\/[^"'`\s<>\\]+?|\/[^"'`\s<>\\/][^"'`\s<>\\]*?)\.m?js(?:\?[^"'`\s<>\\]*)?)["'`]/y;
const JSON_URL_LITERAL =
  /["'`]((?:https?:\/\/[^"'`\s<>\\]+?|\/[^"'`\s<>\\/][^"'`\s<>\\]*?)\.json(?:\?[^"'`\s<>\\]*)?)["'`]/y;
const SOURCE_MAP = /\/\/[#@]\s*sourceMappingURL=([^\s'"]+)\s*$/m;
const SRC_ATTRIBUTE = /\bsrc\s*=\s*["']([^"'\s<>\\]+)["']/y;
const GTM_LOADER = /["']((?:https?:)?\/\/[^"'\s]+?\/gtm\.js\?id=)["']\s*\+/g;
const GTM_ID = /["'](GTM-[A-Z0-9]{4,12})["']/g;
// `import("…")` and `import "…"`; `import … from "…"` and `export … from "…"` are found from their
// `from`, looking back over the clause. One pattern spanning the clause tried 300 characters after
// every `import` and `export` word: four seconds for a file of 10 MB of them.
// Both are sticky, tried at each `import` and `from` (anchored.ts): irregexp's own search for a
// pattern that begins with `\b` costs about twice as much.
const MODULE_LOAD = /\bimport\s*(?:\(\s*)?["'`]([^"'`\s]+)["'`]/y;
const FROM_SPECIFIER = /\bfrom\s*["'`]([^"'`\s]+)["'`]/y;
const CLAUSE_KEYWORD = /\b(?:import|export)\b/;
const MAX_CLAUSE = 320;

/**
 * Script URLs that code loads by itself: `.js` URL literals, same-site `.json` it may fetch, its source
 * map, `src="…"` inside markup strings
 * (tag-manager custom HTML tags), the standard Google Tag Manager loader (`'…/gtm.js?id='+i` with the
 * container ID passed in), and module imports. JavaScript string escapes are undone first because tag
 * managers store their tags JSON-escaped.
 */
export function findScriptUrlsInCode(code: string, base: URL): ScriptRef[] {
  const text = unescapeJs(code);
  const found = new Map<string, ScriptRef>();
  const add = (raw: string, kind: ScriptKind, reason: string) => {
    const url = resolveLink(raw, base);
    // A tag-manager loader URL without its container ID is only half a URL.
    if (!url || (/\/gtm\.js$/.test(url.pathname) && !isTagManagerContainer(url))) return;
    if (!found.has(url.href)) found.set(url.href, { url, kind: scriptKind(url, kind), reason });
  };
  // Both URL patterns are quoted strings holding `.js`, `.mjs` or `.json`: they are tried from the
  // quote that opens such a string, not from every quote of the code (a fifth of a scan's time in code).
  const literalStarts = urlLiteralStarts(text);
  forEachMatchAt(SCRIPT_URL_LITERAL, text, literalStarts, (match) =>
    add(match[1] ?? '', 'referenced', 'script URL in code'),
  );
  forEachMatchAt(SRC_ATTRIBUTE, text, positionsOf(text, 'src'), (match) => {
    const raw = match[1] ?? '';
    if (/\.m?js(?:[?#]|$)|\/gtm\.js\?/i.test(raw)) add(raw, 'referenced', 'script tag in code');
  });
  // Every loader holds `?id=`, which is rare in code and found far faster than the pattern's quotes.
  const loaders = text.includes('?id=') ? [...text.matchAll(GTM_LOADER)].map((match) => match[1] ?? '') : [];
  if (loaders.length > 0) {
    const ids = new Set([...text.matchAll(GTM_ID)].map((match) => match[1] ?? ''));
    for (const loader of loaders)
      for (const id of ids) add(`${loader}${id}`, 'tag-manager', 'tag-manager loader');
  }
  for (const raw of moduleSpecifiers(text)) {
    if (/^(?:\.{0,2}\/|https?:)/.test(raw)) add(raw, 'module', 'import');
  }
  forEachMatchAt(JSON_URL_LITERAL, text, literalStarts, (match) =>
    add(match[1] ?? '', 'data', 'JSON URL in code'),
  );
  // Production source maps often carry the original source, bundled environment values included.
  const sourceMap = SOURCE_MAP.exec(code.slice(-2_000))?.[1];
  if (sourceMap !== undefined && !sourceMap.startsWith('data:')) add(sourceMap, 'source-map', 'source map');
  return [...found.values()];
}

/**
 * Where a match of SCRIPT_URL_LITERAL or JSON_URL_LITERAL may start, ascending: for each `.js` and
 * `.mjs` (which `.json` starts with), the nearest quote before it, unless a character no such URL
 * holds (ASCII space, `<`, `>`, a backslash) comes first. A match's quoted part holds none of those
 * nor a quote, so its opening quote is among these. Each character is read back once: the search
 * from one `js` stops where the one before it began, as what lies beyond was already found.
 */
function urlLiteralStarts(text: string): number[] {
  const starts: number[] = [];
  let examined = 0;
  for (let at = text.indexOf('js'); at !== -1; at = text.indexOf('js', at + 2)) {
    const dot = text.charCodeAt(at - 1) === 0x2e ? at - 1 : at - 2;
    if (text.charCodeAt(dot) !== 0x2e || (dot === at - 2 && text.charCodeAt(at - 1) !== 0x6d)) continue;
    for (let j = dot - 1; j >= examined; j--) {
      const c = text.charCodeAt(j);
      if (c === 0x22 || c === 0x27 || c === 0x60) {
        starts.push(j);
        break;
      }
      if (c === 0x5c || c === 0x3c || c === 0x3e || c === 0x20 || (c >= 0x09 && c <= 0x0d)) break;
    }
    examined = dot;
  }
  return starts;
}

/** What may stand between `import`/`export` and `from`: names, `*`, braces, commas, spaces. */
function isClauseCode(c: number): boolean {
  return (
    isWordCode(c) ||
    c === 0x24 ||
    c === 0x2a ||
    c === 0x7b ||
    c === 0x7d ||
    c === 0x2c ||
    c === 0x20 ||
    (c >= 0x09 && c <= 0x0d)
  );
}

function isWordCode(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}

/** The specifiers of a module's static and dynamic imports and re-exports, in the order written. */
function moduleSpecifiers(text: string): string[] {
  const found: Array<readonly [number, string]> = [];
  forEachMatchAt(MODULE_LOAD, text, positionsOf(text, 'import'), (match) =>
    found.push([match.index, match[1] as string]),
  );
  forEachMatchAt(FROM_SPECIFIER, text, positionsOf(text, 'from'), (match) => {
    const limit = Math.max(0, match.index - MAX_CLAUSE);
    let start = match.index;
    while (start > limit && isClauseCode(text.charCodeAt(start - 1))) start--;
    if (CLAUSE_KEYWORD.test(text.slice(start, match.index))) found.push([start, match[1] as string]);
  });
  return found.sort((a, b) => a[0] - b[0]).map(([, specifier]) => specifier);
}

const CSS_IMPORT = /@import\s+(?:url\(\s*)?(?:"([^"]*)"|'([^']*)'|([^\s'");]+))/gi;

/** Stylesheets a stylesheet pulls in with `@import` (other `url(…)`s are images and fonts). */
export function findStylesheetImports(css: string, base: URL): ScriptRef[] {
  if (!css.includes('@import')) return [];
  const refs: ScriptRef[] = [];
  for (const match of css.matchAll(CSS_IMPORT)) {
    const url = resolveLink(match[1] ?? match[2] ?? match[3] ?? '', base);
    if (url) refs.push({ url, kind: 'stylesheet', reason: '@import' });
  }
  return refs;
}

/** Undoes the JavaScript string escapes that hide URLs and markup (`\/`, `\x3c`, `\u003c`, doubled backslashes). */
export function unescapeJs(text: string): string {
  let i = text.indexOf('\\');
  if (i === -1) return text;
  // From backslash to backslash by indexOf, and a sticky match at each run: the same result as a
  // global replace, at a seventh of its cost on bundles full of \" (the replace calls back per escape).
  let out = '';
  let copied = 0;
  while (i !== -1) {
    JS_ESCAPE.lastIndex = i;
    const match = JS_ESCAPE.exec(text);
    if (match === null) {
      let runEnd = i;
      while (text.charCodeAt(runEnd) === 0x5c) runEnd++;
      i = text.indexOf('\\', runEnd);
      continue;
    }
    out += text.slice(copied, i) + escapedValue(match);
    copied = JS_ESCAPE.lastIndex;
    i = text.indexOf('\\', copied);
  }
  return copied === 0 ? text : out + text.slice(copied);
}

function escapedValue(match: RegExpExecArray): string {
  const [, , braced, unicode, hex, plain] = match;
  if (braced !== undefined) return safeCodePoint(Number.parseInt(braced, 16));
  if (unicode !== undefined || hex !== undefined)
    return String.fromCharCode(Number.parseInt(unicode ?? hex ?? '', 16));
  return plain ?? '';
}

// An escape with any number of backslashes, tried at the first backslash of each run (never inside
// one), taking the run whole (lookahead capture), so a long run of backslashes is read once.
const JS_ESCAPE = /(?=(\\+))\1(?:u\{([0-9a-fA-F]{1,6})\}|u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|([/"']))/y;

function safeCodePoint(code: number): string {
  return code <= 0x10ffff ? String.fromCodePoint(code) : '';
}

/**
 * `<loc>` entries of a sitemap or sitemap index, and whether it is an index. Parsed as XML by cheerio,
 * loaded on first use: most scans read one or two sitemaps and start-up time matters to the CLI.
 */
export async function parseSitemap(xml: string): Promise<{ index: boolean; locations: string[] }> {
  const { load } = await import('cheerio/slim');
  const $ = load(xml, { xml: true });
  const index = $('sitemapindex').length > 0;
  const locations = $('loc')
    .map((_, element) => $(element).text().trim())
    .get()
    .filter((location) => location !== '');
  return { index, locations };
}

/** `Sitemap:` lines of a robots.txt. */
export function sitemapsFromRobots(robots: string): string[] {
  const found: string[] = [];
  for (const match of robots.matchAll(/^\s*sitemap\s*:\s*(\S+)/gim)) found.push(match[1] ?? '');
  return found;
}
