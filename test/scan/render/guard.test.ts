import { describe, expect, it } from 'vitest';
import { destinations, type NamespaceSetup, scanInNamespace } from './netns.js';

// Addresses a hostile page aims at. Each is on the namespace's loopback with listeners on it, so a
// connection that got through would be accepted and recorded, not just lost.
const METADATA = '169.254.169.254';
const PRIVATE = '10.20.30.40';
const PUBLIC = '93.184.216.34';
const UNIQUE_LOCAL = 'fd00::40';
const BAITS = { v4: [METADATA, PRIVATE, PUBLIC], v6: [UNIQUE_LOCAL] };
const HOSTS = [
  `${METADATA} metadata.google.internal`,
  `${PRIVATE} bait-internal.test`,
  `${UNIQUE_LOCAL} bait-ula.test`,
];
const TCP_PORTS = [80, 443, 3478, 8080];
const UDP_PORTS = [53, 443, 3478, 5353];

const targets = [
  `http://${METADATA}/latest/meta-data/`,
  `http://${PRIVATE}/`,
  `http://[${UNIQUE_LOCAL}]/`,
  `http://${PUBLIC}/`,
  'http://metadata.google.internal/computeMetadata/v1/',
  'http://bait-internal.test:8080/',
  'http://bait-ula.test/',
  // Another service on the site's own machine.
  'http://127.0.0.1:3478/',
];

/**
 * Every way a page can ask for a connection: subresources, fetch/XHR, beacons, EventSource, workers,
 * service workers, WebSockets, WebRTC (STUN and TURN), WebTransport, preconnect and DNS prefetch,
 * popups, forms, meta refresh, and a redirect from the site itself into the metadata service.
 */
function hostileMarkup(): string {
  const list = JSON.stringify(targets);
  return `<link rel="preconnect" href="http://${PRIVATE}">
  <link rel="dns-prefetch" href="//bait-internal.test">
  <link rel="prefetch" href="http://${PUBLIC}/prefetch">
  <link rel="preload" as="fetch" href="http://bait-ula.test/preload" crossorigin>
  <link rel="modulepreload" href="http://${PRIVATE}/module.js">
  <link rel="stylesheet" href="http://[${UNIQUE_LOCAL}]/style.css">
  <style>@import url("http://${PRIVATE}/import.css"); body { background: url("http://${PUBLIC}/bg.png"); }</style>
  <meta http-equiv="refresh" content="1;url=http://${PRIVATE}/refresh">
  <img src="http://${METADATA}/pixel.gif"><video src="http://${PRIVATE}/movie.mp4"></video>
  <iframe src="http://bait-internal.test:8080/frame"></iframe><iframe src="/redirect-to-metadata"></iframe>
  <object data="http://${PUBLIC}/object"></object><embed src="http://[${UNIQUE_LOCAL}]/embed">
  <form id="f" method="post" action="http://${PRIVATE}/form"><input name="a" value="b"></form>
  <script>
  const targets = ${list};
  for (const url of targets) {
    fetch(url, { mode: 'no-cors' }).catch(() => {});
    const xhr = new XMLHttpRequest(); xhr.open('GET', url); xhr.send();
    navigator.sendBeacon(url + 'beacon', 'x');
    try { new EventSource(url + 'events'); } catch {}
    import(url + 'module.js').catch(() => {});
  }
  fetch('/redirect-to-metadata').catch(() => {});
  for (const url of ['ws://${PRIVATE}/', 'ws://${PUBLIC}:8080/', 'ws://[${UNIQUE_LOCAL}]/', 'wss://bait-internal.test/', 'ws://127.0.0.1:3478/']) {
    try { new WebSocket(url).onerror = () => {}; } catch {}
  }
  try {
    const pc = new RTCPeerConnection({ iceServers: [
      { urls: 'stun:${PRIVATE}:3478' }, { urls: 'stun:[${UNIQUE_LOCAL}]:3478' },
      { urls: ['turn:${PUBLIC}:3478?transport=udp', 'turn:${PUBLIC}:3478?transport=tcp'], username: 'u', credential: 'c' },
    ] });
    pc.createDataChannel('d');
    pc.createOffer().then((offer) => pc.setLocalDescription(offer));
  } catch {}
  try {
    // From a fresh frame too, where a page script might hope to find the API untouched.
    const frame = document.body.appendChild(document.createElement('iframe'));
    const pc = new frame.contentWindow.RTCPeerConnection({ iceServers: [{ urls: 'stun:${PRIVATE}:3478' }] });
    pc.createDataChannel('d');
    pc.createOffer().then((offer) => pc.setLocalDescription(offer));
  } catch {}
  try { new WebTransport('https://${PRIVATE}:443/').ready.catch(() => {}); } catch {}
  try { new Worker(URL.createObjectURL(new Blob(["fetch('http://${PRIVATE}/worker').catch(() => {})"]))); } catch {}
  try { navigator.serviceWorker.register('/sw.js').catch(() => {}); } catch {}
  window.open('http://${PUBLIC}/popup');
  setTimeout(() => document.getElementById('f').submit(), 500);
  setTimeout(() => { location.href = 'http://${PRIVATE}/away'; }, 1500);
  </script>`;
}

