import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SeededRandom } from './site-generator.js';

/** A key the render benchmark plants, and whether a static scan can see it. */
export interface RenderPlantedKey {
  key: string;
  fingerprint: string;
  where: string;
  /** False for keys that exist only once the page runs. */
  staticallyVisible: boolean;
}

export interface RenderSite {
  root: string;
  pages: number;
  templates: number;
  planted: RenderPlantedKey[];
  /** `pk_` strings that must never be reported, by fingerprint. */
  decoyFingerprints: string[];
}

const SECTIONS = [
  'checkout',
  'products',
  'account',
  'landing',
  'lookbook',
  'collections',
  'blog',
  'stores',
  'gift-cards',
  'rewards',
  'reviews',
  'size-guide',
  'journal',
  'wishlist',
  'returns',
  'careers',
  'press',
  'outlet',
  'events',
  'help',
  'search',
  'compare',
  'bundles',
  'studio',
];
const PAGES_PER_SECTION = 5;

const fingerprint = (key: string) => createHash('sha256').update(key).digest('hex');

function plantedKey(name: string): string {
  return `pk_${createHash('sha256').update(`render bench ${name}`).digest('hex').slice(0, 34)}`;
}

/** JavaScript that rebuilds the string from shifted character codes, so no file spells it. */
function hidden(text: string): string {
  const codes = [...text].map((char) => char.charCodeAt(0) + 3).join(',');
  return `[${codes}].map(function (c) { return String.fromCharCode(c - 3); }).join('')`;
}

/**
 * Code that does what a storefront's bundle does when it runs: renders a grid of product cards,
 * watches for the end of the page to load more, reports to analytics when the browser is idle, and
 * asks for recommendations after a timer. Padded with functions to a realistic size.
 */
function vendorBundle(rng: SeededRandom): string {
  const helpers: string[] = [];
  for (let i = 0; i < 900; i++) {
    const a = rng.between(2, 90);
    helpers.push(
      `function h${i}(list, by) { var out = []; for (var j = 0; j < list.length; j++) { if ((list[j] * ${a}) % (by || ${a + 3}) !== ${i % 7}) out.push(list[j] + ${i}); } return out.slice(0, ${a}); }`,
    );
  }
  return `/* storefront bundle */
${helpers.join('\n')}
(function () {
  function render() {
    var grid = document.createElement('div');
    grid.className = 'grid';
    for (var i = 0; i < 300; i++) {
      var card = document.createElement('article');
      card.innerHTML = '<h3>Product ' + i + '</h3><p>' + h${rng.between(0, 899)}([i, i + 1, i + 2], 5).join(',') + '</p>';
      grid.appendChild(card);
    }
    document.body.appendChild(grid);
    var end = document.createElement('div');
    end.id = 'end';
    document.body.appendChild(end);
    var section = location.pathname.split('/')[1] || 'home';
    new IntersectionObserver(function (entries, observer) {
      if (!entries[0].isIntersecting) return;
      observer.disconnect();
      var more = document.createElement('script');
      more.src = '/assets/more-' + section + '.js';
      document.head.appendChild(more);
    }, { rootMargin: '200px' }).observe(end);
    (window.requestIdleCallback || setTimeout)(function () {
      navigator.sendBeacon('/collect', JSON.stringify({ page: location.pathname, t: Date.now() }));
    });
    setTimeout(function () { fetch('/api/recommendations.json').catch(function () {}); }, 1500);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', render);
  else render();
})();
`;
}

/**
 * A storefront of 24 templates (each its own script set and URL shape) of 5 pages, whose keys but
 * one exist only once its pages run, one per runtime shape, on templates the render pass reaches
 * first. The static files never spell a runtime key in any form the detector reads.
 */
