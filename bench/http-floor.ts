import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Fetcher, fetchPolicyOf } from '../src/scan/fetcher.js';
import { DEFAULT_SCAN_OPTIONS } from '../src/scan/options.js';

/** What one run of the floor did: files asked for, HTTP requests sent, decoded bytes read, failures. */
export interface FloorCounts {
  files: number;
  requests: number;
  bytes: number;
  failures: number;
}

/**
 * The benchmark's floor: the scan's own HTTP client (the Fetcher, with the policy a default scan gives
 * it) fetching every file the site serves, once, and doing nothing with the bodies. It keeps the scan's
 * largest number of requests in flight (32) from the first request, where a scan starts at 8 and adds
 * more as the site keeps up, and it reads no links and analyses nothing. So it is a reference time for
 * fetching the site with this client at all, not a proven bound: another order or window might be a
 * little faster. The bench prints it beside the scan and the peers to show how much of a ratio is the
 * analysis and how much is fetching.
 *
 * Usage: node http-floor.js <origin> <file with one site path per line>. Prints the counts as one
 * line of JSON.
 */
export async function fetchAll(origin: string, paths: string[]): Promise<FloorCounts> {
  const options = DEFAULT_SCAN_OPTIONS;
  const fetcher = new Fetcher(fetchPolicyOf({ ...options, allowPrivateNetworks: true }));
  let next = 0;
  let failures = 0;
  const lane = async () => {
    while (next < paths.length) {
      const path = paths[next++] as string;
      try {
        await fetcher.fetch({ url: new URL(path, origin) });
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
  // The scan's report counts its bytes the same way (stats.bytesFetched).
  return { files: paths.length, requests: fetcher.requestsSent, bytes: fetcher.bytesRead, failures };
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