/**
 * The markup as the page's own HTML: the crawl sees its addresses too. It fetches scripts from any
 * host, private ones included when --allow-private-networks is given, so this form is for scans
 * without that flag.
 */
function hostilePage(): string {
  return `<!doctype html><html><head></head><body>${hostileMarkup()}</body></html>`;
}

/** The same markup written by a script at runtime: only the browser ever sees an address in it. */
function hostilePageWrittenAtRuntime(): string {
  const encoded = Buffer.from(hostileMarkup()).toString('base64');
  return `<!doctype html><html><head></head><body><script>document.write(atob('${encoded}'));</script></body></html>`;
}

const routes = {
  '/': { body: hostilePageWrittenAtRuntime() },
  '/redirect-to-metadata': {
    status: 302,
    headers: { location: `http://${METADATA}/latest/meta-data/iam/` },
    body: '',
  },
  '/sw.js': { type: 'application/javascript', body: `self.addEventListener('fetch', () => {});` },
};

/**
 * Scans the hostile site in its own network namespace with the baits in place, and checks what must
 * hold whatever the flags: the site's address and port are the only destination any packet had, no
 * bait listener saw a connection, and the page was rendered. Returns the report.
 */
async function scanHostileSite(site: NamespaceSetup['routes'], scanArgs: string[], fixtureAddress?: string) {
  const run = await scanInNamespace({
    routes: site,
    scanArgs: ['--render', '--json', '--no-sitemaps', ...scanArgs],
    baits: BAITS,
    hosts: HOSTS,
    tcpPorts: TCP_PORTS,
    udpPorts: UDP_PORTS,
    ...(fixtureAddress === undefined ? {} : { fixtureAddress }),
  });
  expect(run.scan.stderr).toBe('');
  expect(run.scan.code).toBe(0);
  expect(destinations(run.packets)).toEqual([`tcp ${run.fixture}`]);
  expect(run.baitConnections).toEqual([]);
  const report = JSON.parse(run.scan.stdout);
  expect(report.render).toMatchObject({ status: 'done', pagesRendered: 1, browserConnectionAttempts: 0 });
  return report;
}

describe('the browser of --render makes no connection of its own', () => {
  it('with --allow-private-networks: the only address contacted is the site, and the page sees every refusal', async () => {
    const report = await scanHostileSite(routes, ['--allow-private-networks']);
    const refused = report.render.refused.map((note: { url: string }) => note.url);
    // Metadata stays refused even with the flag, whichever way the page spells it.
    expect(refused).toEqual(
      expect.arrayContaining([
        `http://${METADATA}/latest/meta-data/`,
        `http://${METADATA}/latest/meta-data/iam/`,
        'http://metadata.google.internal/computeMetadata/v1/',
        `http://${PRIVATE}/`,
        `http://[${UNIQUE_LOCAL}]/`,
        `http://${PUBLIC}/`,
        'http://bait-internal.test:8080/',
        'http://127.0.0.1:3478/',
        `ws://${PRIVATE}/`,
      ]),
    );
    const reasons = report.render.refused.map((note: { reason: string }) => note.reason).join('\n');
    expect(reasons).toMatch(/metadata\.google\.internal resolves to 169\.254\.169\.254.*never scanned/);
  });

  it('without the flag, from a site on a public address: the same, and the crawl refuses them too', async () => {
    const page = hostilePage().replace(
      '</head>',
      `<script src="http://${PRIVATE}/static.js"></script><script src="http://bait-ula.test/static.js"></script></head>`,
    );
    const report = await scanHostileSite({ ...routes, '/': { body: page } }, [], '11.0.0.1');
    expect(report.errors.map((error: { url: string }) => error.url)).toEqual(
      expect.arrayContaining([`http://${PRIVATE}/static.js`, 'http://bait-ula.test/static.js']),
    );
  });
});
