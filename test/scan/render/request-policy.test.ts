import { describe, expect, it } from 'vitest';
import {
  judgeRequest,
  type RenderScope,
  type RequestFacts,
} from '../../../src/scan/render/request-policy.js';

const scope: RenderScope = {
  isSite: (url) => url.host === 'shop.example' || url.host === 'www.shop.example',
  isKnownHost: (url) => ['cdn.shop.example', '10.0.0.5', 'static.klaviyo.com'].includes(url.host),
};

function judge(url: string, facts: Partial<RequestFacts> = {}) {
  return judgeRequest(
    {
      url: new URL(url),
      method: 'GET',
      resourceType: 'fetch',
      carriesKey: false,
      navigation: false,
      preflight: false,
      ...facts,
    },
    scope,
  );
}

describe('what becomes of a request the browser wants to send', () => {
  it.each([
    ['the site', 'https://shop.example/api/cart', {}, { action: 'fetch', network: 'site' }],
    [
      'a host the crawl fetched from',
      'https://cdn.shop.example/app.js',
      {},
      { action: 'fetch', network: 'site' },
    ],
    [
      'a private host the crawl fetched from',
      'http://10.0.0.5/x.js',
      {},
      { action: 'fetch', network: 'site' },
    ],
    ['a new host, by name', 'https://fonts.example/css', {}, { action: 'fetch', network: 'public' }],
    [
      'a write to the site',
      'https://shop.example/cart/add',
      { method: 'POST' },
      { action: 'fetch', network: 'site' },
    ],
  ])('fetches %s', (_name, url, facts, verdict) => {
    expect(judge(url, facts)).toEqual(verdict);
  });

  it.each([
    ['a bare public address', `http://93.184.216.34/`],
    ['a bare private address', 'http://10.0.0.6/'],
    ['the metadata service', 'http://169.254.169.254/latest/meta-data/'],
    ['unique-local IPv6', 'http://[fd00::1]/'],
    ['another port of the site machine', 'http://127.0.0.1:6379/'],
  ])('refuses %s the site does not use', (_name, url) => {
    expect(judge(url)).toEqual({
      action: 'refuse',
      reason: 'a bare IP address the site itself does not use',
    });
  });

  it('refuses other schemes and unusual methods', () => {
    expect(judge('ftp://shop.example/file')).toMatchObject({ action: 'refuse' });
    expect(judge('https://shop.example/', { method: 'CONNECT' })).toMatchObject({ action: 'refuse' });
  });

  it('holds back a request that carries a private key, wherever it goes', () => {
    expect(judge('https://shop.example/api', { carriesKey: true })).toMatchObject({ action: 'hold' });
    expect(judge('https://a.klaviyo.com/api/profiles/', { method: 'POST', carriesKey: true })).toMatchObject({
      action: 'hold',
      reason: expect.stringContaining('never sends'),
    });
  });

  it('holds back writes to other sites and navigations away from the site', () => {
    expect(
      judge('https://static.klaviyo.com/beacon', { method: 'POST', resourceType: 'ping' }),
    ).toMatchObject({
      action: 'hold',
    });
    expect(judge('https://elsewhere.example/', { navigation: true, resourceType: 'document' })).toMatchObject(
      {
        action: 'hold',
        reason: 'the page tried to navigate to another site',
      },
    );
    expect(judge('https://www.shop.example/en/', { navigation: true, resourceType: 'document' })).toEqual({
      action: 'fetch',
      network: 'site',
    });
  });

  it('answers preflights itself and fetches no images, fonts or media', () => {
    expect(judge('https://a.klaviyo.com/api/', { method: 'OPTIONS', preflight: true })).toEqual({
      action: 'preflight',
    });
    for (const resourceType of ['image', 'font', 'media'])
      expect(judge('https://shop.example/a', { resourceType })).toEqual({ action: 'skip' });
  });
});
