import type { CrawledPage } from '../crawler.js';

/** What makes two pages the same template: the scripts they load, and the shape of their URL. */
export interface PageTemplate {
  url: string;
  /** The scripts' URLs without query or fragment (`app.js?v=12` and `app.js?v=13` are one script), sorted. */
  scripts: string;
  /** `/products/*`: the first path segment, then one `*` per further segment. */
  pattern: string;
}

export function templateOf(page: CrawledPage): PageTemplate {
  const scripts = new Set<string>();
  for (const raw of page.scripts) {
    try {
      const url = new URL(raw);
      scripts.add(`${url.host}${url.pathname}`);
    } catch {
      // A script URL the crawler produced is always valid; a malformed one carries no template.
    }
  }
  return { url: page.url, scripts: [...scripts].sort().join(' '), pattern: urlPattern(page.url) };
}

export function urlPattern(raw: string): string {
  const url = new URL(raw);
  const segments = url.pathname.split('/').filter((segment) => segment !== '');
  if (segments.length === 0) return `${url.host}/`;
  const [first, ...rest] = segments as [string, ...string[]];
  const head = /^[a-z][a-z_-]*$/i.test(first) && first.length <= 30 ? first.toLowerCase() : '*';
  return `${url.host}/${[head, ...rest.map(() => '*')].join('/')}`;
}

/**
 * The pages to render: the start page, then the first page of each script set not seen yet, then the
 * first page of each URL shape not seen yet, in the order the crawl met them, up to `limit`. Pages of
 * one template run the same code, so one of them shows what all of them send.
 */
export function choosePages(startUrl: string, pages: PageTemplate[], limit: number): string[] {
  const chosen: string[] = [];
  const chosenUrls = new Set<string>();
  const scriptSets = new Set<string>();
  const patterns = new Set<string>();
  const take = (page: PageTemplate | undefined, url: string) => {
    if (chosen.length >= limit || chosenUrls.has(url)) return;
    chosen.push(url);
    chosenUrls.add(url);
    if (page !== undefined) {
      scriptSets.add(page.scripts);
      patterns.add(page.pattern);
    }
  };
  take(
    pages.find((page) => page.url === startUrl),
    startUrl,
  );
  for (const page of pages) if (!scriptSets.has(page.scripts)) take(page, page.url);
  for (const page of pages) if (!patterns.has(page.pattern)) take(page, page.url);
  return chosen;
}
