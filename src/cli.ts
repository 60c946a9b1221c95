import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Analyzer } from './scan/analysis-pool.js';
import type { ScanHooks, ScanResult } from './scan/crawler.js';
import { ScanError } from './scan/errors.js';
import { OptionError, type ScanOptions } from './scan/options.js';
import { plural } from './words.js';

export const EXIT_CLEAN = 0;
export const EXIT_KEYS_FOUND = 1;
export const EXIT_CANNOT_SCAN = 2;
const EXIT_INTERRUPTED = 130;
/** After Ctrl-C the scan gets this long to close the browser before the process exits anyway. */
const STOP_GRACE_MS = 10_000;

const USAGE = `Usage: klaviyo-checkup scan <url> [options]

Crawls a website and reports every exposed Klaviyo private API key (pk_…).
Exit status: 0 no private key found, 1 one or more private keys found, 2 the scan could not run.

Options:
  --json                       print the report as one JSON object on stdout
  --sarif <file>               also write a SARIF 2.1.0 report (use - for stdout instead of the report)
  --max-pages <n>              pages to fetch at most (default 200)
  --max-depth <n>              link hops from the start page (default 10)
  --max-scripts <n>            scripts to fetch at most (default 500)
  --concurrency <n>            requests in flight at most (default 32); a scan starts with 8
                               and adds more while the site keeps answering as fast
  --timeout <seconds>          per request (default 15)
  --time-budget <seconds>      for the whole scan (default 300)
  --max-bytes <n>              bytes read per response, e.g. 10mb (default 10mb)
  --retries <n>                tries after a 429, 5xx or network error (default 2)
  --expect-public-key <key>    warn when the pages use another site ID
  --allow-private-networks     allow loopback and private addresses (or SCAN_ALLOW_PRIVATE_NETWORKS=true)
  --no-sitemaps                do not read robots.txt and sitemaps
  --render                     also open pages in headless Chromium and scan what they send, receive
                               and run (KLAVIYO_CHECKUP_BROWSER names the binary)
  --render-pages <n>           pages rendered at most: the start page and one per template (default 20)
  --render-timeout <seconds>   per rendered page (default 30)
  --render-budget <seconds>    part of --time-budget kept for rendering (default: half)
  --reveal                     print full keys (they are masked otherwise)
  --quiet                      no progress on stderr
  -h, --help                   this help
  -v, --version                the version
`;

interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/** Runs the command line; returns the exit status. */
export async function main(argv: string[], io: Io = process): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv, io.env);
  } catch (error) {
    io.stderr.write(`klaviyo-checkup: ${error instanceof Error ? error.message : String(error)}\n`);
    io.stderr.write('Run "klaviyo-checkup --help" for usage.\n');
    return EXIT_CANNOT_SCAN;
  }
  if (parsed.kind === 'help') {
    io.stdout.write(USAGE);
    return EXIT_CLEAN;
  }
  if (parsed.kind === 'usage') {
    io.stderr.write(USAGE);
    return EXIT_CANNOT_SCAN;
  }
  if (parsed.kind === 'version') {
    io.stdout.write(`${packageVersion()}\n`);
    return EXIT_CLEAN;
  }

  // The scan engine (undici, the detector) is loaded only for a scan: `--version` and `--help` answer at once.
  // The analysis thread starts first: it loads its code while this thread loads the rest and sends
  // the first request, so the start page does not wait for it.
  const { createAnalyzer } = await import('./scan/analysis-pool.js');
  const analyzer = createAnalyzer();
  try {
    return await runScan(parsed, io, analyzer);
  } finally {
    await analyzer.close();
  }
}

