import { describe, expect, it } from 'vitest';
import { textOfBytes } from '../../src/scan/decode.js';
import {
  extractFromHtml,
  findScriptUrlsInCode,
  parseSitemap,
  type ScriptRef,
  sitemapsFromRobots,
  unescapeJs,
} from '../../src/scan/extract.js';
import { locateInHtml } from '../../src/scan/html-location.js';
import { resolveLink } from '../../src/scan/url-scope.js';
import { seededStrings } from '../fixtures/pieces.js';

const page = new URL('https://shop.example/collections/all');

describe('extractFromHtml', () => {
  it('finds links, frames and every way a page loads a script', () => {
    const html = `<html><head>
      <script src="/a.js"></script>
      <script type="module" src="https://cdn.example/m.js"></script>
      <link rel="preload" as="script" href="/p.js">
      <link rel="modulepreload" href="/mp.js">
      <link rel="stylesheet" href="/s.css">
      <script src="https://tags.example/gtm.js?id=GTM-ABCD12"></script>
      <script type="application/ld+json">{"url":"https://shop.example/x.js"}</script>
      </head><body>
      <a href="/about">About</a><a href="mailto:x@example.com">mail</a>
      <iframe src="/embed"></iframe><area href="/map">
      </body></html>`;
    const links = extractFromHtml(html, page);
    expect(links.pages.map((u) => u.pathname)).toEqual(['/about', '/embed', '/map']);
    expect(links.scripts.map((s) => [s.url.href, s.kind])).toEqual([
      ['https://shop.example/a.js', 'classic'],
      ['https://cdn.example/m.js', 'module'],
      ['https://shop.example/p.js', 'preload'],
      ['https://shop.example/mp.js', 'preload'],
      ['https://shop.example/s.css', 'stylesheet'],
      ['https://tags.example/gtm.js?id=GTM-ABCD12', 'tag-manager'],
    ]);
  });

  it('does not follow links inside comments or script code, and reads attributes as a browser would', () => {
    const html = `<!-- <a href="/commented-out">x</a> -->
      <script>document.write('<a href="/from-code">x</a>')</script>
      <a title="a > b" href='/quoted?x=1&amp;y=2'>q</a>
      <A HREF=/unquoted>u</A>
      <a href="/first" href="/second">dup</a>`;
    expect(extractFromHtml(html, page).pages.map((u) => `${u.pathname}${u.search}`)).toEqual([
      '/quoted?x=1&y=2',
      '/unquoted',
      '/first',
    ]);
  });

  it('resolves against <base href>', () => {
    const links = extractFromHtml('<base href="https://shop.example/en/"><a href="about">a</a>', page);
    expect(links.pages[0]?.href).toBe('https://shop.example/en/about');
  });
});

