import { Buffer } from 'node:buffer';
import { markedRuns, PRESENCE_LITERALS } from './body-facts.js';
import {
  findNextChunks,
  findNuxtPrerenderedRoutes,
  findParcelBundles,
  findViteDeps,
  findWebpackChunkIds,
  findWebpackNamers,
  nextBaseOf,
  type WebpackChunkNamer,
} from './bundlers.js';
import { decodeForScan, decodeText, textOfBytes } from './decode.js';
import { maySplitKey, scanText } from './detector.js';
import {
  extractFromHtml,
  findScriptUrlsInCode,
  findStylesheetImports,
  type ScriptKind,
  type ScriptRef,
} from './extract.js';
import { type HtmlLocation, locateInHtml } from './html-location.js';
import type { KeyHit } from './types.js';
import { resolveLink } from './url-scope.js';

/**
 * What the crawler needs from one page or script it fetched: the keys in it and what it names.
 * Everything here is a pure function of the bytes and the URL (plus a memo of links already handled
 * in this scan), so it runs in a worker thread (analysis-pool.ts) while the crawler keeps fetching.
 * URLs travel as strings: a URL object cannot cross threads.
 */
export interface AnalysisRequest {
  /**
   * `page`: HTML (by type or content) is scanned as HTML and its links read. `code`: a script,
   * stylesheet or JSON file, and what it loads. `error-page`: an error page, HTML only by its content,
   * links not followed. `text`: keys only (sitemaps, robots.txt, a script's error page).
   */
  kind: 'page' | 'code' | 'error-page' | 'text';
  /** The content as read (after content decoding). Handed over: the caller must not use it after. */
  body: Uint8Array;
  contentType: string;
  /** Where the content came from after redirects. */
  url: string;
  /** Code: how it was named; for an app manifest, the URL its routes are paths under. */
  scriptKind?: ScriptKind;
  routeBase?: string;
  /** Code: whether to read what it loads (the chain may be too long, or it may be a source map). */
  follow?: boolean;
  /** Code: whether the crawl still takes webpack runtimes (it keeps a bounded number). */
  findNamers?: boolean;
  /**
   * The body's base64 runs that may give the detector something (`bodyFacts`: start, end, flags), when
   * the sending thread worked them out; used only if the text to scan is the body's bytes as they are.
   */
  runs?: Int32Array;
  /**
   * Which of PRESENCE_LITERALS (body-facts.ts) the body holds, when the sending thread worked it out;
   * used when the text is UTF-8 (or its bytes), where an ASCII literal is in the text if in the bytes.
   */
  present?: number;
}

/** A key hit, with the part of the page it sits in when the resource is HTML. */
export interface LocatedKeyHit extends KeyHit {
  location?: HtmlLocation;
}

export interface RefData {
  url: string;
  kind: ScriptKind;
  reason: string;
  routeBase?: string;
}

/** What code names, in the order the crawler used to find it: scripts to fetch, or pages (Next.js routes). */
export type CodeRef = ({ type: 'script' } & RefData) | { type: 'page'; url: string; reason: string };

export interface NamerData extends Omit<WebpackChunkNamer, 'base'> {
  base: string;
}

/**
 * A link to a page, as the crawl de-duplicates it: site-wide navigation repeats the same links on
 * every page, and an absolute or root-relative link handled on an earlier page is not looked at again.
 * `key` is the link as written, made absolute by origin ('' for a relative link, never de-duplicated).
 */
export interface PageLink {
  key: string;
  href: string;
}

export interface Analysis {
  /** Whether the content is HTML (by its type or its first characters); only for pages. */
  html: boolean;
  privateKeys: LocatedKeyHit[];
  /** Key-shaped strings that look made up (detector.ts), placed like keys. */
  placeholders: LocatedKeyHit[];
  /** Site IDs used, and what showed each (their places are not needed: a report counts uses). */
  publicKeys: { key: string; via: string }[];
  /** An HTML page's links, alternates and scripts, in document order. */
  links?: { pages: PageLink[]; alternates: string[]; scripts: RefData[] };
  /** Why an HTML page's links could not be read. */
  linkError?: string;
  refs?: CodeRef[];
  namers?: NamerData[];
  chunkIds?: string[];
  /** The webpack app (chunk-loading global) of a file with a runtime or chunk loads; '' when unknown. */
  webpackApp?: string;
}

/**
 * An analysis as it crosses threads: page links are numbers in the analyzer's table of links, and
 * the links it had not reported before come with it (so each distinct link crosses once).
 */
