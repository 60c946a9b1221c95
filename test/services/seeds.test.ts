import { describe, expect, it } from 'vitest';
import { seedsOf } from '../../src/services/scan-service.js';

describe("a rotation's re-scan revisits where the key was", () => {
  it('fetches the pages and files again, but not where a page sent the key', () => {
    const seeds = seedsOf([
      { url: 'https://shop.example/', page: 'https://shop.example/' },
      { url: 'https://shop.example/app.js', page: 'https://shop.example/', resource: 'script' },
      {
        url: 'https://shop.example/apps/settings.json',
        page: 'https://shop.example/a',
        resource: 'response',
      },
      {
        url: 'https://a.klaviyo.com/api/profiles/',
        page: 'https://shop.example/checkout',
        resource: 'request',
      },
      {
        url: 'https://shop.example/landing',
        page: 'https://shop.example/landing',
        resource: 'runtime-script',
      },
      { url: 'https://shop.example/?k=pk_…abcd', page: 'https://shop.example/', resource: 'request' },
    ]);
    expect(seeds.pages).toEqual([
      'https://shop.example/',
      'https://shop.example/a',
      'https://shop.example/checkout',
      'https://shop.example/landing',
    ]);
    expect(seeds.scripts).toEqual([
      { url: 'https://shop.example/app.js', page: 'https://shop.example/' },
      { url: 'https://shop.example/apps/settings.json', page: 'https://shop.example/a' },
    ]);
  });
});
