import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Small seeded PRNG (mulberry32): the same seed builds the same site, byte for byte. */
export class SeededRandom {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** 0 ≤ n < max */
  int(max: number): number {
    return Math.floor(this.next() * max);
  }

  /** min ≤ n ≤ max */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  chars(alphabet: string, length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[this.int(alphabet.length)];
    return out;
  }
}

const HEX = '0123456789abcdef';
const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const MIXED_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const DIGITS = '0123456789';

/** A private key planted in the site: what the scan must find. */
export interface PlantedKey {
  key: string;
  fingerprint: string;
  form: 'legacy' | 'account-scoped';
  /** How it is written, in a few words. */
  where: string;
  /** Site paths of the resources that hold it. */
  paths: string[];
}

/** A `pk_` string that is not a Klaviyo private key: reporting it is a false positive. */
export interface Decoy {
  value: string;
  fingerprint: string;
  what: string;
  paths: string[];
}

export interface GeneratedSite {
  root: string;
  pages: number;
  /** Scripts, JSON and the web app manifest: what the scan counts as scripts. */
  scripts: number;
  stylesheets: number;
  pageBytes: number;
  /** Scripts and stylesheets. */
  scriptBytes: number;
  totalBytes: number;
  planted: PlantedKey[];
  decoys: Decoy[];
  /** The public key (site ID) the pages use. */
  publicKey: string;
}

export interface SiteOptions {
  seed?: number;
  categories?: number;
  productsPerCategory?: number;
  /** Chunks the pages load with script tags, besides the four shared bundles. */
  chunks?: number;
  /** webpack async chunks, named only in the runtime's chunk map. */
  asyncChunks?: number;
  pageBytes?: [number, number];
  scriptBytes?: [number, number];
}

/** About 600 pages, 120 bundles and 88 MB, the size of a mid-sized storefront. */
const DEFAULTS: Required<SiteOptions> = {
  seed: 0x4b4c5659,
  categories: 20,
  productsPerCategory: 28,
  chunks: 100,
  asyncChunks: 16,
  pageBytes: [100_000, 130_000],
  scriptBytes: [80_000, 240_000],
};

/**
 * A large store: about 5,000 pages and 500 MB with the same scripts, for the question whether time
 * grows with bytes and memory stays flat.
 */
export const LARGE_STORE: SiteOptions = {
  categories: 71,
  productsPerCategory: 69,
  pageBytes: [85_000, 115_000],
};

const STORE = 'Northwind Outfitters';
const PUBLIC_KEY = 'NwO7rT';
const PIXEL_GIF = 'data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7';

const CATEGORY_NAMES = [
  'New Arrivals',
  'Women Knitwear',
  'Men Knitwear',
  'Outerwear',
  'Denim',
  'Shirts and Blouses',
  'Dresses',
  'Trousers',
  'Activewear',
  'Loungewear',
  'Footwear',
  'Bags',
  'Accessories',
  'Hats and Scarves',
  'Home Textiles',
  'Kids',
  'Gift Cards and Sets',
  'Sale',
  'Travel',
  'Essentials',
  'Rainwear',
  'Swimwear',
  'Sleepwear',
  'Workwear',
];
const ADJECTIVES =
  'classic relaxed cropped oversized slim tapered heritage everyday lightweight brushed washed ribbed quilted waxed organic recycled seamless featherweight double-faced cable-knit waffle'.split(
    ' ',
  );
const MATERIALS =
  'merino cashmere linen cotton wool alpaca corduroy canvas twill denim fleece jersey poplin suede leather nylon hemp silk'.split(
    ' ',
  );
const NOUNS =
  'sweater cardigan jacket parka coat shirt blouse dress trouser chino jean tee hoodie beanie scarf tote backpack boot sneaker loafer robe blanket throw pouch vest overshirt'.split(
    ' ',
  );
const COLORS =
  'oat ecru charcoal navy olive rust sage ink stone cream black forest clay sand mist ochre'.split(' ');
const SIZES = ['XS', 'S', 'M', 'L', 'XL', 'XXL'];
const WORDS = (
  'the a our this every and with for from in of to made soft warm durable yarn fabric weave knit stitch seam ' +
  'fit comfort season layer wear wash care cold gentle dry flat natural fibre fiber mill family small batch ' +
  'traceable responsibly sourced designed tested tailored crafted finish texture colour color drape hand feel ' +
  'pocket collar cuff hem button zip lining weight breathable water resistant wind travel weekend city trail ' +
  'morning evening coffee walk commute office studio market coast mountain forest river north island harbour ' +
  'long lasting repair replace guarantee return exchange shipping free over order delivery days business ' +
  'customer service team question size guide measurement chest waist length sleeve true runs slightly large ' +
  'small recommend sizing down up usual always never really very quite perfect lovely great excellent'
).split(' ');
const FIRST_NAMES =
  'Ada Ben Chloe Dev Elena Finn Grace Hugo Iris Jonah Kira Leo Maya Nils Olive Priya Quinn Rosa Sam Tara Uma Viktor Wren Yusuf Zoe'.split(
    ' ',
  );
const MONTHS = 'January February March April May June July August September October November December'.split(
  ' ',
);
const COMPONENTS =
  'product-form cart-drawer predictive-search quick-view variant-picker media-gallery size-chart reviews recently-viewed wishlist newsletter store-locator gift-card currency-selector product-recommendations sticky-header mega-menu facets pagination countdown back-in-stock loyalty'.split(
    ' ',
  );
const PROPS =
  'variantId quantity isOpen selectedOption currentIndex totalPrice compareAtPrice handle sectionId requestId cartToken productId lineItems available inventory locale currency media zoomLevel activeTab sortBy filterState pageSize'.split(
    ' ',
  );
const IDENTIFIERS = 'e t n r o i a s u c l d f p h m v g y b w x k j q z'.split(' ');

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** JSON inside a <script> element must not close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/<\//g, '<\\/');
}

