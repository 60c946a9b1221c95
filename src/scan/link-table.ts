import type { Analysis, PageLink, WireAnalysis } from './analysis.js';

/**
 * Numbers the page links of one analyzer's analyses, on the side that reads them: resolving a link
 * once per scan instead of once per page, and sending each distinct link across threads once.
 */
export class LinkTable {
  readonly #links: PageLink[] = [];

  read(analysis: WireAnalysis): Analysis {
    const { links, newLinks, looseLinks, ...rest } = analysis;
    if (newLinks !== undefined) for (const link of newLinks) this.#links.push(link);
    if (links === undefined) return rest;
    const pages = links.pages.map((n) =>
      n < 0 ? (looseLinks?.[-n - 1] as PageLink) : (this.#links[n] as PageLink),
    );
    return { ...rest, links: { ...links, pages } };
  }
}
