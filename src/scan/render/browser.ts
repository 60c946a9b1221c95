import { accessSync, constants, readdirSync, readFileSync, statSync } from 'node:fs';
import type { Browser } from 'playwright-core';

/** A Chromium binary to use instead of the ones looked for. */
export const BROWSER_ENV = 'KLAVIYO_CHECKUP_BROWSER';

export const INSTALL_HINT = 'apt-get install chromium-headless-shell';

// Debian's /usr/bin/chromium-headless-shell and /usr/bin/chromium are shell scripts that start these
// binaries as children; the binaries are launched directly where they exist, so closing or killing
// the browser ends every process of it.
const CANDIDATES = [
  '/usr/lib/chromium/chromium-headless-shell',
  '/usr/bin/chromium-headless-shell',
  '/usr/lib/chromium/chromium',
  '/usr/bin/chromium',
];

export class BrowserMissingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrowserMissingError';
  }
}

/**
 * The browser `--render` runs: `KLAVIYO_CHECKUP_BROWSER` when set, else Debian's
 * chromium-headless-shell, else Debian's full chromium. Never a browser downloaded by a package.
 */
export function findBrowser(
  env: NodeJS.ProcessEnv = process.env,
  isExecutable: (path: string) => boolean = isExecutableFile,
): string {
  const configured = env[BROWSER_ENV]?.trim();
  if (configured) {
    if (!isExecutable(configured))
      throw new BrowserMissingError(`${BROWSER_ENV} is "${configured}", which is not an executable file`);
    return configured;
  }
  const found = CANDIDATES.find((path) => isExecutable(path));
  if (found === undefined) {
    throw new BrowserMissingError(
      `--render needs Chromium and none was found: install it with "${INSTALL_HINT}" (or set ${BROWSER_ENV} to a Chromium binary)`,
    );
  }
  return found;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Flags that leave the browser no way onto the network of its own. Every request a page makes is
 * intercepted and fetched by the scan; these cover what interception cannot see.
 */
export function isolationFlags(proxyPort: number): string[] {
  return [
    // No name (and no IP literal: the rule maps those too) resolves to anything, so no socket of the
    // browser's own (preconnect, WebSocket, a request interception missed) can reach an address.
    '--host-resolver-rules=MAP * ~NOTFOUND',
    // The second wall: anything that would still connect goes to a local proxy that refuses it and counts
    // the attempt. Loopback is proxied too (Chromium otherwise bypasses proxies for it).
    `--proxy-server=http://127.0.0.1:${proxyPort}`,
    '--proxy-bypass-list=<-loopback>',
    // WebRTC sends UDP (STUN, TURN, mDNS) outside both walls unless it is held to proxied connections.
    '--force-webrtc-ip-handling-policy=disable_non_proxied_udp',
    '--disable-quic',
    // One renderer process per page instead of one per site: far less memory, and one debugger
    // session sees every frame's scripts. Nothing in this browser has data worth isolating.
    '--disable-site-isolation-trials',
    // The compositor runs in the browser process: one process (about 50 MB) fewer.
    '--in-process-gpu',
    // A page that grows without end is stopped by its renderer instead of by the machine.
    '--js-flags=--max-old-space-size=256',
  ];
}

export interface LaunchOptions {
  executablePath: string;
  proxyPort: number;
  /** An inert flag that names this browser's processes, so they can be found and killed if it hangs. */
  marker: string;
  /** Chromium's sandbox cannot run as root; elsewhere it stays on. */
  sandbox?: boolean;
}

/** Starts the browser. playwright-core is loaded here, so a scan without `--render` never loads it. */
export async function launchBrowser(options: LaunchOptions): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: options.executablePath,
    headless: true,
    chromiumSandbox: options.sandbox ?? process.getuid?.() !== 0,
    args: [...isolationFlags(options.proxyPort), `--klaviyo-checkup-render=${options.marker}`],
    // The scan closes the browser itself on a signal, after stopping its own work.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    timeout: 30_000,
  });
}

/**
 * Kills a browser that did not close when asked, by the marker on its command line: its main process
 * leads a process group (Playwright starts it detached) that holds every process of the browser.
 */
export function killBrowserByMarker(marker: string): number {
  let killed = 0;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let commandLine: string;
    try {
      commandLine = readFileSync(`/proc/${entry}/cmdline`, 'latin1');
    } catch {
      continue;
    }
    if (!commandLine.includes(`--klaviyo-checkup-render=${marker}`)) continue;
    const pid = Number(entry);
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
        killed++;
      } catch {
        // Already gone, or not a group leader.
      }
    }
  }
  return killed;
}