async function runScan(parsed: ScanCommand, io: Io, analyzer: Analyzer): Promise<number> {
  const [{ scanSite }, { scrubSecrets }, { renderTextReport, toJsonReport }, { toSarif }] = await Promise.all(
    [
      import('./scan/crawler.js'),
      import('./scan/detector.js'),
      import('./scan/report.js'),
      import('./scan/sarif.js'),
    ],
  );
  const showProgress = io.stderr.isTTY === true && !parsed.quiet;
  const hooks: ScanHooks = {
    analyzer,
    onProgress: showProgress
      ? throttle((p) => {
          io.stderr.write(
            `\rScanning… ${plural(p.pagesScanned, 'page')}, ${plural(p.scriptsScanned, 'script')}, ${plural(p.findings, 'key')} `,
          );
        }, 200)
      : undefined,
  };
  let result: ScanResult;
  let interrupted = false;
  try {
    if (parsed.render === undefined) result = await scanSite(parsed.url, parsed.options, hooks);
    else {
      const render = parsed.render;
      // Loaded only here: a scan without --render never pays for the browser's code.
      const { BrowserMissingError, findBrowser } = await import('./scan/render/browser.js');
      let executablePath: string;
      try {
        executablePath = findBrowser(io.env);
      } catch (error) {
        if (!(error instanceof BrowserMissingError)) throw error;
        io.stderr.write(`klaviyo-checkup: ${error.message}\n`);
        return EXIT_CANNOT_SCAN;
      }
      const { scanSiteWithRender } = await import('./scan/render/scan-with-render.js');
      const controller = new AbortController();
      // Ctrl-C stops the scan and closes the browser; a second one, or a browser slow to close, ends
      // the process at once (Playwright kills the browser's processes as the process exits).
      const onSignal = () => {
        if (interrupted) process.exit(EXIT_INTERRUPTED);
        interrupted = true;
        controller.abort();
        setTimeout(() => process.exit(EXIT_INTERRUPTED), STOP_GRACE_MS).unref();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        result = await scanSiteWithRender(
          parsed.url,
          parsed.options,
          { ...render, executablePath },
          { ...hooks, signal: controller.signal },
        );
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    }
  } catch (error) {
    if (showProgress) io.stderr.write('\n');
    if (error instanceof ScanError || error instanceof OptionError) {
      io.stderr.write(`klaviyo-checkup: ${scrubSecrets(asFlags(error.message))}\n`);
      return EXIT_CANNOT_SCAN;
    }
    throw error;
  }
  if (showProgress) io.stderr.write('\n');
  if (interrupted) {
    io.stderr.write('klaviyo-checkup: stopped; the browser is closed.\n');
    return EXIT_INTERRUPTED;
  }

  const reportOptions = { reveal: parsed.reveal };
  const sarif =
    parsed.sarif === undefined
      ? undefined
      : `${JSON.stringify(toSarif(result, packageVersion()), null, 2)}\n`;
  if (sarif !== undefined && parsed.sarif !== '-') writeFileSync(parsed.sarif as string, sarif);

  if (parsed.sarif === '-') io.stdout.write(sarif as string);
  else if (parsed.json) {
    const report = {
      ...toJsonReport(result, reportOptions),
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    };
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else io.stdout.write(renderTextReport(result, reportOptions));

  return result.findings.length > 0 ? EXIT_KEYS_FOUND : EXIT_CLEAN;
}

type ParsedCommand =
  | { kind: 'help' }
  /** No command: usage on stderr and exit 2, like any other usage error. */
  | { kind: 'usage' }
  | { kind: 'version' }
  | ScanCommand;

interface ScanCommand {
  kind: 'scan';
  url: string;
  options: Partial<ScanOptions>;
  json: boolean;
  sarif: string | undefined;
  reveal: boolean;
  quiet: boolean;
  /** Present with --render: the render pass's limits (the browser is looked for later). */
  render?: { maxPages?: number; pageTimeoutMs?: number; budgetMs?: number };
}

function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv): ParsedCommand {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean', default: false },
      sarif: { type: 'string' },
      'max-pages': { type: 'string' },
      'max-depth': { type: 'string' },
      'max-scripts': { type: 'string' },
      concurrency: { type: 'string' },
      timeout: { type: 'string' },
      'time-budget': { type: 'string' },
      'max-bytes': { type: 'string' },
      retries: { type: 'string' },
      'expect-public-key': { type: 'string' },
      'allow-private-networks': { type: 'boolean', default: false },
      'no-sitemaps': { type: 'boolean', default: false },
      render: { type: 'boolean', default: false },
      'render-pages': { type: 'string' },
      'render-timeout': { type: 'string' },
      'render-budget': { type: 'string' },
      reveal: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', short: 'v', default: false },
    },
  });
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const [command, url, ...extra] = positionals;
  if (command === undefined) return { kind: 'usage' };
  if (command !== 'scan') throw new Error(`unknown command "${command}"; the command is "scan <url>"`);
  if (url === undefined)
    throw new Error('scan needs a URL, e.g. klaviyo-checkup scan https://your-store.example');
  if (extra.length > 0) throw new Error(`unexpected argument "${extra[0]}"`);
  if (values.json && values.sarif === '-')
    throw new Error('--json and --sarif - both want stdout; give --sarif a file');

  const options: Partial<ScanOptions> = {
    maxPages: integer(values['max-pages'], '--max-pages'),
    maxDepth: integer(values['max-depth'], '--max-depth'),
    maxScripts: integer(values['max-scripts'], '--max-scripts'),
    concurrency: integer(values.concurrency, '--concurrency'),
    requestTimeoutMs: seconds(values.timeout, '--timeout'),
    timeBudgetMs: seconds(values['time-budget'], '--time-budget'),
    maxBytesPerResponse: byteSize(values['max-bytes'], '--max-bytes'),
    retries: integer(values.retries, '--retries'),
    expectPublicKey: values['expect-public-key'],
    allowPrivateNetworks: values['allow-private-networks'] || envFlag(env.SCAN_ALLOW_PRIVATE_NETWORKS),
    useSitemaps: !values['no-sitemaps'],
  };
  const renderFlags = ['render-pages', 'render-timeout', 'render-budget'] as const;
  const stray = renderFlags.find((flag) => values[flag] !== undefined);
  if (!values.render && stray !== undefined) throw new Error(`--${stray} needs --render`);
  return {
    kind: 'scan',
    url,
    options,
    json: values.json,
    sarif: values.sarif,
    reveal: values.reveal,
    quiet: values.quiet,
    ...(values.render
      ? {
          render: {
            maxPages: integer(values['render-pages'], '--render-pages'),
            pageTimeoutMs: seconds(values['render-timeout'], '--render-timeout'),
            budgetMs: seconds(values['render-budget'], '--render-budget'),
          },
        }
      : {}),
  };
}

