import { ScanError } from './errors.js';

/**
 * Turns what a person typed into the URL to scan. A bare host (`shop.example`) means https.
 * Only http and https are accepted; credentials in the URL are dropped so they never reach a log.
 */
export function parseTarget(input: string): URL {
  const trimmed = input.trim().replace(/^<|>$/g, '');
  if (trimmed === '') throw new ScanError('BAD_URL', 'No URL given.');
  const withScheme =
    /^[a-z][a-z0-9+.-]*:/i.test(trimmed) && !/^[^:/]+:\d+/.test(trimmed) ? trimmed : `https://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ScanError('BAD_URL', `"${shorten(trimmed)}" is not a valid URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ScanError(
      'BAD_URL',
      `Only http and https URLs can be scanned, not ${url.protocol.replace(':', '')}.`,
    );
  }
  if (url.hostname === '') throw new ScanError('BAD_URL', `"${shorten(trimmed)}" has no host.`);
  url.username = '';
  url.password = '';
  url.hash = '';
  return url;
}

/** The canonical form used to de-duplicate URLs: no fragment, sorted query, no empty query. */
export function normalizeUrl(url: URL): string {
  // Most links have no query and no fragment; they need no copy.
  if (url.hash === '' && !url.href.includes('?')) return url.href;
  const copy = new URL(url.href);
  copy.hash = '';
  if (copy.search.includes('&')) copy.searchParams.sort();
  // `new URL('…/a?')` keeps a bare "?" in href though its search is empty.
  return copy.search === '' ? copy.href.replace(/\?$/, '') : copy.href;
}

/** Resolves a link found on a page; null when it is not an http(s) URL. */
export function resolveLink(raw: string, base: URL | string): URL | null {
  const value = raw.trim();
  if (value === '' || value.startsWith('#')) return null;
  if (/^(?:mailto|tel|javascript|data|blob|about|sms|ftp|file):/i.test(value)) return null;
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  url.hash = '';
  return url;
}

/**
 * The set of hosts that count as the site. Host includes a non-default port, so another service on
 * the same machine is another site. http and https of the same host are the same site.
 */
export class SiteScope {
  readonly #hosts = new Set<string>();

  constructor(start: URL) {
    this.#hosts.add(start.host);
  }

  includes(url: URL): boolean {
    return this.#hosts.has(url.host);
  }

  /**
   * A start URL that redirects to its `www.` twin (or back) keeps the scan on the site the owner meant;
   * any other host change is off-site.
   */
  acceptStartRedirect(from: URL, to: URL): boolean {
    if (this.includes(to)) return true;
    if (isWwwTwin(from.host, to.host)) {
      this.#hosts.add(to.host);
      return true;
    }
    return false;
  }

  get hosts(): string[] {
    return [...this.#hosts];
  }
}

function isWwwTwin(a: string, b: string): boolean {
  return a === `www.${b}` || b === `www.${a}`;
}

const BINARY_EXTENSIONS = new Set(
  (
    'png jpg jpeg gif webp avif svg ico bmp tif tiff heic mp4 m4v mov webm ogv avi mkv mp3 m4a wav ogg flac ' +
    'woff woff2 ttf otf eot pdf zip gz tgz rar 7z bz2 xz dmg exe msi apk iso bin psd ai eps doc docx xls xlsx ' +
    'ppt pptx csv css wasm map'
  ).split(' '),
);

/** Links to images, media, archives and stylesheets are not pages. */
export function looksLikeNonPage(url: URL): boolean {
  const match = /\.([a-z0-9]{1,5})$/i.exec(url.pathname);
  return match !== null && BINARY_EXTENSIONS.has(match[1]?.toLowerCase() ?? '');
}

function shorten(value: string): string {
  return value.length > 80 ? `${value.slice(0, 77)}...` : value;
}
