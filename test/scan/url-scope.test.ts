import { describe, expect, it } from 'vitest';
import { ScanError } from '../../src/scan/errors.js';
import {
  looksLikeNonPage,
  normalizeUrl,
  parseTarget,
  resolveLink,
  SiteScope,
} from '../../src/scan/url-scope.js';

describe('parseTarget', () => {
  it.each([
    ['https://shop.example/', 'https://shop.example/'],
    ['shop.example', 'https://shop.example/'],
    ['shop.example:8443/collections', 'https://shop.example:8443/collections'],
    ['  <https://shop.example/a#top>  ', 'https://shop.example/a'],
    ['http://user:secret@shop.example/', 'http://shop.example/'],
    ['HTTP://SHOP.EXAMPLE', 'http://shop.example/'],
  ])('%s → %s', (input, expected) => {
    expect(parseTarget(input).href).toBe(expected);
  });

  it.each([
    ['', /No URL/],
    ['ftp://shop.example/', /Only http and https/],
    ['javascript:alert(1)', /Only http and https/],
    ['file:///etc/passwd', /Only http and https/],
    ['http://', /not a valid URL/],
    ['https://exa mple.com', /not a valid URL/],
  ])('refuses %j', (input, message) => {
    expect(() => parseTarget(input)).toThrow(ScanError);
    expect(() => parseTarget(input)).toThrow(message);
  });
});

describe('normalizeUrl', () => {
  it.each([
    ['https://shop.example/a#frag', 'https://shop.example/a'],
    ['https://shop.example/a?', 'https://shop.example/a'],
    ['https://shop.example/a?b=2&a=1', 'https://shop.example/a?a=1&b=2'],
    ['https://SHOP.example:443/a', 'https://shop.example/a'],
    ['http://shop.example:80/', 'http://shop.example/'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeUrl(new URL(input))).toBe(expected);
  });
});

describe('resolveLink', () => {
  const base = new URL('https://shop.example/collections/all');
  it.each([
    ['/about', 'https://shop.example/about'],
    ['product-1', 'https://shop.example/collections/product-1'],
    ['//cdn.example/app.js', 'https://cdn.example/app.js'],
    ['https://shop.example/a#reviews', 'https://shop.example/a'],
  ])('%s → %s', (raw, expected) => {
    expect(resolveLink(raw, base)?.href).toBe(expected);
  });

  it.each(['#top', 'mailto:shop@example.com', 'tel:+100', 'javascript:void(0)', 'data:text/html,hi', ''])(
    'ignores %j',
    (raw) => {
      expect(resolveLink(raw, base)).toBeNull();
    },
  );
});

describe('SiteScope', () => {
  it('keeps the scan on the start host, port included', () => {
    const scope = new SiteScope(new URL('http://127.0.0.1:8080/'));
    expect(scope.includes(new URL('http://127.0.0.1:8080/a'))).toBe(true);
    expect(scope.includes(new URL('http://127.0.0.1:9090/a'))).toBe(false);
    expect(scope.includes(new URL('http://127.0.0.2:8080/a'))).toBe(false);
  });

  it('accepts a start redirect to the www twin only', () => {
    const scope = new SiteScope(new URL('https://shop.example/'));
    expect(
      scope.acceptStartRedirect(new URL('https://shop.example/'), new URL('https://www.shop.example/')),
    ).toBe(true);
    expect(scope.includes(new URL('https://www.shop.example/about'))).toBe(true);
    expect(
      scope.acceptStartRedirect(new URL('https://shop.example/'), new URL('https://evil.example/')),
    ).toBe(false);
    expect(scope.includes(new URL('https://evil.example/'))).toBe(false);
  });
});

describe('looksLikeNonPage', () => {
  it.each([
    ['/logo.png', true],
    ['/files/catalog.PDF', true],
    ['/styles/site.css', true],
    ['/products/shirt', false],
    ['/index.html', false],
    ['/feed.json', false],
  ])('%s → %s', (path, expected) => {
    expect(looksLikeNonPage(new URL(path, 'https://shop.example'))).toBe(expected);
  });
});