describe('extractFromHtml: reading tags and attributes', () => {
  // The reference for the reading by hand: the tags as one global pattern finds them (comments
  // skipped whole, ATTRIBUTES up to `>` outside quotes or the end of the page), their attributes by
  // the global regex, values decoded and their entities undone as the extractor does, and the
  // extractor's handling of the tags these strings can hold.
  const TAG =
    /<!--[\s\S]*?(?:-->|$)|<(a|area|iframe|frame|script|link|base)(?=[\s/>])((?:[^>"']|"[^"]*(?:"|$)|'[^']*(?:'|$))*)(?:>|$)/gi;
  const ATTRIBUTE = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  const SCRIPT_END = /<\/script\s*>/gi;
  const ENTITY = /&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|([a-z]{2,8}));?/gi;
  const NAMED: Record<string, string> = {
    amp: '&',
    lt: '<',
    gt: '>',
    quot: '"',
    apos: "'",
    sol: '/',
    lowbar: '_',
  };
  const undoEntities = (value: string) =>
    value.replace(ENTITY, (whole, dec, hex, name) => {
      if (dec !== undefined || hex !== undefined) {
        const code = dec !== undefined ? Number(dec) : Number.parseInt(hex, 16);
        return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
      }
      return NAMED[(name as string).toLowerCase()] ?? whole;
    });
  const readAttributes = (source: string, decode: (part: string) => string) => {
    const attributes = new Map<string, string>();
    for (const match of source.matchAll(ATTRIBUTE)) {
      const name = (match[1] as string).toLowerCase();
      if (!attributes.has(name))
        attributes.set(name, undoEntities(decode(match[2] ?? match[3] ?? match[4] ?? '')));
    }
    return attributes;
  };
  const pageLink = (raw: string, base: URL) => `${raw} @ ${base.href}`;
  const refText = (ref: ScriptRef) => `${ref.kind} ${ref.url.href} (${ref.reason})`;

  function reference(html: string, decode: (part: string) => string) {
    const pages: string[] = [];
    const alternates: string[] = [];
    const scripts: string[] = [];
    const inline: string[] = [];
    const seen = new Set<string>();
    let base = page;
    let baseSeen = false;
    TAG.lastIndex = 0;
    for (let match = TAG.exec(html); match !== null; match = TAG.exec(html)) {
      const name = match[1]?.toLowerCase();
      if (name === undefined) continue;
      const attributes = readAttributes(match[2] ?? '', decode);
      if (name === 'a' || name === 'area' || name === 'iframe' || name === 'frame') {
        const raw = attributes.get(name === 'a' || name === 'area' ? 'href' : 'src');
        if (raw === undefined || seen.has(raw)) continue;
        seen.add(raw);
        pages.push(pageLink(raw, base));
      } else if (name === 'script') {
        SCRIPT_END.lastIndex = TAG.lastIndex;
        const end = SCRIPT_END.exec(html);
        const type = (attributes.get('type') ?? '').trim().toLowerCase();
        const kind = type === 'module' ? 'module' : 'classic';
        const src = attributes.get('src');
        const url = src === undefined ? null : resolveLink(src, base);
        if (url !== null) scripts.push(`${kind} ${url.href} (script tag)`);
        const deferred = attributes.get('data-src');
        const later = deferred === undefined ? null : resolveLink(deferred, base);
        if (later !== null) scripts.push(`${kind} ${later.href} (delay-JS loader (data-src))`);
        if (type === 'importmap' || type.includes('partytown')) throw new Error(`not modelled: ${type}`);
        if (src === undefined && /^$|javascript|ecmascript|module|babel|lazyload|rocket/.test(type))
          inline.push(decode(html.slice(TAG.lastIndex, end === null ? html.length : end.index)));
        TAG.lastIndex = end === null ? html.length : SCRIPT_END.lastIndex;
      } else if (name === 'base') {
        const href = attributes.get('href');
        const url = !baseSeen && href !== undefined ? resolveLink(href, page) : null;
        if (url !== null) base = url;
        baseSeen = true;
      } else {
        const href = attributes.get('href');
        if (href === undefined) continue;
        const rel = (attributes.get('rel') ?? '').toLowerCase().split(/\s+/);
        if (rel.some((word) => word !== '' && word !== 'stylesheet' && word !== 'alternate'))
          throw new Error(`not modelled: ${rel}`);
        const url = resolveLink(href, base);
        if (url === null) continue;
        if (rel.includes('stylesheet')) scripts.push(`stylesheet ${url.href} (stylesheet)`);
        else if (rel.includes('alternate') && (attributes.get('hreflang') ?? '').trim() !== '')
          alternates.push(url.href);
        else if ((attributes.get('type') ?? '').includes('json')) throw new Error('not modelled: JSON');
      }
    }
    for (const code of inline) scripts.push(...findScriptUrlsInCode(code, base).map(refText));
    return { pages, alternates, scripts };
  }

  function expectSame(html: string, decoders = [undefined, textOfBytes]) {
    for (const decode of decoders) {
      const found = extractFromHtml(html, page, pageLink, decode === undefined ? {} : { decode });
      const expected = reference(html, decode ?? ((part) => part));
      expect(
        {
          pages: found.pages,
          alternates: found.alternates.map((url) => url.href),
          scripts: found.scripts.map(refText),
        },
        JSON.stringify(html),
      ).toEqual(expected);
    }
  }

  // In byte text (latin1 of UTF-8) `\xc3\xa0` is `à`, whose last byte a regex reads as a space.
  const PIECES = [
    ...['<a', '<A', '<area', '<iFrame', '<frame', '<script', '<link', '<base', ' href=', 'HREF', 'href'],
    ...['src', ' SrC=', ' ', '\t', '\n', '\u00a0', '\xc3\xa0', '\u2003', '\ufeff', '"', '"', "'", '=', '>'],
    ...['>', '/', '`', '<', 'x', '/p', '?q=1', '&amp;', '&#47;', '<!--', '-->', '<script>', '</script>'],
    ...['</SCRIPT >', ' type=module', ' data-src=', '"/m.js"', '<a href=', '<a href="', "<a href='"],
    ...[' href="', '<script src=', '<link rel=stylesheet href=x.css>', '<base href=/b/>'],
    '<link rel="alternate" hreflang=de href=/de>',
    // A comment's `-->` is looked for after its `<!--`: `<!--->` does not close it.
    ...['-', '->', '<!--->'],
  ];

  it('reads what the patterns read, in strings made of the pieces of tags', () => {
    let withLinks = 0;
    let withScripts = 0;
    for (const html of seededStrings(11, PIECES, 6_000, 16)) {
      expectSame(html);
      const found = extractFromHtml(html, page, pageLink);
      if (found.pages.length > 0) withLinks++;
      if (found.scripts.length > 0 || found.alternates.length > 0) withScripts++;
    }
    // The strings are not all empty of links.
    expect(withLinks).toBeGreaterThan(1_000);
    expect(withScripts).toBeGreaterThan(600);
  });

  it('reads every character as the patterns do around tag names, attribute names and values', () => {
    for (let code = 0; code <= 0xffff; code++) {
      const c = String.fromCharCode(code);
      expectSame(
        `<a${c}href=/a${c}><a x${c}href${c}=${c}/b${c}x><a ${c}ref=/c><iframe sr${c}=/d><a href='/e'${c}src=${c}>` +
          `<link${c}rel=stylesheet${c}href=/f${c}.css><area href="/g${c}">`,
        // Byte text holds no character above 0xff.
        code > 0xff ? [undefined] : undefined,
      );
    }
  });
});

describe('hostile markup', () => {
  // Each of these used to cost the square of the page size; the test timeout would catch a return of that.
  it.each([
    ['unclosed quotes in tags', "<a '".repeat(200_000)],
    ['tags that never close', '<a <a <a '.repeat(100_000)],
    ['script tags that never close', '<script '.repeat(100_000)],
  ])('reads %s in one pass and keeps the links before them', (_name, tail) => {
    const links = extractFromHtml(`<a href="/before">x</a>${tail}`, page);
    expect(links.pages.map((url) => url.pathname)).toEqual(['/before']);
  });

  it('undoes escapes in a long run of backslashes in one pass', () => {
    expect(unescapeJs(`${'\\'.repeat(300_000)}u005f`).endsWith('_')).toBe(true);
    expect(findScriptUrlsInCode('\\'.repeat(300_000), page)).toEqual([]);
  });
});

describe('findScriptUrlsInCode', () => {
  it('composes the standard Google Tag Manager loader with its container ID', () => {
    const code = `(function(w,d,s,l,i){w[l]=w[l]||[];var f=d.getElementsByTagName(s)[0],j=d.createElement(s),dl=l!='dataLayer'?'&l='+l:'';j.async=true;j.src='https://www.googletagmanager.com/gtm.js?id='+i+dl;f.parentNode.insertBefore(j,f);})(window,document,'script','dataLayer','GTM-XYZ789');`;
    expect(findScriptUrlsInCode(code, page).map((s) => [s.url.href, s.kind])).toEqual([
      ['https://www.googletagmanager.com/gtm.js?id=GTM-XYZ789', 'tag-manager'],
    ]);
  });

  it('finds script tags inside JSON-escaped custom HTML and module imports', () => {
    const code = String.raw`{"vtp_html":"\u003cscript src=\"https:\/\/static.example\/onsite\/js\/klaviyo.js?company_id=AbC123\"\u003e"};import x from "./chunk.js";import("/lazy.js")`;
    expect(
      findScriptUrlsInCode(code, page)
        .map((s) => s.url.href)
        .sort(),
    ).toEqual([
      'https://shop.example/collections/chunk.js',
      'https://shop.example/lazy.js',
      'https://static.example/onsite/js/klaviyo.js?company_id=AbC123',
    ]);
  });

  it.each([
    ['a default import', 'import x from "./a.js";', './a.js'],
    ['named imports, minified', 'import{a as b}from"./a.js";', './a.js'],
    ['a namespace import', "import * as ns from './a.js';", './a.js'],
    ['a side-effect import', 'import "./a.js";', './a.js'],
    ['a dynamic import', 'x(import ( "./a.js" ))', './a.js'],
    ['a re-export', 'export*from"./a.js";', './a.js'],
    ['named re-exports over lines', 'export {\n  a,\n  b as c\n} from "./a.js";', './a.js'],
    ['an import over lines', 'import {\n  useState,\n  useEffect,\n} from "./a.js";', './a.js'],
  ])('reads a module specifier: %s', (_name, code, specifier) => {
    expect(findScriptUrlsInCode(code, page).map((s) => [s.url.href, s.kind, s.reason])).toEqual([
      [new URL(specifier, page).href, 'module', 'import'],
    ]);
  });

  it.each([
    ['"from" in a string', 'const s = "copied from \'./a.js\'";'],
    ['Array.from', 'Array.from("./a.js")'],
    ['a word that only starts with import', 'importer from "./a.js"'],
    ['a clause too long to be one', `import ${'a,'.repeat(200)} from "./a.js"`],
  ])('takes no module specifier from %s', (_name, code) => {
    expect(findScriptUrlsInCode(code, page)).toEqual([]);
  });

  it('keeps the order in which imports are written', () => {
    const code = 'import("./c.js");import a from"./a.js";export*from"./b.js";import"./d.js"';
    expect(findScriptUrlsInCode(code, page).map((s) => s.url.pathname)).toEqual([
      '/collections/c.js',
      '/collections/a.js',
      '/collections/b.js',
      '/collections/d.js',
    ]);
  });

  it('ignores bare module specifiers', () => {
    expect(findScriptUrlsInCode('import React from "react";', page)).toEqual([]);
  });
});

describe('URL literals in code', () => {
  // The patterns as a search from every position would run them: the reference for the anchored search.
  const SCRIPT =
    /["'`]((?:(?:https?:)?\/\/[^"'`\s<>\\]+?|\/[^"'`\s<>\\/][^"'`\s<>\\]*?)\.m?js(?:\?[^"'`\s<>\\]*)?)["'`]/g;
  const JSON_URL =
    /["'`]((?:https?:\/\/[^"'`\s<>\\]+?|\/[^"'`\s<>\\/][^"'`\s<>\\]*?)\.json(?:\?[^"'`\s<>\\]*)?)["'`]/g;
  const PIECES = [
    ...['"', '"', "'", '`', '"/', '"/', "'//", '"https://', 'a', 'x.js', 'x.js', '.mjs', '.json', 'js'],
    ...['.', 'm', '?v=1', ' ', '\u00a0', '<', '\\', '\n', 'b/', '\\"'],
  ];

  it('finds what a search from every quote finds, in strings made of the pieces such URLs are made of', () => {
    let compared = 0;
    for (const code of seededStrings(7, PIECES, 3_000, 12)) {
      if (code.includes('import') || code.includes('src')) continue;
      const expected = new Set<string>();
      const text = unescapeJs(code);
      for (const m of [...text.matchAll(SCRIPT), ...text.matchAll(JSON_URL)]) {
        const url = resolveLink(m[1] as string, page);
        if (url !== null && !/\/gtm\.js$/.test(url.pathname)) expected.add(url.href);
      }
      const found = findScriptUrlsInCode(code, page).map((ref) => ref.url.href);
      expect(new Set(found), code).toEqual(expected);
      if (expected.size > 0) compared++;
    }
    // The strings are not all empty of URLs.
    expect(compared).toBeGreaterThan(100);
  });
});

describe('findScriptUrlsInCode: module specifiers', () => {
  // The patterns as a search from every position would run them, and the clause read back from each
  // `from`: the reference for the search from each `import` and `from`.
  const IMPORT = /\bimport\s*(?:\(\s*)?["'`]([^"'`\s]+)["'`]/g;
  const FROM = /\bfrom\s*["'`]([^"'`\s]+)["'`]/g;
  const isClause = (c: string) => /[\w$*{},\s]/.test(c);
  const PIECES = [
    ...['import', 'import', 'from', 'from', 'export', ' ', '(', '{a}', '*', ',', ';', 'x', '.', '\n'],
    ...['"./a"', "'/b'", '`../c`', '"https://cdn.test/d"', '"e"', 'a.from', 'important', 'fromage', '$'],
  ];

  it('finds what a search from every position finds', () => {
    let compared = 0;
    for (const code of seededStrings(3, PIECES, 4_000, 14)) {
      const specifiers: Array<[number, string]> = [];
      for (const m of code.matchAll(IMPORT)) specifiers.push([m.index, m[1] as string]);
      for (const m of code.matchAll(FROM)) {
        let start = m.index;
        while (start > Math.max(0, m.index - 320) && isClause(code[start - 1] as string)) start--;
        if (/\b(?:import|export)\b/.test(code.slice(start, m.index)))
          specifiers.push([start, m[1] as string]);
      }
      const expected = new Set<string>();
      for (const [, raw] of specifiers.sort((a, b) => a[0] - b[0])) {
        const url = /^(?:\.{0,2}\/|https?:)/.test(raw) ? resolveLink(raw, page) : null;
        if (url !== null) expected.add(url.href);
      }
      const found = findScriptUrlsInCode(code, page)
        .filter((ref) => ref.kind === 'module')
        .map((ref) => ref.url.href);
      expect(found, code).toEqual([...expected]);
      if (expected.size > 0) compared++;
    }
    expect(compared).toBeGreaterThan(200);
  });
});

describe('unescapeJs', () => {
  it.each([
    [String.raw`\u003cscript\u003e`, '<script>'],
    [String.raw`\x3cscript\x3e`, '<script>'],
    [String.raw`https:\/\/a.example\/b`, 'https://a.example/b'],
    [String.raw`\\u005f`, '_'],
    [String.raw`\u{5f}`, '_'],
    ['plain', 'plain'],
  ])('%s → %s', (input, expected) => {
    expect(unescapeJs(input)).toBe(expected);
  });
});

describe('sitemaps', () => {
  it('reads a sitemap index and a url set', async () => {
    expect(
      await parseSitemap(
        '<sitemapindex><sitemap><loc>https://s.example/a.xml</loc></sitemap></sitemapindex>',
      ),
    ).toEqual({
      index: true,
      locations: ['https://s.example/a.xml'],
    });
    expect(
      await parseSitemap(
        '<urlset><url><loc> https://s.example/p?a=1&amp;b=2 </loc></url><url><loc><![CDATA[/q]]></loc></url></urlset>',
      ),
    ).toEqual({ index: false, locations: ['https://s.example/p?a=1&b=2', '/q'] });
  });

  it('reads Sitemap: lines of robots.txt', () => {
    expect(
      sitemapsFromRobots(
        'User-agent: *\nDisallow: /cart\nSitemap: https://s.example/sitemap.xml\nsitemap:/other.xml',
      ),
    ).toEqual(['https://s.example/sitemap.xml', '/other.xml']);
  });
});

describe('locateInHtml', () => {
  const html =
    '<div data-x="KEY1">KEY2</div><!-- KEY3 --><script>var a="KEY4"</script><script type="application/json">{"k":"KEY5"}</script><script src="KEY6"></script>';
  it.each([
    ['KEY1', 'attribute'],
    ['KEY2', 'text'],
    ['KEY3', 'comment'],
    ['KEY4', 'inline-script'],
    ['KEY5', 'json-script'],
    ['KEY6', 'attribute'],
  ])('%s is in %s', (marker, expected) => {
    expect(locateInHtml(html, html.indexOf(marker))).toBe(expected);
  });
});