function slugify(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

function titleCase(text: string): string {
  return text.replace(
    /(^|[\s-])([a-z])/g,
    (_, space: string, letter: string) => space + letter.toUpperCase(),
  );
}

function fingerprint(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Collects a file's parts and their length so a page can be filled up to a target size. */
class Parts {
  readonly #parts: string[] = [];
  length = 0;

  push(...texts: string[]): void {
    for (const text of texts) {
      this.#parts.push(text);
      this.length += text.length;
    }
  }

  join(): string {
    return this.#parts.join('');
  }
}

interface Product {
  name: string;
  slug: string;
  path: string;
  price: number;
  id: number;
  category: number;
}

interface Category {
  name: string;
  slug: string;
  path: string;
  products: Product[];
}

interface InfoPage {
  title: string;
  path: string;
}

/** Everything a page template needs besides the rng. */
interface SiteModel {
  categories: Category[];
  products: Product[];
  infoPages: InfoPage[];
  posts: InfoPage[];
  blogIndex: string;
  /** Shared bundles, then the chunks pages load with script tags. */
  scripts: string[];
  shared: string[];
  /** Loaded only through the webpack runtime's chunk map. */
  asyncChunks: AsyncChunk[];
  /** Scripts each reached one issue-7 way only: a delay-JS loader, an import map, a Link header. */
  reviewsWidget: string;
  wishlistModule: string;
  consentScript: string;
  /** The theme's stylesheet, and the one it pulls in with `@import`. */
  theme: string;
  fonts: string;
  manifest: string;
  /** The French home page, linked only as an hreflang alternate. */
  frenchHome: string;
  css: string;
  /** The logo as an inline base64 SVG, as themes embed small images. */
  logo: string;
}

interface AsyncChunk {
  id: number;
  name: string;
  hash: string;
  path: string;
}

/** Where the static server redirects, and the extra headers it sends (bench/static-server.ts reads it). */
export interface ServerConfig {
  headers: Record<string, Record<string, string>>;
  redirects: Record<string, { status: number; location: string; headers?: Record<string, string> }>;
}

export const SERVER_CONFIG_FILE = '_server.json';

/**
 * Writes a deterministic storefront into `root`: a home page, category pages each linking their
 * products, information pages, a blog, and a few hundred KB of same-origin JavaScript per page view.
 * Private keys and look-alike decoys are planted in the places the reference lists. Files are written
 * as they are generated, so memory stays at one file.
 */
export function generateStorefront(root: string, options: SiteOptions = {}): GeneratedSite {
  const config = { ...DEFAULTS, ...options };
  const rng = new SeededRandom(config.seed);
  const text = new TextFactory(rng);

  const legacy = () => `pk_${rng.chars(HEX, 34)}`;
  const keys = {
    companyId: legacy(),
    learnq: legacy(),
    nextEnv: legacy(),
    nextData: legacy(),
    comment: legacy(),
    dataAttribute: legacy(),
    base64Track: legacy(),
    jsEscaped: legacy(),
    authorization: legacy(),
    accountScoped: `pk_AbC123_${rng.chars(HEX, 34)}`,
    apiKeyParam: legacy(),
    entityEncoded: `pk_${PUBLIC_KEY}_${rng.chars(HEX, 34)}`,
    viteEnv: legacy(),
    hreflang: legacy(),
    delayJs: legacy(),
    importMap: legacy(),
    stylesheetImport: legacy(),
    webpackAsync: legacy(),
    linkHeader: legacy(),
    redirectHeader: legacy(),
    splitMarkup: legacy(),
  };
  const decoyValues = {
    stripeLive: `pk_live_51${rng.chars(MIXED_ALNUM, 97)}`,
    stripeTest: `pk_test_51${rng.chars(MIXED_ALNUM, 97)}`,
    checio: `pk_${rng.chars(LOWER_ALNUM, 45)}`,
    clickup: `pk_${rng.chars(DIGITS, 8)}_${rng.chars(UPPER_ALNUM, 32)}`,
    short33: `pk_${rng.chars(HEX, 33)}`,
    long35: `pk_${rng.chars(HEX, 35)}`,
  };

  const model = buildModel(rng, config);
  const categoryOf = (index: number) => model.categories[index % model.categories.length] as Category;
  const productOf = (category: number, index: number) =>
    categoryOf(category).products[index % config.productsPerCategory] as Product;
  const chunk = (index: number) => model.scripts[model.shared.length + (index % config.chunks)] as string;

  // Where each key and decoy goes: the page or script path, and the markup or code that carries it.
  const nextDataCategory = categoryOf(11);
  const pageExtras = new Map<string, string[]>();
  const scriptExtras = new Map<string, string[]>();
  const addTo = (map: Map<string, string[]>, path: string, snippet: string) => {
    map.set(path, [...(map.get(path) ?? []), snippet]);
  };
  const trackData = Buffer.from(
    JSON.stringify({ token: keys.base64Track, event: 'Viewed Product' }),
  ).toString('base64');

  const planted: PlantedKey[] = [];
  const plant = (key: string, where: string, paths: string[]) =>
    planted.push({
      key,
      fingerprint: fingerprint(key),
      form: /^pk_[A-Za-z0-9]{6}_/.test(key) ? 'account-scoped' : 'legacy',
      where,
      paths,
    });

  addTo(
    pageExtras,
    '/',
    `<script>window.klaviyoConfig={company_id:"${keys.companyId}",list:"Tq3xZe",formsEnabled:true};</script>`,
  );
  plant(keys.companyId, 'inline script, company_id', ['/']);

  const learnqPage = categoryOf(6).path;
  addTo(
    pageExtras,
    learnqPage,
    `<script>var _learnq=_learnq||[];_learnq.push(['account', '${keys.learnq}']);_learnq.push(['track','Viewed Collection',{name:"${categoryOf(6).name}"}]);</script>`,
  );
  plant(keys.learnq, "inline script, _learnq.push(['account', …])", [learnqPage]);

  addTo(
    scriptExtras,
    chunk(23),
    `var Ke={NODE_ENV:"production",NEXT_PUBLIC_SITE_NAME:"${STORE}",NEXT_PUBLIC_KLAVIYO_API_KEY:"${keys.nextEnv}",NEXT_PUBLIC_CURRENCY:"USD"};`,
  );
  plant(keys.nextEnv, 'script, bundled NEXT_PUBLIC_KLAVIYO_API_KEY', [chunk(23)]);

  for (const product of nextDataCategory.products) {
    addTo(
      pageExtras,
      product.path,
      `<script id="__NEXT_DATA__" type="application/json">${scriptJson({
        props: {
          pageProps: {
            product: { id: product.id, handle: product.slug, title: product.name },
            integrations: { klaviyo: { publicKey: PUBLIC_KEY, privateKey: keys.nextData } },
          },
        },
        page: '/products/[handle]',
        query: { handle: product.slug },
        buildId: 'b8Xq2kLm',
      })}</script>`,
    );
  }
  plant(
    keys.nextData,
    '__NEXT_DATA__ JSON block',
    nextDataCategory.products.map((product) => product.path),
  );

  const commentPage = productOf(3, 7).path;
  addTo(
    pageExtras,
    commentPage,
    `<!-- back-in-stock flow: klaviyo private key ${keys.comment} (remove before launch) -->`,
  );
  plant(keys.comment, 'HTML comment', [commentPage]);

  const contactPage = (model.infoPages[1] as InfoPage).path;
  addTo(
    pageExtras,
    contactPage,
    `<div class="newsletter-signup" data-klaviyo-list="Tq3xZe" data-klaviyo-key="${keys.dataAttribute}"></div>`,
  );
  plant(keys.dataAttribute, 'data-klaviyo-key attribute', [contactPage]);

  const trackPage = productOf(15, 20).path;
  addTo(
    pageExtras,
    trackPage,
    `<script>document.addEventListener("DOMContentLoaded",function(){navigator.sendBeacon("/api/track?data=${trackData}")});</script>`,
  );
  plant(keys.base64Track, 'base64 data= parameter of a track URL', [trackPage]);

  addTo(scriptExtras, chunk(61), `var Ut="pk\\u005f${keys.jsEscaped.slice(3)}";`);
  plant(keys.jsEscaped, 'script, \\u005f-escaped string', [chunk(61)]);

  addTo(
    scriptExtras,
    chunk(88),
    `function Ka(e){return fetch("/api/klaviyo/profiles",{method:"POST",headers:{Authorization:"Klaviyo-API-Key ${keys.authorization}",accept:"application/vnd.api+json",revision:"2024-10-15","content-type":"application/vnd.api+json"},body:JSON.stringify({data:{type:"profile",attributes:e}})})}`,
  );
  plant(keys.authorization, 'script, Authorization: Klaviyo-API-Key header', [chunk(88)]);

  addTo(
    scriptExtras,
    chunk(5),
    `var Zr={klaviyo:{siteId:"AbC123",privateKey:"${keys.accountScoped}",listId:"Tq3xZe"}};`,
  );
  plant(keys.accountScoped, 'script, account-scoped pk_AbC123_ key', [chunk(5)]);

  const apiKeyPage = (model.posts[4] as InfoPage).path;
  addTo(
    pageExtras,
    apiKeyPage,
    `<script>function subscribe(e){return fetch("/api/v2/list/Tq3xZe/subscribe?api_key=${keys.apiKeyParam}",{method:"POST",headers:{"Content-Type":"application/json"},body:JSON.stringify({profiles:[{email:e}]})})}</script>`,
  );
  plant(keys.apiKeyParam, 'inline script, ?api_key= in a URL', [apiKeyPage]);

  const entityPage = categoryOf(17).path;
  addTo(
    pageExtras,
    entityPage,
    `<div class="klaviyo-form" data-settings="${escapeHtml(JSON.stringify({ siteId: PUBLIC_KEY, apiKey: keys.entityEncoded, formId: 'Rk2mPq' }))}"></div>`,
  );
  plant(keys.entityEncoded, 'HTML-entity-encoded JSON in a data- attribute (account-scoped)', [entityPage]);

  addTo(
    scriptExtras,
    chunk(104),
    `var Ye={VITE_STORE_NAME:"${STORE}",VITE_KLAVIYO_API_KEY:"${keys.viteEnv}",MODE:"production",PROD:!0};`,
  );
  plant(keys.viteEnv, 'script, bundled VITE_KLAVIYO_API_KEY', [chunk(104)]);

  const decoys: Decoy[] = [];
  const decoy = (value: string, what: string, paths: string[]) =>
    decoys.push({ value, fingerprint: fingerprint(value), what, paths });
  // Every product page carries the Stripe publishable key, as a real checkout would.
  decoy(
    decoyValues.stripeLive,
    'Stripe pk_live_ publishable key',
    model.products.map((product) => product.path),
  );
  addTo(scriptExtras, chunk(47), `var Wn=window.Stripe?window.Stripe("${decoyValues.stripeTest}"):null;`);
  decoy(decoyValues.stripeTest, 'Stripe pk_test_ publishable key', [chunk(47)]);
  addTo(scriptExtras, chunk(12), `var Qc={checioKey:"${decoyValues.checio}",region:"eu"};`);
  decoy(decoyValues.checio, 'Checio-like pk_ + 45 lower-case alnum', [chunk(12)]);
  const faqPage = (model.infoPages[2] as InfoPage).path;
  addTo(pageExtras, faqPage, `<script>var clickupToken="${decoyValues.clickup}";</script>`);
  decoy(decoyValues.clickup, 'ClickUp-like pk_<8 digits>_<32 upper>', [faqPage]);
  addTo(scriptExtras, chunk(99), `var Jb={legacyToken:"${decoyValues.short33}"};`);
  decoy(decoyValues.short33, 'pk_ + 33 hex (one short)', [chunk(99)]);
  const shippingPage = (model.infoPages[3] as InfoPage).path;
  addTo(pageExtras, shippingPage, `<script>var trackingToken="${decoyValues.long35}";</script>`);
  decoy(decoyValues.long35, 'pk_ + 35 hex (one long)', [shippingPage]);

  // The shapes issue 7 taught the scan to follow, each holding a key that only that way leads to.
  const server: ServerConfig = { headers: {}, redirects: {} };
  addTo(pageExtras, '/', `<link rel="alternate" hreflang="fr" href="${model.frenchHome}">`);
  addTo(
    pageExtras,
    model.frenchHome,
    `<script>window.klaviyoSettings={locale:"fr-FR",privateApiKey:"${keys.hreflang}"};</script>`,
  );
  plant(keys.hreflang, 'inline script of a page linked only as an hreflang alternate', [model.frenchHome]);

  const reviewsPages = categoryOf(9).products.map((product) => product.path);
  for (const path of reviewsPages) {
    addTo(
      pageExtras,
      path,
      `<script type="rocketlazyloadscript" data-rocket-src="${model.reviewsWidget}" defer></script>`,
    );
  }
  addTo(scriptExtras, model.reviewsWidget, `var Rv={klaviyo:{listId:"Tq3xZe",apiKey:"${keys.delayJs}"}};`);
  plant(keys.delayJs, 'script loaded by a delay-JS loader (data-rocket-src)', [model.reviewsWidget]);

  for (const post of model.posts) {
    addTo(
      pageExtras,
      post.path,
      `<script type="importmap">${scriptJson({ imports: { wishlist: model.wishlistModule } })}</script>`,
    );
  }
  addTo(scriptExtras, model.wishlistModule, `var Wl={klaviyoPrivateKey:"${keys.importMap}"};`);
  plant(keys.importMap, 'module named only in an import map', [model.wishlistModule]);

  plant(keys.stylesheetImport, 'stylesheet pulled in by @import', [model.fonts]);

  const secretChunk = model.asyncChunks[7 % model.asyncChunks.length] as AsyncChunk;
  addTo(scriptExtras, secretChunk.path, `var Ak={klaviyo:{privateKey:"${keys.webpackAsync}"}};`);
  plant(keys.webpackAsync, 'webpack async chunk named only in the runtime chunk map', [secretChunk.path]);
  const runtime = model.shared[0] as string;
  const chunkNames = Object.fromEntries(model.asyncChunks.map((chunk) => [chunk.id, chunk.name]));
  const chunkHashes = Object.fromEntries(model.asyncChunks.map((chunk) => [chunk.id, chunk.hash]));
  addTo(
    scriptExtras,
    runtime,
    `n.p="/";n.u=function(e){return"assets/"+${JSON.stringify(chunkNames)}[e]+"."+${JSON.stringify(chunkHashes)}[e]+".js"};`,
  );
  // Page chunks load the async ones on demand, as `import()` compiles to.
  model.asyncChunks.forEach((asyncChunk, index) => {
    addTo(
      scriptExtras,
      chunk(index * 5),
      `function Lz${index}(){return n.e(${asyncChunk.id}).then(n.bind(n,${asyncChunk.id * 10 + 7}))}`,
    );
  });

  server.headers['/'] = { link: `<${model.consentScript}>; rel=preload; as=script` };
  addTo(scriptExtras, model.consentScript, `var Cs={klaviyo_private_key:"${keys.linkHeader}"};`);
  plant(keys.linkHeader, 'script named only in a Link response header', [model.consentScript]);

  addTo(
    pageExtras,
    contactPage,
    '<p class="newsletter-link"><a href="/go/newsletter">Join the newsletter</a></p>',
  );
  server.redirects['/go/newsletter'] = {
    status: 302,
    location: contactPage,
    headers: { 'x-newsletter-token': keys.redirectHeader },
  };
  plant(keys.redirectHeader, 'header of a redirect response', ['/go/newsletter']);
  server.redirects['/pages/returns-policy'] = { status: 301, location: '/pages/returns' };

  const splitPost = (model.posts[6] as InfoPage).path;
  addTo(
    pageExtras,
    splitPost,
    `<p class="note">The key we used before the move: pk_<span class="mono">${keys.splitMarkup.slice(3, 15)}</span>${keys.splitMarkup.slice(15)}</p>`,
  );
  plant(keys.splitMarkup, 'written across inline markup (pk_<span>…</span>…)', [splitPost]);
  // Klaviyo's documentation example is a placeholder: listed apart, never a finding.
  addTo(
    pageExtras,
    (model.posts[2] as InfoPage).path,
    '<p class="tip">A private key looks like pk_abc123def456ghi789jkl0mno123pqrst4 and belongs on a server.</p>',
  );

  const writer = new SiteWriter(root);
  const pageTarget = () => rng.between(config.pageBytes[0], config.pageBytes[1]);
  const pageScripts = (index: number) => [
    ...model.shared,
    chunk(index * 3),
    chunk(index * 3 + 1),
    chunk(index * 3 + 2),
  ];
  const templates = new PageTemplates(rng, text, model);
  let pageIndex = 0;
  const writePage = (
    path: string,
    render: (scripts: string[], extras: string[], target: number) => string,
  ) => {
    writer.page(path, render(pageScripts(pageIndex), pageExtras.get(path) ?? [], pageTarget()));
    pageIndex++;
  };

  writePage('/', (scripts, extras, target) => templates.home(scripts, extras, target));
  writePage(model.frenchHome, (scripts, extras, target) => templates.home(scripts, extras, target));
  for (const category of model.categories) {
    writePage(category.path, (scripts, extras, target) =>
      templates.category(category, scripts, extras, target),
    );
  }
  for (const product of model.products) {
    writePage(product.path, (scripts, extras, target) =>
      templates.product(product, scripts, [...extras, checkoutScript(decoyValues.stripeLive)], target),
    );
  }
  for (const info of model.infoPages) {
    writePage(info.path, (scripts, extras, target) =>
      templates.article(info, 'page', scripts, extras, target),
    );
  }
  writePage(model.blogIndex, (scripts, extras, target) => templates.blogIndex(scripts, extras, target));
  for (const post of model.posts) {
    writePage(post.path, (scripts, extras, target) =>
      templates.article(post, 'article', scripts, extras, target),
    );
  }

  const code = new CodeFactory(rng, text);
  const scriptTarget = () => rng.between(config.scriptBytes[0], config.scriptBytes[1]);
  model.scripts.forEach((path, index) => {
    writer.script(path, code.chunk(index, scriptExtras.get(path) ?? [], scriptTarget()));
  });
  for (const chunk of model.asyncChunks) {
    writer.script(chunk.path, code.chunk(chunk.id, scriptExtras.get(chunk.path) ?? [], scriptTarget()));
  }
  for (const [index, path] of [model.reviewsWidget, model.wishlistModule, model.consentScript].entries()) {
    writer.script(
      path,
      code.chunk(900 + index, scriptExtras.get(path) ?? [], Math.floor(scriptTarget() / 4)),
    );
  }
  writer.stylesheet(model.theme, `@import url("${model.fonts}");\n${model.css}\n`);
  writer.stylesheet(
    model.fonts,
    `/* newsletter pop-up fonts; klaviyo api_key ${keys.stylesheetImport} (to move server-side) */\n` +
      `@font-face{font-family:"Northwind Sans";font-display:swap;src:url(data:font/woff2;base64,${randomBase64(rng, 24_000)}) format("woff2")}\n`,
  );
  writer.script(
    model.manifest,
    `${JSON.stringify({ name: STORE, short_name: 'Northwind', start_url: '/', display: 'standalone', theme_color: '#1d1d1f', icons: [{ src: '/cdn/shop/files/icon-512.png', sizes: '512x512', type: 'image/png' }] }, null, 2)}\n`,
  );
  writer.serverConfig(server);

  return {
    root,
    pages: writer.pages,
    scripts: writer.scripts,
    stylesheets: writer.stylesheets,
    pageBytes: writer.pageBytes,
    scriptBytes: writer.scriptBytes,
    totalBytes: writer.pageBytes + writer.scriptBytes,
    planted,
    decoys,
    publicKey: PUBLIC_KEY,
  };
}

function checkoutScript(stripeKey: string): string {
  return `<script>window.checkoutConfig={stripePublishableKey:"${stripeKey}",currency:"USD",country:"US",wallets:["apple_pay","google_pay"]};</script>`;
}

function buildModel(rng: SeededRandom, config: Required<SiteOptions>): SiteModel {
  const categories: Category[] = [];
  const products: Product[] = [];
  for (let c = 0; c < config.categories; c++) {
    const name = CATEGORY_NAMES[c % CATEGORY_NAMES.length] ?? `Collection ${c}`;
    const slug = slugify(c < CATEGORY_NAMES.length ? name : `${name}-${c}`);
    const category: Category = { name, slug, path: `/collections/${slug}`, products: [] };
    for (let p = 0; p < config.productsPerCategory; p++) {
      const name = titleCase(`${rng.pick(ADJECTIVES)} ${rng.pick(MATERIALS)} ${rng.pick(NOUNS)}`);
      const id = 7_000_000_000 + products.length * 7919;
      const slug = `${slugify(name)}-${products.length + 1}`;
      const product: Product = {
        name,
        slug,
        path: `/products/${slug}`,
        price: rng.between(18, 420),
        id,
        category: c,
      };
      category.products.push(product);
      products.push(product);
    }
    categories.push(category);
  }
  const infoPages = [
    'About Us',
    'Contact',
    'FAQ',
    'Shipping',
    'Returns',
    'Privacy Policy',
    'Terms of Service',
    'Size Guide',
  ].map((title) => ({ title, path: `/pages/${slugify(title)}` }));
  const posts: InfoPage[] = [];
  for (let i = 0; i < 12; i++) {
    const title = titleCase(
      `how we make the ${rng.pick(ADJECTIVES)} ${rng.pick(MATERIALS)} ${rng.pick(NOUNS)}`,
    );
    posts.push({ title, path: `/blogs/journal/${slugify(title)}-${i + 1}` });
  }
  const shared = ['runtime', 'framework', 'vendors', 'app'].map(
    (name) => `/assets/${name}.${rng.chars(HEX, 8)}.js`,
  );
  const chunks: string[] = [];
  for (let i = 0; i < config.chunks; i++) {
    chunks.push(`/assets/${COMPONENTS[i % COMPONENTS.length]}-${i}.${rng.chars(HEX, 8)}.js`);
  }
  const asyncChunks: AsyncChunk[] = [];
  for (let i = 0; i < config.asyncChunks; i++) {
    const name = `${COMPONENTS[(i * 7 + 3) % COMPONENTS.length]}-async-${i}`;
    const hash = rng.chars(HEX, 8);
    asyncChunks.push({ id: 500 + i * 3, name, hash, path: `/assets/${name}.${hash}.js` });
  }
  const asset = (name: string, extension: string) => `/assets/${name}.${rng.chars(HEX, 8)}.${extension}`;
  return {
    categories,
    products,
    infoPages,
    posts,
    blogIndex: '/blogs/journal/',
    scripts: [...shared, ...chunks],
    shared,
    asyncChunks,
    reviewsWidget: asset('reviews-widget', 'js'),
    wishlistModule: asset('wishlist-module', 'js'),
    consentScript: asset('consent', 'js'),
    theme: asset('theme', 'css'),
    fonts: asset('fonts', 'css'),
    manifest: '/site.webmanifest',
    frenchHome: '/fr/',
    css: criticalCss(rng),
    logo: `data:image/svg+xml;base64,${Buffer.from(logoSvg(rng)).toString('base64')}`,
  };
}

/** A wordmark of a few hundred path points, about the size of a theme's inline logo. */
function logoSvg(rng: SeededRandom): string {
  const points = Array.from(
    { length: 180 },
    () => `${rng.between(0, 2000) / 10} ${rng.between(0, 400) / 10}`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 40" role="img" aria-label="${STORE}"><path fill="#1d1d1f" d="M${points.join(' L')}Z"/></svg>`;
}

/** Base64 of random bytes, as an embedded font or image reads to the scan. */
function randomBase64(rng: SeededRandom, bytes: number): string {
  const data = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) data[i] = rng.int(256);
  return data.toString('base64');
}

function criticalCss(rng: SeededRandom): string {
  const selectors = [
    'body',
    '.site-header',
    '.main-nav',
    '.mega-menu',
    '.card',
    '.card__title',
    '.price',
    '.rating',
    '.swatches',
    '.review',
    '.footer',
    '.announcement-bar',
    '.breadcrumbs',
    '.facets',
    '.product__info',
    '.product__media',
    '.btn',
    '.badge',
  ];
  const properties = [
    'margin',
    'padding',
    'font-size',
    'line-height',
    'letter-spacing',
    'gap',
    'max-width',
    'border-radius',
  ];
  let css =
    ':root{--color-base:#1d1d1f;--color-accent:#7a4b2a;--font-body:Georgia,serif;--page-width:120rem}';
  for (let i = 0; i < 260; i++) {
    const rule = Array.from(
      { length: rng.between(2, 5) },
      () => `${rng.pick(properties)}:${rng.between(0, 48) / 10}rem`,
    ).join(';');
    css += `${rng.pick(selectors)}${rng.chance(0.4) ? `--${rng.pick(['small', 'large', 'active', 'open'])}` : ''}{${rule}}`;
    if (i % 40 === 0)
      css += `@media screen and (min-width:${rng.between(600, 1200)}px){.grid{grid-template-columns:repeat(${rng.between(2, 5)},1fr)}}`;
  }
  return css;
}

/** Sentences and names from fixed word lists; no external text, so the site is reproducible. */
class TextFactory {
  readonly #rng: SeededRandom;

  constructor(rng: SeededRandom) {
    this.#rng = rng;
  }

  words(count: number): string {
    const rng = this.#rng;
    let out = rng.pick(WORDS);
    for (let i = 1; i < count; i++) out += ` ${rng.pick(WORDS)}`;
    return out;
  }

  sentence(): string {
    const words = this.words(this.#rng.between(7, 19));
    return `${words[0]?.toUpperCase()}${words.slice(1)}${this.#rng.chance(0.1) ? '!' : '.'}`;
  }

  paragraph(): string {
    const count = this.#rng.between(3, 7);
    let out = this.sentence();
    for (let i = 1; i < count; i++) out += ` ${this.sentence()}`;
    return out;
  }

  date(): { iso: string; human: string } {
    const month = this.#rng.between(1, 12);
    const day = this.#rng.between(1, 28);
    const year = this.#rng.between(2022, 2025);
    return {
      iso: `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
      human: `${MONTHS[month - 1]} ${day}, ${year}`,
    };
  }
}

class PageTemplates {
  readonly #rng: SeededRandom;
  readonly #text: TextFactory;
  readonly #model: SiteModel;
  readonly #header: string;
  readonly #footer: string;

  constructor(rng: SeededRandom, text: TextFactory, model: SiteModel) {
    this.#rng = rng;
    this.#text = text;
    this.#model = model;
    this.#header = this.#renderHeader();
    this.#footer = this.#renderFooter();
  }

  home(scripts: string[], extras: string[], target: number): string {
    const page = this.#open(
      'Home',
      `${STORE}: knitwear and outerwear made to last.`,
      '/',
      'index',
      scripts,
      extras,
    );
    page.push(
      `<section class="hero"><img src="${PIXEL_GIF}" data-src="/cdn/shop/files/hero.jpg?width=2000" alt="" width="2000" height="900"><div class="hero__text"><h1>Made to be worn for years</h1><p>${this.#text.paragraph()}</p><a class="btn" href="${this.#model.categories[0]?.path}">Shop new arrivals</a></div></section>`,
      '<section class="collections"><h2>Shop by collection</h2><ul class="grid">',
    );
    for (const category of this.#model.categories) {
      page.push(
        `<li class="grid__item"><a class="collection-tile" href="${category.path}"><img src="${PIXEL_GIF}" data-src="/cdn/shop/collections/${category.slug}.jpg?width=800" alt="${escapeHtml(category.name)}" loading="lazy"><span>${escapeHtml(category.name)}</span></a></li>`,
      );
    }
    page.push('</ul></section><section class="featured"><h2>Best sellers</h2><ul class="grid product-grid">');
    for (let i = 0; i < 24; i++) page.push(this.#card(this.#rng.pick(this.#model.products)));
    page.push('</ul></section><section class="editorial">');
    this.#fill(page, target, () => `<p>${this.#text.paragraph()}</p>`);
    page.push('</section>');
    return this.#close(page);
  }

  category(category: Category, scripts: string[], extras: string[], target: number): string {
    const page = this.#open(
      category.name,
      `Shop ${category.name} at ${STORE}.`,
      category.path,
      'collection',
      scripts,
      extras,
    );
    page.push(
      `<nav class="breadcrumbs" aria-label="Breadcrumb"><a href="/">Home</a> / <span>${escapeHtml(category.name)}</span></nav>`,
      `<h1>${escapeHtml(category.name)}</h1><div class="collection__description"><p>${this.#text.paragraph()}</p></div>`,
      '<aside class="facets"><form class="facets__form" method="get">',
    );
    for (const [facet, values] of [
      ['Size', SIZES],
      ['Colour', COLORS],
      ['Material', MATERIALS],
    ] as const) {
      page.push(`<fieldset class="facet"><legend>${facet}</legend>`);
      for (const value of values) {
        const id = `filter-${facet.toLowerCase()}-${value.toLowerCase()}`;
        page.push(
          `<label for="${id}"><input type="checkbox" id="${id}" name="filter.${facet.toLowerCase()}" value="${value}"> ${value} <span class="count">(${this.#rng.between(1, 25)})</span></label>`,
        );
      }
      page.push('</fieldset>');
    }
    page.push('</form></aside><ul class="grid product-grid" id="product-grid">');
    for (const product of category.products) page.push(this.#card(product));
    page.push('</ul>');
    page.push(
      `<script>window.collection=${scriptJson({
        id: 400_000 + this.#model.categories.indexOf(category),
        handle: category.slug,
        products: category.products.map((product) => ({
          id: product.id,
          handle: product.slug,
          title: product.name,
          price: product.price * 100,
          available: this.#rng.chance(0.9),
          tags: [this.#rng.pick(COLORS), this.#rng.pick(MATERIALS)],
        })),
      })};</script>`,
    );
    page.push('<section class="collection__seo">');
    this.#fill(
      page,
      target,
      () => `<h2>${titleCase(this.#text.words(4))}</h2><p>${this.#text.paragraph()}</p>`,
    );
    page.push('</section>');
    return this.#close(page);
  }

  product(product: Product, scripts: string[], extras: string[], target: number): string {
    const rng = this.#rng;
    const category = this.#model.categories[product.category] as Category;
    const page = this.#open(
      product.name,
      `${product.name} in ${rng.pick(COLORS)}. ${this.#text.sentence()}`,
      product.path,
      'product',
      scripts,
      extras,
    );
    const colors = Array.from({ length: rng.between(2, 5) }, () => rng.pick(COLORS));
    const variants = colors.flatMap((color, c) =>
      SIZES.map((size, s) => ({
        id: product.id * 10 + c * SIZES.length + s,
        title: `${color} / ${size}`,
        sku: `NW-${product.id % 100_000}-${c}${s}`,
        price: product.price * 100,
        available: rng.chance(0.85),
      })),
    );
    page.push(
      `<script type="application/ld+json">${scriptJson({
        '@context': 'https://schema.org',
        '@type': 'Product',
        name: product.name,
        sku: `NW-${product.id % 100_000}`,
        brand: { '@type': 'Brand', name: STORE },
        description: this.#text.paragraph(),
        offers: variants.map((variant) => ({
          '@type': 'Offer',
          sku: variant.sku,
          price: (variant.price / 100).toFixed(2),
          priceCurrency: 'USD',
          availability: variant.available ? 'InStock' : 'OutOfStock',
        })),
        aggregateRating: { '@type': 'AggregateRating', ratingValue: 4.6, reviewCount: rng.between(12, 400) },
      })}</script>`,
      `<nav class="breadcrumbs" aria-label="Breadcrumb"><a href="/">Home</a> / <a href="${category.path}">${escapeHtml(category.name)}</a> / <span>${escapeHtml(product.name)}</span></nav>`,
      '<div class="product"><div class="product__media"><ul class="gallery">',
    );
    for (let i = 1; i <= 8; i++) {
      page.push(
        `<li class="gallery__item"><img src="${PIXEL_GIF}" data-src="/cdn/shop/products/${product.slug}-${i}.jpg?width=1200" data-srcset="/cdn/shop/products/${product.slug}-${i}.jpg?width=600 600w, /cdn/shop/products/${product.slug}-${i}.jpg?width=1200 1200w" alt="${escapeHtml(product.name)}, view ${i}" width="1200" height="1500" loading="lazy"></li>`,
      );
    }
    page.push(
      `</ul></div><div class="product__info"><h1>${escapeHtml(product.name)}</h1><div class="price"><span class="price__regular">$${product.price}.00</span></div>`,
      `<form class="product-form" method="post"><input type="hidden" name="id" value="${variants[0]?.id}"><fieldset class="variant-picker"><legend>Colour</legend>`,
      ...colors.map(
        (color, i) =>
          `<input type="radio" name="Colour" id="colour-${i}" value="${color}"${i === 0 ? ' checked' : ''}><label for="colour-${i}">${color}</label>`,
      ),
      '</fieldset><fieldset class="variant-picker"><legend>Size</legend>',
      ...SIZES.map(
        (size) =>
          `<input type="radio" name="Size" id="size-${size}" value="${size}"><label for="size-${size}">${size}</label>`,
      ),
      '</fieldset><button type="submit" class="btn btn--primary">Add to cart</button></form>',
      `<div class="product__description">${Array.from({ length: 4 }, () => `<p>${this.#text.paragraph()}</p>`).join('')}</div>`,
      '<table class="specs"><tbody>',
      ...['Material', 'Weight', 'Origin', 'Care', 'Fit'].map(
        (label) => `<tr><th>${label}</th><td>${this.#text.words(rng.between(2, 6))}</td></tr>`,
      ),
      '</tbody></table></div></div>',
      `<script type="application/json" id="product-json">${scriptJson({ id: product.id, handle: product.slug, title: product.name, variants })}</script>`,
      '<section class="related"><h2>You may also like</h2><ul class="grid product-grid">',
    );
    for (let i = 1; i <= 8; i++) {
      page.push(
        this.#card(
          category.products[(category.products.indexOf(product) + i) % category.products.length] as Product,
        ),
      );
    }
    page.push('</ul></section><section class="reviews" id="reviews"><h2>Reviews</h2>');
    this.#fill(page, target, () => this.#review());
    page.push('</section>');
    return this.#close(page);
  }

  article(
    info: InfoPage,
    kind: 'page' | 'article',
    scripts: string[],
    extras: string[],
    target: number,
  ): string {
    const page = this.#open(info.title, this.#text.sentence(), info.path, kind, scripts, extras);
    const date = this.#text.date();
    page.push(
      `<article class="${kind}"><h1>${escapeHtml(info.title)}</h1>`,
      kind === 'article' ? `<p class="meta"><time datetime="${date.iso}">${date.human}</time></p>` : '',
    );
    if (kind === 'article') {
      // Prose that mentions the prefix is not a key.
      page.push('<p>Keys that start with pk_ belong on a server, never in a page.</p>');
    }
    this.#fill(page, target, () =>
      this.#rng.chance(0.2)
        ? `<h2>${titleCase(this.#text.words(5))}</h2>`
        : `<p>${this.#text.paragraph()} ${this.#text.paragraph()}</p>`,
    );
    page.push('</article>');
    return this.#close(page);
  }

  blogIndex(scripts: string[], extras: string[], target: number): string {
    const page = this.#open(
      'Journal',
      'Stories from the mill.',
      this.#model.blogIndex,
      'blog',
      scripts,
      extras,
    );
    page.push('<h1>Journal</h1><ul class="articles">');
    for (const post of this.#model.posts) {
      page.push(
        `<li class="article-card"><a href="${post.path}"><h2>${escapeHtml(post.title)}</h2></a><p>${this.#text.paragraph()}</p></li>`,
      );
    }
    page.push('</ul><section class="blog__about">');
    this.#fill(page, target, () => `<p>${this.#text.paragraph()}</p>`);
    page.push('</section>');
    return this.#close(page);
  }

  #open(
    title: string,
    description: string,
    path: string,
    type: string,
    scripts: string[],
    extras: string[],
  ): Parts {
    const page = new Parts();
    const rng = this.#rng;
    page.push(
      '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
      '<meta name="viewport" content="width=device-width,initial-scale=1">\n',
      `<title>${escapeHtml(title)} – ${STORE}</title>\n<meta name="description" content="${escapeHtml(description)}">\n`,
      `<link rel="canonical" href="${path}">\n<link rel="preload" as="script" href="${scripts[0]}">\n`,
      `<link rel="stylesheet" href="${this.#model.theme}">\n<link rel="manifest" href="${this.#model.manifest}">\n`,
      `<style>${this.#model.css}</style>\n`,
      `<script>window.dataLayer=window.dataLayer||[];window.ShopMeta={page:{pageType:"${type}",resourceId:${rng.between(1000, 999_999)}},currency:"USD",locale:"en-US"};`,
      `var _learnq=_learnq||[];_learnq.push(['account','${PUBLIC_KEY}']);dataLayer.push({event:"page_view",page_type:"${type}"});</script>\n`,
      ...scripts.map((src) => `<script src="${src}" defer></script>\n`),
      '</head>\n',
    );
    // Planted extras sit in the head or body depending on what they are.
    const inHead = (extra: string) => extra.startsWith('<script') || extra.startsWith('<link');
    const headExtras = extras.filter(inHead);
    const bodyExtras = extras.filter((extra) => !inHead(extra));
    page.push(...headExtras.map((extra) => `${extra}\n`));
    page.push(`<body class="template-${type}">\n`, this.#header, '<main id="main" class="page-width">\n');
    page.push(...bodyExtras.map((extra) => `${extra}\n`));
    return page;
  }

  #close(page: Parts): string {
    page.push('\n</main>\n', this.#footer, '</body>\n</html>\n');
    return page.join();
  }

  /** Appends blocks until the page (with its closing footer) reaches the target size. */
  #fill(page: Parts, target: number, block: () => string): void {
    const limit = target - this.#footer.length - 40;
    let guard = 0;
    while (page.length < limit && guard++ < 10_000) page.push(block(), '\n');
  }

  #card(product: Product): string {
    const rng = this.#rng;
    const rating = rng.between(35, 50) / 10;
    const swatches = Array.from({ length: rng.between(2, 5) }, () => rng.pick(COLORS));
    const quick = escapeHtml(
      JSON.stringify({ id: product.id, handle: product.slug, price: product.price * 100, swatches }),
    );
    return `<li class="grid__item"><div class="card" data-product-id="${product.id}" data-quick-view="${quick}"><a class="card__media" href="${product.path}"><img src="${PIXEL_GIF}" data-src="/cdn/shop/products/${product.slug}-1.jpg?width=600" alt="${escapeHtml(product.name)}" width="600" height="750" loading="lazy"></a><h3 class="card__title"><a href="${product.path}">${escapeHtml(product.name)}</a></h3><div class="price">$${product.price}.00</div><div class="rating" aria-label="${rating} out of 5"><span style="--rating:${rating}"></span> (${rng.between(3, 400)})</div><ul class="swatches">${swatches.map((color) => `<li class="swatch swatch--${color}" title="${color}"></li>`).join('')}</ul><button type="button" class="btn btn--quick-add" data-variant-id="${product.id * 10}">Quick add</button></div></li>\n`;
  }

  #review(): string {
    const rng = this.#rng;
    const stars = rng.between(3, 5);
    const date = this.#text.date();
    const helpful = rng.between(0, 60);
    return `<article class="review" data-review-id="${rng.between(100_000, 999_999)}"><header><span class="review__author">${rng.pick(FIRST_NAMES)} ${String.fromCharCode(65 + rng.int(26))}.</span><span class="review__rating" aria-label="${stars} out of 5">${'★'.repeat(stars)}${'☆'.repeat(5 - stars)}</span><time datetime="${date.iso}">${date.human}</time><span class="badge badge--verified">Verified buyer</span></header><h4 class="review__title">${this.#text.sentence()}</h4><div class="review__body"><p>${this.#text.paragraph()}</p></div><dl class="review__fit"><dt>Size bought</dt><dd>${rng.pick(SIZES)}</dd><dt>Fit</dt><dd>${rng.pick(['Runs small', 'True to size', 'Runs large'])}</dd></dl><footer><button type="button" class="review__helpful" data-helpful="${helpful}">Helpful (${helpful})</button></footer></article>`;
  }

  #renderHeader(): string {
    const parts = [
      '<a class="skip-link" href="#main">Skip to content</a>\n',
      '<div class="announcement-bar" role="region">Free shipping on orders over $75. Free returns within 30 days.</div>\n',
      `<header class="site-header"><a class="logo" href="/"><img src="${this.#model.logo}" alt="Northwind" width="200" height="40"></a><nav class="main-nav" aria-label="Main"><ul>`,
    ];
    for (const category of this.#model.categories) {
      parts.push(
        `<li class="nav-item"><a href="${category.path}">${escapeHtml(category.name)}</a><div class="mega-menu"><ul>`,
        ...category.products
          .slice(0, 4)
          .map((product) => `<li><a href="${product.path}">${escapeHtml(product.name)}</a></li>`),
        '</ul></div></li>',
      );
    }
    parts.push(
      '</ul></nav><div class="header__icons"><button type="button" class="search-toggle" aria-label="Search"></button><button type="button" class="cart-toggle" aria-label="Cart">Cart (0)</button></div></header>\n',
    );
    return parts.join('');
  }

  #renderFooter(): string {
    const parts = ['<footer class="footer"><div class="footer__columns"><ul class="footer__links">'];
    for (const info of this.#model.infoPages)
      parts.push(`<li><a href="${info.path}">${escapeHtml(info.title)}</a></li>`);
    parts.push(
      '<li><a href="/pages/returns-policy">Returns policy</a></li>',
      `<li><a href="${this.#model.blogIndex}">Journal</a></li></ul><ul class="footer__links">`,
    );
    for (const post of this.#model.posts.slice(0, 3)) {
      parts.push(`<li><a href="${post.path}">${escapeHtml(post.title)}</a></li>`);
    }
    parts.push(
      `</ul><div class="footer__newsletter"><h2>Letters from the mill</h2><p>${this.#text.paragraph()}</p><form class="newsletter-form" method="post"><input type="email" name="email" placeholder="Email address" required><button type="submit" class="btn">Subscribe</button></form></div></div>`,
      `<p class="footer__legal">© 2025 ${STORE}. <a href="mailto:help@northwind.test">help@northwind.test</a></p></footer>\n`,
    );
    return parts.join('');
  }
}

