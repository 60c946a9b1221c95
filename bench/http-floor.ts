import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Fetcher } from '../src/scan/fetcher.js';
import { DEFAULT_SCAN_OPTIONS } from '../src/scan/options.js';

/**
 * The benchmark's floor: the scan's own HTTP client (the Fetcher, with the scan's connections and
 * requests in flight) fetching every file the site serves, once, and doing nothing with the bodies.
 * No links are read and nothing is analysed, so no scan built on this client can be faster than this
 * on the same machine; the bench prints it beside the scan and the peers to show how much of a ratio
 * is the analysis and how much is fetching at all.
 *
 * Usage: node http-floor.js <origin> <file with one site path per line>. Prints one line of JSON:
 * requests, bytes and failures.
 */
export async function fetchAll(
  origin: string,
  paths: string[],
): Promise<{ requests: number; bytes: number; failures: number }> {
  const options = DEFAULT_SCAN_OPTIONS;
  const fetcher = new Fetcher({
    allowPrivateNetworks: true,
    timeoutMs: options.requestTimeoutMs,
    maxBytes: options.maxBytesPerResponse,
    maxRedirects: options.maxRedirects,
    userAgent: options.userAgent,
    connections: options.concurrency,
  });
  let next = 0;
  let bytes = 0;
  let failures = 0;
  const lane = async () => {
    while (next < paths.length) {
      const path = paths[next++] as string;
      try {
        const resource = await fetcher.fetch({ url: new URL(path, origin) });
        bytes += resource.body?.byteLength ?? 0;
      } catch {
        failures++;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, lane));
  } finally {
    await fetcher.close();
  }
  return { requests: paths.length, bytes, failures };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [origin, listFile] = process.argv.slice(2);
  if (origin === undefined || listFile === undefined) {
    process.stderr.write('usage: http-floor.js <origin> <paths file>\n');
    process.exit(2);
  }
  const paths = readFileSync(listFile, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
  process.stdout.write(`${JSON.stringify(await fetchAll(origin, paths))}\n`);
}