export interface WireAnalysis extends Omit<Analysis, 'links'> {
  /** `pages`: a number n ≥ 0 is the table's link n; -n is `looseLinks[n - 1]`. */
  links?: { pages: number[]; alternates: string[]; scripts: RefData[] };
  /** Links numbered by this analysis, in order: the table's next entries. */
  newLinks?: PageLink[];
  /** Links not numbered: relative ones, and any past the table's size. */
  looseLinks?: PageLink[];
}

/**
 * Occurrences kept per key in a scan (findings.ts): a resource's later hits of a key cannot be kept,
 * so their place in the page is not worked out.
 */
const MAX_LOCATED_PER_KEY = 1_000;
/** Distinct page links numbered per scan; past it a link is resolved and sent each time it is seen. */
const MAX_NUMBERED_LINKS = 200_000;

/** Analyses the resources of one scan. */
export class ResourceAnalyzer {
  /**
   * Page links resolved so far: their number in the table, or null when they name no URL. Absolute
   * links by the link as written; root-relative ones by origin, then by the link as written, so that a
   * link seen again is looked up without building its key (hashing a fresh string on every link of
   * every page cost more than resolving the new ones).
   */
  readonly #absolute = new Map<string, number | null>();
  readonly #rootRelative = new Map<string, Map<string, number | null>>();
  #size = 0;
  #numbered = 0;
  #lastBase: URL | undefined;
  #lastOrigin = '';
  #lastOriginLinks: Map<string, number | null> = new Map();

  /** A page link's number (or -n for `loose[n - 1]`), resolving it only the first time it is seen. */
  #pageLink(raw: string, base: URL, fresh: PageLink[], loose: PageLink[]): number | null {
    let known: Map<string, number | null> | undefined;
    if (raw.startsWith('/') && !raw.startsWith('//')) {
      if (base !== this.#lastBase) {
        this.#lastBase = base;
        if (base.origin !== this.#lastOrigin) {
          this.#lastOrigin = base.origin;
          let links = this.#rootRelative.get(this.#lastOrigin);
          if (links === undefined) {
            links = new Map();
            this.#rootRelative.set(this.#lastOrigin, links);
          }
          this.#lastOriginLinks = links;
        }
      }
      known = this.#lastOriginLinks;
    } else if (/^https?:/i.test(raw)) known = this.#absolute;
    if (known !== undefined) {
      const n = known.get(raw);
      if (n !== undefined) return n;
    }
    const url = resolveLink(raw, base);
    const room = this.#size < MAX_NUMBERED_LINKS;
    const key = known === undefined ? '' : known === this.#absolute ? raw : `${this.#lastOrigin}${raw}`;
    if (url === null) {
      if (known !== undefined && room) {
        known.set(raw, null);
        this.#size++;
      }
      return null;
    }
    if (known !== undefined && room) {
      const n = this.#numbered++;
      known.set(raw, n);
      this.#size++;
      fresh.push({ key, href: url.href });
      return n;
    }
    loose.push({ key, href: url.href });
    return -loose.length;
  }

  analyze(request: AnalysisRequest): WireAnalysis {
    const body = Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength);
    const isPage = request.kind === 'page' || request.kind === 'error-page';
    const decoded = decodeForScan(body, request.contentType, isPage);
    let text = decoded.text;
    let bytes = decoded.bytes;
    const url = new URL(request.url);
    const html =
      (request.kind === 'page' && request.contentType.includes('html')) ||
      (isPage && /^\s*</.test(text.slice(0, 256)));
    // Byte text finds the same keys at the same places, but a key's column, snippet and context count
    // characters: a page with a key (few have one) is scanned again as text, so byte text only has to
    // say whether there is one. Keys split by markup are looked for in the text only.
    const runs = request.runs !== undefined && decoded.latin1 ? markedRuns(request.runs) : undefined;
    const present =
      request.present !== undefined && decoded.utf8
        ? { literals: PRESENCE_LITERALS, bits: request.present }
        : undefined;
    const scan = scanText(text, {
      html: html && !bytes,
      ...(runs === undefined ? {} : { runs }),
      ...(present === undefined ? {} : { present }),
    });
    let { privateKeys, placeholders } = scan;
    if (bytes && (privateKeys.length > 0 || placeholders.length > 0 || (html && maySplitKey(text)))) {
      // The same charset (UTF-8): what the bytes said of the literals still holds.
      text = decodeText(body, request.contentType);
      bytes = false;
      ({ privateKeys, placeholders } = scanText(text, {
        html,
        ...(present === undefined ? {} : { present }),
      }));
    }
    const analysis: WireAnalysis = {
      html,
      privateKeys: html ? locate(text, privateKeys) : privateKeys,
      placeholders: html ? locate(text, placeholders) : placeholders,
      publicKeys: scan.publicKeys.map(({ key, via }) => ({ key, via })),
    };
    if (html && request.kind === 'page') {
      try {
        const fresh: PageLink[] = [];
        const loose: PageLink[] = [];
        const links = extractFromHtml(text, url, (raw, base) => this.#pageLink(raw, base, fresh, loose), {
          ...(bytes ? { decode: textOfBytes } : {}),
        });
        analysis.links = {
          pages: links.pages,
          alternates: links.alternates.map((alternate) => alternate.href),
          scripts: links.scripts.map(refData),
        };
        if (fresh.length > 0) analysis.newLinks = fresh;
        if (loose.length > 0) analysis.looseLinks = loose;
      } catch (error) {
        analysis.linkError = String(error);
      }
    } else if (request.kind === 'code' && request.follow === true) {
      Object.assign(analysis, followCode(text, url, request));
    }
    return analysis;
  }
}