/** Minified-looking webpack-style chunks made of a few recurring module shapes. */
class CodeFactory {
  readonly #rng: SeededRandom;
  readonly #text: TextFactory;

  constructor(rng: SeededRandom, text: TextFactory) {
    this.#rng = rng;
    this.#text = text;
  }

  chunk(index: number, extras: string[], target: number): string {
    const code = new Parts();
    code.push(`"use strict";(self.webpackChunknorthwind=self.webpackChunknorthwind||[]).push([[${index}],{`);
    let moduleId = 1000 + index * 97;
    // Planted code goes in a module in the middle of the file, as a bundler would place it.
    const extrasAt = Math.floor(target / 2);
    let extrasDone = extras.length === 0;
    let guard = 0;
    while (code.length < target && guard++ < 100_000) {
      let body = this.#module();
      if (!extrasDone && code.length >= extrasAt) {
        body = `${extras.join('')}${body}`;
        extrasDone = true;
      }
      code.push(`${moduleId}:function(e,t,n){${body}},`);
      moduleId += this.#rng.between(1, 40);
    }
    if (!extrasDone) code.push(`${moduleId}:function(e,t,n){${extras.join('')}},`);
    code.push('}]);\n');
    return code.join();
  }

  #module(): string {
    const rng = this.#rng;
    const id = () => rng.pick(IDENTIFIERS) + (rng.chance(0.5) ? rng.pick(IDENTIFIERS).toUpperCase() : '');
    const prop = () => rng.pick(PROPS);
    const exports = `n.d(t,{${id()}:function(){return ${id()}}});var ${id()}=n(${rng.between(1000, 20000)}),${id()}=n.n(${id()});`;
    switch (rng.int(7)) {
      case 0:
        return `${exports}function ${id()}(e,t){var n=e.length,r=0;for(;r<n;r++)if(t(e[r],r))return e[r];return null}function ${id()}(e){return e.reduce(function(e,t){return e+t.${prop()}*t.${prop()}},0)}`;
      case 1: {
        const entries = Array.from(
          { length: rng.between(10, 40) },
          // Minified strings carry escapes: quotes, newlines, `\u00a0`.
          () =>
            `"${rng.pick(COMPONENTS)}.${prop()}":"${this.#text.sentence()}${rng.pick(['', '', '\\n', ' \\"%s\\"', '\\u00a0'])}"`,
        );
        return `${exports}var ${id()}={${entries.join(',')}};`;
      }
      case 2: {
        const name = `${rng.pick(COMPONENTS)}-${rng.between(1, 99)}`;
        const cls = titleCase(name).replace(/-/g, '');
        return `${exports}class ${cls} extends HTMLElement{constructor(){super(),this.${prop()}=this.querySelector(".${name}__inner"),this.${prop()}=!1}connectedCallback(){this.addEventListener("click",this.${prop()}.bind(this)),this.${prop()}=Number(this.dataset.${prop()}||0)}${prop()}(e){e.preventDefault(),this.classList.toggle("is-open"),this.dispatchEvent(new CustomEvent("${name}:toggle",{bubbles:!0,detail:{${prop()}:this.${prop()}}}))}}customElements.get("${name}")||customElements.define("${name}",${cls});`;
      }
      case 3: {
        const icons = Array.from(
          { length: rng.between(4, 12) },
          () =>
            `${rng.pick(PROPS)}:'<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M${Array.from({ length: 24 }, () => rng.between(0, 240) / 10).join(' ')}z"/></svg>'`,
        );
        return `${exports}var ${id()}={${icons.join(',')}};`;
      }
      case 4:
        return `${exports}var ${id()}={${prop()}:[${Array.from({ length: rng.between(20, 80) }, () => rng.between(0, 99_999)).join(',')}],${prop()}:"${rng.chars(HEX, 32)}",${prop()}:!0,${prop()}:${rng.between(0, 500)}};`;
      case 5:
        return `${exports}async function ${id()}(e,t){const n=await fetch("/cart/${rng.pick(['add', 'change', 'update', 'clear'])}",{method:"POST",headers:{"Content-Type":"application/json",Accept:"application/json"},body:JSON.stringify({id:e,quantity:t,sections:["${rng.pick(COMPONENTS)}"]})});if(!n.ok)throw new Error("${this.#text.sentence()}");return n.json()}`;
      default: {
        const cases = Array.from(
          { length: rng.between(3, 9) },
          () =>
            `case"${rng.pick(COMPONENTS).toUpperCase().replace(/-/g, '_')}":return{...e,${prop()}:t.${prop()},${prop()}:!e.${prop()}};`,
        );
        return `${exports}function ${id()}(e,t){switch(t.type){${cases.join('')}default:return e}}`;
      }
    }
  }
}

class SiteWriter {
  readonly #root: string;
  pages = 0;
  scripts = 0;
  stylesheets = 0;
  pageBytes = 0;
  scriptBytes = 0;

  constructor(root: string) {
    this.#root = root;
  }

  /** `/` and `/dir/` become index.html; other page paths get `.html` (the server maps them back). */
  page(path: string, html: string): void {
    const file = path.endsWith('/') ? `${path}index.html` : `${path}.html`;
    this.pageBytes += this.#write(file, html);
    this.pages++;
  }

  script(path: string, code: string): void {
    this.scriptBytes += this.#write(path, code);
    this.scripts++;
  }

  stylesheet(path: string, css: string): void {
    this.scriptBytes += this.#write(path, css);
    this.stylesheets++;
  }

  serverConfig(config: ServerConfig): void {
    this.#write(`/${SERVER_CONFIG_FILE}`, `${JSON.stringify(config, null, 2)}\n`);
  }

  #write(path: string, content: string): number {
    const file = join(this.#root, path);
    mkdirSync(dirname(file), { recursive: true });
    const bytes = Buffer.from(content, 'utf8');
    writeFileSync(file, bytes);
    return bytes.length;
  }
}
