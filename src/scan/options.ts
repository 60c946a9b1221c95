/** Every limit of a scan, explicit and validated, so a hostile site costs a bounded amount. */
export interface ScanOptions {
  /** Pages of the site fetched at most (scripts are counted separately). */
  maxPages: number;
  /** Link hops from the start page (sitemap entries count as one hop). */
  maxDepth: number;
  /** Scripts fetched at most. */
  maxScripts: number;
  /**
   * Requests in flight at once, at most: a scan starts with 8 (or fewer, if this is lower) and adds
   * more while the site answers as fast as before (concurrency.ts).
   */
  concurrency: number;
  /** One request, headers and body. */
  requestTimeoutMs: number;
  /** The whole scan; past it the scan stops and says it is incomplete. */
  timeBudgetMs: number;
  /** Decoded bytes read per response; past it reading stops and the report says so. */
  maxBytesPerResponse: number;
  /** Redirect hops followed per request, each checked like the first. */
  maxRedirects: number;
  /** Further tries after a 429, a 5xx or a network failure, with backoff. */
  retries: number;
  /** Longest wait between tries, even when Retry-After asks for more. */
  maxRetryDelayMs: number;
  /** Whether loopback and private-network addresses may be scanned. */
  allowPrivateNetworks: boolean;
  /** Read robots.txt and sitemaps for pages that are not linked. */
  useSitemaps: boolean;
  /**
   * Places to fetch even if nothing links to them any more: a rotation's re-scan revisits every page
   * and script where the key was seen. Pages must be on the site; scripts may be anywhere.
   */
  seeds?: { pages: string[]; scripts: { url: string; page: string }[] };
  /** The site ID the owner expects the pages to use; a different one is a warning. */
  expectPublicKey?: string;
  userAgent: string;
}

export const USER_AGENT = 'klaviyo-checkup/0.1 (+security scan for exposed Klaviyo private keys)';

export const DEFAULT_SCAN_OPTIONS: Readonly<ScanOptions> = Object.freeze({
  maxPages: 200,
  maxDepth: 10,
  maxScripts: 500,
  concurrency: 32,
  requestTimeoutMs: 15_000,
  timeBudgetMs: 300_000,
  maxBytesPerResponse: 10 * 1024 * 1024,
  maxRedirects: 5,
  retries: 2,
  maxRetryDelayMs: 10_000,
  allowPrivateNetworks: false,
  useSitemaps: true,
  userAgent: USER_AGENT,
});

export class OptionError extends Error {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(message);
    this.name = 'OptionError';
  }
}

const INTEGER_RANGES: Partial<Record<keyof ScanOptions, [number, number]>> = {
  maxPages: [1, 100_000],
  maxDepth: [0, 1_000],
  maxScripts: [0, 100_000],
  concurrency: [1, 64],
  requestTimeoutMs: [100, 600_000],
  timeBudgetMs: [1_000, 24 * 3_600_000],
  maxBytesPerResponse: [1_024, 1024 * 1024 * 1024],
  maxRedirects: [0, 20],
  retries: [0, 10],
  maxRetryDelayMs: [0, 600_000],
};

/** Fills defaults and rejects out-of-range limits with a message naming the option. */
export function resolveScanOptions(partial: Partial<ScanOptions> = {}): ScanOptions {
  const options: ScanOptions = { ...DEFAULT_SCAN_OPTIONS };
  for (const [name, value] of Object.entries(partial) as [keyof ScanOptions, unknown][]) {
    if (value !== undefined) (options as unknown as Record<string, unknown>)[name] = value;
  }
  for (const [name, [min, max]] of Object.entries(INTEGER_RANGES) as [
    keyof ScanOptions,
    [number, number],
  ][]) {
    const value = options[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new OptionError(
        name,
        `${name} must be a whole number from ${min} to ${max}, not ${String(value)}`,
      );
    }
  }
  if (options.expectPublicKey !== undefined && !/^[A-Za-z0-9]{6}$/.test(options.expectPublicKey)) {
    throw new OptionError(
      'expectPublicKey',
      'the expected public key (site ID) is 6 letters and digits, e.g. AbC123',
    );
  }
  return options;
}
