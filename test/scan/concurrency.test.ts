import { afterEach, describe, expect, it } from 'vitest';
import { type Analyzer, inlineAnalyzer } from '../../src/scan/analysis-pool.js';
import { AdaptiveWindow } from '../../src/scan/concurrency.js';
import { scanSite } from '../../src/scan/crawler.js';
import { startSite, type TestSite } from '../fixtures/site-server.js';

/** Feeds `count` responses of `ms` and `bytes` and returns the sizes the window took. */
function feed(window: AdaptiveWindow, count: number, ms: number, bytes = 100_000): number[] {
  const sizes: number[] = [];
  for (let i = 0; i < count; i++) {
    window.onResponse(ms, bytes);
    sizes.push(window.size);
  }
  return sizes;
}

describe('the window of requests in flight', () => {
  it('starts at 8 and grows to its maximum while the site answers as fast', () => {
    const window = new AdaptiveWindow(32);
    expect(window.size).toBe(8);
    const sizes = feed(window, 200, 10);
    expect(sizes.at(-1)).toBe(32);
    // Step by step, never past the maximum.
    expect(sizes.every((size, i) => i === 0 || size >= (sizes[i - 1] as number))).toBe(true);
    expect(Math.max(...sizes)).toBe(32);
  });

  it('halves when the site shows strain, then grows again', () => {
    const window = new AdaptiveWindow(32);
    feed(window, 200, 10);
    window.onStrain();
    expect(window.size).toBe(16);
    window.onStrain();
    expect(window.size).toBe(8);
    expect(feed(window, 200, 10).at(-1)).toBe(32);
  });

  it('gives requests back when responses slow down under the load, down to where it started', () => {
    const window = new AdaptiveWindow(32);
    feed(window, 200, 10);
    expect(feed(window, 2_000, 80).at(-1)).toBe(8);
  });

  it('holds to the starting size while responses are large', () => {
    const window = new AdaptiveWindow(32);
    expect(Math.max(...feed(window, 200, 10, 5 * 1024 * 1024))).toBe(8);
  });

  it.each([
    [1, 1],
    [4, 4],
    [8, 8],
  ])('never goes past a maximum of %i', (max, expected) => {
    const window = new AdaptiveWindow(max);
    expect(window.size).toBe(expected);
    expect(Math.max(...feed(window, 100, 1))).toBe(expected);
  });
});

describe('a scan with --concurrency', () => {
  const sites: TestSite[] = [];
  afterEach(async () => {
    await Promise.all(sites.splice(0).map((site) => site.close()));
  });

  it('keeps as many requests open as it was given, and never more', async () => {
    const pages = 60;
    const held: (() => void)[] = [];
    let served = 0;
    let peak = 0;
    const routes: Parameters<typeof startSite>[0] = {
      '/': { body: Array.from({ length: pages }, (_, i) => `<a href="/p${i}">${i}</a>`).join('') },
    };
    let flushing = false;
    // Answers wait until three requests are open (or all the rest are), looked at once per turn of the
    // server's loop: a scan that kept fewer open would stall, one that kept more would show in the peak.
    const flush = () => {
      flushing = false;
      if (held.length < 3 && served + held.length < pages) return;
      served += held.length;
      for (const answer of held.splice(0)) answer();
    };
    for (let i = 0; i < pages; i++) {
      routes[`/p${i}`] = (_req, res) => {
        held.push(() => res.writeHead(200, { 'content-type': 'text/html' }).end(`<p>page ${i}</p>`));
        peak = Math.max(peak, held.length);
        if (!flushing) {
          flushing = true;
          setImmediate(flush);
        }
      };
    }
    const site = await startSite(routes);
    sites.push(site);
    const result = await scanSite(site.url('/'), {
      allowPrivateNetworks: true,
      useSitemaps: false,
      concurrency: 3,
    });
    expect(result.pagesScanned).toBe(pages + 1);
    expect(peak).toBe(3);
  });
});

describe('a scan whose analysis falls behind', () => {
  const sites: TestSite[] = [];
  afterEach(async () => {
    await Promise.all(sites.splice(0).map((site) => site.close()));
  });

  it('keeps requests going while bodies wait for the analysis, and lets only a window of them wait', async () => {
    const pages = 40;
    let served = 0;
    const routes: Parameters<typeof startSite>[0] = {
      '/': { body: Array.from({ length: pages }, (_, i) => `<a href="/p${i}">${i}</a>`).join('') },
    };
    for (let i = 0; i < pages; i++) {
      routes[`/p${i}`] = (_req, res) => {
        served++;
        res.writeHead(200, { 'content-type': 'text/html' }).end(`<p>page ${i}</p>`);
      };
    }
    const site = await startSite(routes);
    sites.push(site);

    // The start page is analysed at once; every other body waits until the test lets it go.
    const inline = inlineAnalyzer();
    const held: (() => void)[] = [];
    let heldEnough: () => void = () => {};
    const sixHeld = new Promise<void>((resolve) => {
      heldEnough = resolve;
    });
    const analyzer: Analyzer = {
      threads: 0,
      close: async () => {},
      analyze: (request) => {
        if (new URL(request.url).pathname === '/') return inline.analyze(request);
        return new Promise((resolve, reject) => {
          held.push(() => inline.analyze(request).then(resolve, reject));
          if (held.length === 6) heldEnough();
        });
      },
    };
    const scan = scanSite(
      site.url('/'),
      { allowPrivateNetworks: true, useSitemaps: false, concurrency: 3 },
      { analyzer },
    );
    // Six bodies wait: three that filled the backlog, and the three that were in flight then. Had a
    // waiting body kept its request's place, the scan would have stopped at three; had the backlog no
    // bound, it would have read all forty.
    await sixHeld;
    expect(served).toBe(6);
    expect(held).toHaveLength(6);
    // From here every analysis goes through as it comes, until the scan ends.
    let done = false;
    const finished = scan.finally(() => {
      done = true;
    });
    const release = () => {
      for (const go of held.splice(0)) go();
      if (!done) setImmediate(release);
    };
    release();
    const result = await finished;
    expect(result.pagesScanned).toBe(pages + 1);
  });
});
