import { load } from 'cheerio/slim';
import { resolveLink } from './url-scope.js';

/** How a page loads a script; tag-manager containers are named so the report can say so. */
export type ScriptKind = 'classic' | 'module' | 'preload' | 'tag-manager' | 'referenced';

export interface ScriptRef {
  url: URL;
  kind: ScriptKind;
}

export interface PageLinks {
  /** Links and frames to other pages (any host; the crawler decides what is in scope). */
  pages: URL[];
  scripts: ScriptRef[];
}

/**
 * Reads the links and scripts of an HTML page. htmlparser2 (cheerio's slim entry) is used because
 * storefront HTML is large and we only need attributes, not a spec-exact tree.
 */
export function extractFromHtml(html: string, pageUrl: URL): PageLinks {
  const $ = load(html);
  const baseHref = $('base[href]').first().attr('href');
  const base = (baseHref && resolveLink(baseHref, pageUrl)) || pageUrl;
  const pages: URL[] = [];
  const scripts: ScriptRef[] = [];

  $('a[href], area[href], iframe[src], frame[src]').each((_, element) => {
    const raw = element.attribs.href ?? element.attribs.src;
    const url = raw === undefined ? null : resolveLink(raw, base);
    if (url) pages.push(url);
  });

  $('script').each((_, element) => {
    const src = element.attribs.src;
    if (src !== undefined) {
      const url = resolveLink(src, base);
      if (url)
        scripts.push({
          url,
          kind: scriptKind(url, element.attribs.type === 'module' ? 'module' : 'classic'),
        });
      return;
    }
    const type = (element.attribs.type ?? '').toLowerCase();
    if (type !== '' && !/javascript|ecmascript|module|babel/.test(type)) return;
    scripts.push(...findScriptUrlsInCode($(element).text(), base));
  });

  $('link[href]').each((_, element) => {
    const rel = (element.attribs.rel ?? '').toLowerCase().split(/\s+/);
    const as = (element.attribs.as ?? '').toLowerCase();
    if (rel.includes('modulepreload') || (rel.includes('preload') && as === 'script')) {
      const url = resolveLink(element.attribs.href ?? '', base);
      if (url) scripts.push({ url, kind: scriptKind(url, 'preload') });
    }
  });

  return { pages, scripts };
}

function scriptKind(url: URL, fallback: ScriptKind): ScriptKind {
  return isTagManagerContainer(url) ? 'tag-manager' : fallback;
}

/** Google Tag Manager containers, wherever they are served from (`/gtm.js?id=GTM-…`). */
export function isTagManagerContainer(url: URL): boolean {
  return /\/gtm\.js$/.test(url.pathname) && /^GTM-/i.test(url.searchParams.get('id') ?? '');
}

const SCRIPT_URL_LITERAL = /["'`]((?:https?:)?\/\/[^"'`\s<>\\]+?\.m?js(?:\?[^"'`\s<>\\]*)?)["'`]/g;
const SRC_ATTRIBUTE = /\bsrc\s*=\s*["']([^"'\s<>\\]+)["']/g;
const GTM_LOADER = /["']((?:https?:)?\/\/[^"'\s]+?\/gtm\.js\?id=)["']\s*\+/g;
const GTM_ID = /["'](GTM-[A-Z0-9]{4,12})["']/g;
const MODULE_IMPORT =
  /(?:\bimport\s*\(\s*|\bimport\s*(?:[\w*{}\s,$]{1,300}?from\s*)?|\bexport\s*[\w*{}\s,$]{1,300}?from\s*)["'`]([^"'`\s]+)["'`]/g;

/**
 * Script URLs that code loads by itself: absolute `.js` URL literals, `src="…"` inside markup strings
 * (tag-manager custom HTML tags), the standard Google Tag Manager loader (`'…/gtm.js?id='+i` with the
 * container ID passed in), and module imports. JavaScript string escapes are undone first because tag
 * managers store their tags JSON-escaped.
 */
export function findScriptUrlsInCode(code: string, base: URL): ScriptRef[] {
  const text = unescapeJs(code);
  const found = new Map<string, ScriptRef>();
  const add = (raw: string, kind: ScriptKind) => {
    const url = resolveLink(raw, base);
    // A tag-manager loader URL without its container ID is only half a URL.
    if (!url || (/\/gtm\.js$/.test(url.pathname) && !isTagManagerContainer(url))) return;
    if (!found.has(url.href)) found.set(url.href, { url, kind: scriptKind(url, kind) });
  };
  for (const match of text.matchAll(SCRIPT_URL_LITERAL)) add(match[1] ?? '', 'referenced');
  for (const match of text.matchAll(SRC_ATTRIBUTE)) {
    const raw = match[1] ?? '';
    if (/\.m?js(?:[?#]|$)|\/gtm\.js\?/i.test(raw)) add(raw, 'referenced');
  }
  const loaders = [...text.matchAll(GTM_LOADER)].map((match) => match[1] ?? '');
  if (loaders.length > 0) {
    const ids = new Set([...text.matchAll(GTM_ID)].map((match) => match[1] ?? ''));
    for (const loader of loaders) for (const id of ids) add(`${loader}${id}`, 'tag-manager');
  }
  for (const match of text.matchAll(MODULE_IMPORT)) {
    const raw = match[1] ?? '';
    if (/^(?:\.{0,2}\/|https?:)/.test(raw)) add(raw, 'module');
  }
  return [...found.values()];
}

/** Undoes the JavaScript string escapes that hide URLs and markup (`\/`, `\x3c`, `\u003c`, doubled backslashes). */
export function unescapeJs(text: string): string {
  if (!text.includes('\\')) return text;
  return text
    .replace(/\\+u\{([0-9a-fA-F]{1,6})\}/g, (_, hex: string) => safeCodePoint(Number.parseInt(hex, 16)))
    .replace(/\\+u([0-9a-fA-F]{4})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
    .replace(/\\+x([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
    .replace(/\\+([/"'])/g, '$1');
}

function safeCodePoint(code: number): string {
  return code <= 0x10ffff ? String.fromCodePoint(code) : '';
}

/** `<loc>` entries of a sitemap or sitemap index, and whether it is an index. */
export function parseSitemap(xml: string): { index: boolean; locations: string[] } {
  const index = /<sitemapindex[\s>]/i.test(xml);
  const locations: string[] = [];
  for (const match of xml.matchAll(/<loc>\s*(?:<!\[CDATA\[)?\s*([^<\]\s]+)\s*(?:\]\]>)?\s*<\/loc>/gi)) {
    locations.push(decodeXmlEntities(match[1] ?? ''));
  }
  return { index, locations };
}

function decodeXmlEntities(value: string): string {
  return value
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'");
}

/** `Sitemap:` lines of a robots.txt. */
export function sitemapsFromRobots(robots: string): string[] {
  const found: string[] = [];
  for (const match of robots.matchAll(/^\s*sitemap\s*:\s*(\S+)/gim)) found.push(match[1] ?? '');
  return found;
}