function refData(ref: ScriptRef): RefData {
  return {
    url: ref.url.href,
    kind: ref.kind,
    reason: ref.reason,
    ...(ref.routeBase === undefined ? {} : { routeBase: ref.routeBase.href }),
  };
}

function locate(html: string, hits: KeyHit[]): LocatedKeyHit[] {
  const perKey = new Map<string, number>();
  return hits.map((hit) => {
    const seen = (perKey.get(hit.key) ?? 0) + 1;
    perKey.set(hit.key, seen);
    return seen > MAX_LOCATED_PER_KEY ? hit : { ...hit, location: locateInHtml(html, hit.offset) };
  });
}

/**
 * What a script, stylesheet or JSON file names in turn: URLs in its code, its bundler's chunks, a
 * stylesheet's `@import`s.
 */
function followCode(
  text: string,
  url: URL,
  request: AnalysisRequest,
): Pick<Analysis, 'refs' | 'namers' | 'chunkIds' | 'webpackApp'> {
  if (request.scriptKind === 'app-manifest') {
    if (request.routeBase === undefined) return {};
    return {
      refs: findNuxtPrerenderedRoutes(text, new URL(request.routeBase)).map((ref) => ({
        type: 'page' as const,
        url: ref.url.href,
        reason: ref.reason,
      })),
    };
  }
  if (request.scriptKind === 'stylesheet') {
    return {
      refs: findStylesheetImports(text, url).map((ref) => ({ type: 'script' as const, ...refData(ref) })),
    };
  }
  const refs: CodeRef[] = findScriptUrlsInCode(text, url).map((ref) => ({ type: 'script', ...refData(ref) }));
  for (const ref of findViteDeps(text, url)) refs.push({ type: 'script', ...refData(codeRef(ref)) });
  for (const ref of findParcelBundles(text, url)) refs.push({ type: 'script', ...refData(codeRef(ref)) });
  const nextBase = nextBaseOf(url);
  if (nextBase !== undefined) {
    for (const ref of findNextChunks(text, nextBase)) {
      refs.push(
        ref.kind === 'page'
          ? { type: 'page', url: ref.url.href, reason: ref.reason }
          : { type: 'script', ...refData(codeRef(ref)) },
      );
    }
  }
  const namers =
    request.findNamers === true
      ? findWebpackNamers(text, url).map((namer) => ({ ...namer, base: namer.base.href }))
      : [];
  const chunkIds = findWebpackChunkIds(text);
  return {
    refs,
    namers,
    chunkIds,
    ...(namers.length > 0 || chunkIds.length > 0 ? { webpackApp: webpackAppOf(text) } : {}),
  };
}

const WEBPACK_CHUNK_GLOBAL = /\b(?:webpack|rspack)Chunk[\w$-]*/;

/**
 * The app a webpack/rspack file belongs to: its chunk-loading global (`self.webpackChunk_N_E`,
 * `webpackChunk<package name>` by default), which the runtime and every chunk of one build share.
 */
function webpackAppOf(code: string): string {
  return WEBPACK_CHUNK_GLOBAL.exec(code)?.[0] ?? '';
}

/** A bundler's file as something to fetch. */
function codeRef(ref: { url: URL; kind: 'script' | 'stylesheet' | 'page'; reason: string }): ScriptRef {
  return { url: ref.url, kind: ref.kind === 'stylesheet' ? 'stylesheet' : 'referenced', reason: ref.reason };
}