function integer(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim()))
    throw new OptionError(flag, `${flag} needs a whole number, not "${value}"`);
  return Number(value);
}

function seconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number <= 0) {
    throw new OptionError(flag, `${flag} needs a number of seconds, not "${value}"`);
  }
  return Math.round(number * 1000);
}

function byteSize(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g)?$/i.exec(value.trim());
  if (!match) throw new OptionError(flag, `${flag} needs a size such as 500kb or 10mb, not "${value}"`);
  const unit = (match[2] ?? 'b').toLowerCase()[0] as 'b' | 'k' | 'm' | 'g';
  const factor = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[unit];
  return Math.round(Number(match[1]) * factor);
}

/** The values an operator is likely to type for "yes" and "no"; anything else is an error. */
export function envFlag(value: string | undefined, name = 'SCAN_ALLOW_PRIVATE_NETWORKS'): boolean {
  if (value === undefined || value.trim() === '') return false;
  const normalized = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(normalized)) return true;
  if (['0', 'false', 'no', 'off'].includes(normalized)) return false;
  throw new OptionError(name, `${name} must be true or false, not "${value}"`);
}

const FLAGS: Record<string, string> = {
  maxPages: '--max-pages',
  maxDepth: '--max-depth',
  maxScripts: '--max-scripts',
  concurrency: '--concurrency',
  requestTimeoutMs: '--timeout (ms)',
  timeBudgetMs: '--time-budget (ms)',
  maxBytesPerResponse: '--max-bytes',
  retries: '--retries',
  expectPublicKey: '--expect-public-key',
};

/** Option errors name the engine's options; on the command line they are flags. */
function asFlags(message: string): string {
  return message.replace(/^(\w+)(?= must)/, (name) => FLAGS[name] ?? name);
}

function throttle<T>(fn: (value: T) => void, ms: number): (value: T) => void {
  let last = 0;
  return (value) => {
    const now = Date.now();
    if (now - last < ms) return;
    last = now;
    fn(value);
  };
}

let cachedVersion: string | undefined;
function packageVersion(): string {
  cachedVersion ??= (
    JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
  return cachedVersion;
}
