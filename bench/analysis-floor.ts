import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnalysisRequest } from '../src/scan/analysis.js';
import { createAnalyzer } from '../src/scan/analysis-pool.js';
import type { ScriptKind } from '../src/scan/extract.js';
import { fingerprintKey } from '../src/scan/redact.js';
import { loadSite, type StaticFile } from './static-server.js';

/** What one run of the analysis floor did, and when its analysis started and ended. */
export interface AnalysisFloorCounts {
  files: number;
  bytes: number;
  /** Fingerprints of the distinct private keys the analysis found, sorted: never a key itself. */
  fingerprints: string[];
  /** Milliseconds from the process's start to its first analysis, and spent analysing. */
  readMs: number;
  analysisMs: number;
}

/** Analyses in flight at once, as many as the scan keeps requests in flight at most. */
const IN_FLIGHT = 32;

const CODE_KINDS: Record<string, ScriptKind> = {
  '.js': 'classic',
  '.css': 'stylesheet',
  '.json': 'data',
  '.webmanifest': 'manifest',
};

/** The request the crawler would make for a file of the site, by its name. */
function requestFor(sitePath: string, file: StaticFile, origin: string): AnalysisRequest {
  const extension = extname(sitePath);
  const common = { body: file.body, contentType: file.contentType, url: new URL(sitePath, origin).href };
  const scriptKind = CODE_KINDS[extension];
  if (extension === '.html') return { kind: 'page', ...common };
  if (scriptKind !== undefined)
    return { kind: 'code', ...common, scriptKind, follow: true, findNamers: true };
  return { kind: 'text', ...common };
}

/**
 * The bench's second floor: the scan's own analysis (the same pool of threads, the same requests the
 * crawler makes) of every file the site serves, read from disk first, with no HTTP at all. Where the
 * HTTP floor shows what fetching costs, this shows what reading the content for keys and links costs;
 * the scan does both at once, on the same cores. Files are analysed as their names say (a page, a
 * script, a stylesheet, text), which is how the bench store's files are linked.
 *
 * Usage: node analysis-floor.js <site root>. Prints the counts as one line of JSON.
 */
export async function analyseAll(root: string, origin = 'http://127.0.0.1/'): Promise<AnalysisFloorCounts> {
  // The thread starts while the files are read, as the command line's launcher starts it early.
  const analyzer = createAnalyzer();
  // Read as the static server reads them, with the content type it sends.
  const files = [...loadSite(root).files];
  const bytes = files.reduce((sum, [, file]) => sum + file.body.byteLength, 0);
  const started = performance.now();
  const fingerprints = new Set<string>();
  let next = 0;
  const lane = async () => {
    while (next < files.length) {
      const [sitePath, file] = files[next++] as [string, StaticFile];
      // The analysis takes the body over, as it takes the crawler's: a body that is a whole buffer moves
      // to the thread without a copy.
      const analysis = await analyzer.analyze(requestFor(sitePath, file, origin));
      for (const hit of analysis.privateKeys) fingerprints.add(fingerprintKey(hit.key));
    }
  };
  try {
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  } finally {
    await analyzer.close();
  }
  return {
    files: files.length,
    bytes,
    fingerprints: [...fingerprints].sort(),
    readMs: Math.round(started),
    analysisMs: Math.round(performance.now() - started),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [root] = process.argv.slice(2);
  if (root === undefined) {
    process.stderr.write('usage: analysis-floor.js <site root>\n');
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify(await analyseAll(root))}\n`);
}
