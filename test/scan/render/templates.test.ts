import { describe, expect, it } from 'vitest';
import { choosePages, templateOf, urlPattern } from '../../../src/scan/render/templates.js';

describe('templates', () => {
  it.each([
    ['https://shop.example/', 'shop.example/'],
    ['https://shop.example/products/blue-shirt', 'shop.example/products/*'],
    ['https://shop.example/products/red-hat?variant=2', 'shop.example/products/*'],
    ['https://shop.example/blogs/news/launch', 'shop.example/blogs/*/*'],
    ['https://shop.example/2024/05/post', 'shop.example/*/*/*'],
    ['https://shop.example/about', 'shop.example/about'],
  ])('%s has the URL shape %s', (url, pattern) => {
    expect(urlPattern(url)).toBe(pattern);
  });

  it('treats versions of one script as the same script', () => {
    const a = templateOf({ url: 'https://shop.example/a', scripts: ['https://shop.example/app.js?v=1'] });
    const b = templateOf({ url: 'https://shop.example/b', scripts: ['https://shop.example/app.js?v=2'] });
    expect(a.scripts).toBe(b.scripts);
  });

  const page = (url: string, scripts: string[]) =>
    templateOf({
      url: `https://shop.example${url}`,
      scripts: scripts.map((s) => `https://shop.example${s}`),
    });

  it('renders the start page, then one page per script set, then one per URL shape, up to the limit', () => {
    const pages = [
      page('/', ['/app.js']),
      page('/products/a', ['/app.js', '/product.js']),
      page('/products/b', ['/app.js', '/product.js']),
      page('/products/c', ['/app.js', '/product.js', '/reviews.js']),
      page('/pages/about', ['/app.js']),
      page('/pages/contact', ['/app.js']),
      page('/blogs/news/x', ['/app.js']),
    ];
    expect(choosePages('https://shop.example/', pages, 20)).toEqual([
      'https://shop.example/',
      'https://shop.example/products/a',
      'https://shop.example/products/c',
      'https://shop.example/pages/about',
      'https://shop.example/blogs/news/x',
    ]);
    expect(choosePages('https://shop.example/', pages, 2)).toEqual([
      'https://shop.example/',
      'https://shop.example/products/a',
    ]);
  });

  it('renders the start page even when the crawl could not read it', () => {
    expect(choosePages('https://shop.example/', [], 20)).toEqual(['https://shop.example/']);
  });
});
