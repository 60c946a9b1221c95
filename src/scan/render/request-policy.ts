import { parseHostAddress } from '../address.js';

/**
 * What becomes of one request the browser wants to send. Nothing is ever sent by the browser itself:
 * `fetch` means the scan fetches it and hands the answer to the browser.
 * - `fetch` on the `site` network: under the scan's own address rules (private networks only with
 *   `--allow-private-networks`);
 * - `fetch` on the `public` network: a host the crawl never fetched from, so private and loopback
 *   addresses are refused whatever the flags say;
 * - `hold`: answered by the scan with an empty response, never sent;
 * - `refuse`: the browser sees a network error;
 * - `skip`: images, fonts and media are not fetched (they run no code); the browser sees an error;
 * - `preflight`: a CORS preflight, answered by the scan with every permission asked for, so that the
 *   page goes on to send the request it prepared (which is then judged on its own).
 */
export type RequestVerdict =
  | { action: 'fetch'; network: 'site' | 'public' }
  | { action: 'preflight' }
  | { action: 'hold'; reason: string }
  | { action: 'refuse'; reason: string }
  | { action: 'skip' };

export interface RequestFacts {
  url: URL;
  method: string;
  /** The browser's resource type, in lower case: document, script, fetch, xhr, ping, image, … */
  resourceType: string;
  /** Whether the URL, headers or body hold a Klaviyo private key. */
  carriesKey: boolean;
  /** The page's main frame going to another document (not the first load, not a redirect hop). */
  navigation: boolean;
  /** A CORS preflight (OPTIONS with Access-Control-Request-Method). */
  preflight: boolean;
}

/** The hosts the scan already reached: the site, and every host the crawl fetched pages or scripts from. */
export interface RenderScope {
  isSite(url: URL): boolean;
  isKnownHost(url: URL): boolean;
}

const READ_METHODS = new Set(['GET', 'HEAD']);
const SENDABLE_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const NOT_FETCHED_TYPES = new Set(['image', 'media', 'font']);

export function judgeRequest(facts: RequestFacts, scope: RenderScope): RequestVerdict {
  const { url, method } = facts;
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { action: 'refuse', reason: `${url.protocol.replace(':', '')} URLs are not fetched` };
  // The scan never uses a key it found: the request is evidence, and goes no further.
  if (facts.carriesKey)
    return { action: 'hold', reason: 'it carries a Klaviyo private key, which the scan never sends' };
  if (facts.preflight) return { action: 'preflight' };
  if (NOT_FETCHED_TYPES.has(facts.resourceType)) return { action: 'skip' };
  if (!SENDABLE_METHODS.has(method)) return { action: 'refuse', reason: `${method} requests are not sent` };
  const site = scope.isSite(url);
  // Answering 204 keeps the page where it is: the scan renders this site, not one it sends people to.
  if (facts.navigation && !site)
    return { action: 'hold', reason: 'the page tried to navigate to another site' };
  const known = site || scope.isKnownHost(url);
  // Storefronts load from names; code aiming at a bare address the crawl never met is probing.
  if (!known && parseHostAddress(url.hostname) !== null)
    return { action: 'refuse', reason: 'a bare IP address the site itself does not use' };
  // The site's owner runs the scan, so the page may write to the site; elsewhere only reads go out.
  if (!READ_METHODS.has(method) && !site)
    return { action: 'hold', reason: `a ${method} to another site is not sent` };
  return { action: 'fetch', network: known ? 'site' : 'public' };
}