export function generateRenderSite(root: string, seed = 0x52454e44): RenderSite {
  const rng = new SeededRandom(seed);
  const write = (path: string, body: string) => {
    const file = join(root, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, body);
  };
  const keys = {
    static: plantedKey('static'),
    header: plantedKey('header'),
    injected: plantedKey('injected'),
    endpoint: plantedKey('endpoint'),
    tagManager: plantedKey('tag manager'),
    lazy: plantedKey('lazy on scroll'),
  };
  const stripe = 'pk_live_51NwOutfittersAbCdEfGhIjKlMnOpQr';
  const shortDecoy = 'pk_0123456789abcdef0123456789abcdef0';

  const pageScripts: Record<string, string> = {
    checkout: `var key = ${hidden(keys.header)};
      fetch('/api/v1/profiles', { method: 'POST', headers: { Authorization: 'Klaviyo-API-Key ' + key, 'content-type': 'application/json' }, body: '{}' });`,
    products: `var name = ['cf', 'g'].join('') + '-' + (40 + 2);
      var s = document.createElement('script'); s.src = '/assets/' + name + '.js'; document.head.appendChild(s);`,
    account: `fetch(['', 'apps', 'settings.json'].join('/')).then(function (r) { return r.json(); }).then(function (c) { window.settings = c; });`,
    landing: `var tm = document.createElement('script'); tm.async = true; tm.src = '/gtm.js?id=GTM-NWO7RT'; document.head.appendChild(tm);`,
    lookbook: `window.lookbook = true;`,
    collections: `var stripe = ${hidden(stripe)}; fetch('/api/pay.json', { headers: { 'X-Stripe-Key': stripe } });`,
  };
  write('assets/vendor.js', vendorBundle(rng));
  write('assets/cfg-42.js', `window.shopConfig = { klaviyoKey: '${keys.injected}' };`);
  write(
    'apps/settings.json',
    JSON.stringify({ klaviyo: { private_key: keys.endpoint }, sample: shortDecoy }),
  );
  write(
    'gtm.js',
    `(function () { setTimeout(function () { var t = document.createElement('script'); t.text = "window._klConfig = '" + ${hidden(keys.tagManager)} + "';"; document.head.appendChild(t); }, 2500); })();`,
  );
  write('api/recommendations.json', JSON.stringify({ items: [1, 2, 3] }));
  write('api/pay.json', '{}');

  const links: string[] = [];
  for (const section of SECTIONS) {
    const filler = Array.from(
      { length: 400 },
      (_, i) => `var ${section.replace(/-/g, '_')}${i} = ${rng.between(1, 1e6)};`,
    );
    write(`assets/${section}.js`, `${filler.join('\n')}\n${pageScripts[section] ?? ''}`);
    write(
      `assets/more-${section}.js`,
      section === 'lookbook'
        ? `window.more = { reviewsKey: '${keys.lazy}' };`
        : `window.more = ${rng.between(1, 1000)};`,
    );
    for (let page = 1; page <= PAGES_PER_SECTION; page++) {
      const path = `/${section}/item-${page}`;
      links.push(path);
      const text = Array.from(
        { length: 60 },
        () => `<p>${rng.between(1e5, 1e9).toString(36)} ${section} details</p>`,
      );
      write(
        `${section}/item-${page}.html`,
        `<!doctype html><html><head><title>${section} ${page}</title>
<script src="/assets/vendor.js"></script><script src="/assets/${section}.js"></script></head>
<body><h1>${section} ${page}</h1>${text.join('')}<a href="/">home</a></body></html>`,
      );
    }
  }
  write(
    'index.html',
    `<!doctype html><html><head><title>Northwind</title><script src="/assets/vendor.js"></script></head>
<body><h1>Northwind Outfitters</h1>
<script>var _learnq = []; _learnq.push(['account', '${keys.static}']);</script>
${links.map((path) => `<a href="${path}">${path}</a>`).join('\n')}</body></html>`,
  );

  const planted: RenderPlantedKey[] = [
    { key: keys.static, where: 'in the home page', staticallyVisible: true },
    { key: keys.header, where: 'assembled and sent in an Authorization header', staticallyVisible: false },
    { key: keys.injected, where: 'in a script whose URL is computed and injected', staticallyVisible: false },
    { key: keys.endpoint, where: 'from an endpoint no file names', staticallyVisible: false },
    { key: keys.tagManager, where: 'in a tag a tag manager writes after a timer', staticallyVisible: false },
    { key: keys.lazy, where: 'in a script loaded when the page is scrolled', staticallyVisible: false },
  ].map((entry) => ({ ...entry, fingerprint: fingerprint(entry.key) }));
  return {
    root,
    pages: links.length + 1,
    templates: SECTIONS.length,
    planted,
    decoyFingerprints: [fingerprint(stripe), fingerprint(shortDecoy)],
  };
}
