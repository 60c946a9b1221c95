import { isIP } from 'node:net';
import { describe, expect, test } from 'vitest';
import type { AddressClass } from '../../src/scan/address.js';
import {
  ALWAYS_REFUSED_CLASSES,
  analyzeAddress,
  classifyAddress,
  describeRefusal,
  endsInNumber,
  isRefusedAddress,
  PRIVATE_NETWORK_CLASSES,
  parseHostAddress,
} from '../../src/scan/address.js';

/** What the WHATWG URL parser (as used by Node and browsers) makes of a host. */
function urlHostname(host: string): string {
  const literal = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return new URL(`http://${literal}/`).hostname;
}

const bare = (hostname: string): string => hostname.replace(/^\[(.*)\]$/, '$1');

describe('parseHostAddress', () => {
  // 'url' says what `new URL` does with the same host: gives the same canonical address, or throws.
  test.each<[raw: string, canonical: string, url: 'same' | 'throws']>([
    ['127.0.0.1', '127.0.0.1', 'same'],
    ['127.1', '127.0.0.1', 'same'],
    ['127.0.1', '127.0.0.1', 'same'],
    ['2130706433', '127.0.0.1', 'same'],
    ['0x7f000001', '127.0.0.1', 'same'],
    ['0x7F.0.0.1', '127.0.0.1', 'same'],
    ['0X7F.1', '127.0.0.1', 'same'],
    ['0x7f.1', '127.0.0.1', 'same'],
    ['0177.0.0.1', '127.0.0.1', 'same'],
    ['017700000001', '127.0.0.1', 'same'],
    ['127.0.0.1.', '127.0.0.1', 'same'],
    ['0', '0.0.0.0', 'same'],
    ['0x', '0.0.0.0', 'same'],
    ['0x.1', '0.0.0.1', 'same'],
    ['0.0.0.0', '0.0.0.0', 'same'],
    ['4294967295', '255.255.255.255', 'same'],
    ['2852039166', '169.254.169.254', 'same'],
    ['0xa9.0xfe.0xa9.0xfe', '169.254.169.254', 'same'],
    ['0251.0376.0251.0376', '169.254.169.254', 'same'],
    ['169.254.43518', '169.254.169.254', 'same'],
    ['10.1', '10.0.0.1', 'same'],
    ['192.168.257', '192.168.1.1', 'same'],
    ['８.８.８.８', '8.8.8.8', 'same'],
    ['127。0.0.1', '127.0.0.1', 'same'],
    ['127%2e0.0.1', '127.0.0.1', 'same'],
    ['::1', '::1', 'same'],
    ['[::1]', '::1', 'same'],
    ['[0::0]', '::', 'same'],
    ['0:0:0:0:0:0:0:1', '::1', 'same'],
    ['::ffff:127.0.0.1', '::ffff:7f00:1', 'same'],
    ['[::ffff:169.254.169.254]', '::ffff:a9fe:a9fe', 'same'],
    ['::127.0.0.1', '::7f00:1', 'same'],
    ['64:ff9b::127.0.0.1', '64:ff9b::7f00:1', 'same'],
    ['2002:7F00:0001:0:0:0:0:0', '2002:7f00:1::', 'same'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1', 'same'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3', 'same'],
    ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7', 'same'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0', 'same'],
    ['::1:2:3:4:5:6:7', '0:1:2:3:4:5:6:7', 'same'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304', 'same'],
    // Zone ids are not allowed in URLs at all; the raw literal still parses (Node's isIP agrees).
    ['fe80::1%eth0', 'fe80::1%eth0', 'throws'],
    ['[fe80::1%25eth0]', 'fe80::1%eth0', 'throws'],
  ])('%s -> %s (new URL: %s)', (raw, canonical, url) => {
    expect(parseHostAddress(raw)).toBe(canonical);
    if (url === 'throws') {
      expect(() => urlHostname(raw)).toThrow(TypeError);
      return;
    }
    const hostname = urlHostname(raw);
    expect(bare(hostname)).toBe(canonical);
    // What comes out of `new URL` parses to the same address.
    expect(parseHostAddress(hostname)).toBe(canonical);
    if (canonical.includes(':')) {
      expect(isIP(bare(raw))).toBe(6);
      expect(isIP(canonical)).toBe(6);
    } else {
      expect(isIP(canonical)).toBe(4);
    }
  });

  test('surrounding whitespace is ignored', () => {
    expect(parseHostAddress('  127.0.0.1\t')).toBe('127.0.0.1');
    expect(parseHostAddress(' [::1] ')).toBe('::1');
  });

  test.each([
    'shop.example',
    'localhost',
    'example.com.',
    '127.0.0.1.example',
    '0x7f.example',
    '1.2.3.a',
    '1.2.3.4.foo',
    '1e1',
    '00x1',
    '127.0.0.1..',
  ])('hostname %s -> null, and new URL keeps it as a name', (host) => {
    expect(parseHostAddress(host)).toBeNull();
    expect(endsInNumber(host)).toBe(false);
    expect(isIP(bare(urlHostname(host)))).toBe(0);
  });

  // Hosts whose last label is a number are IPv4 to a URL parser, so invalid ones make `new URL` throw.
  test.each([
    '256.0.0.1',
    '1.2.3.4.5',
    '0x1ffffffff',
    '4294967296',
    '1.2.3.256',
    '1.2.3.0x100',
    '1.0x1000000',
    '0x100.0.0.1',
    '1..2',
    '09.0.0.1',
    '1.2.3.09',
    'foo.1',
    'example.123',
    '99999999999999999999999999',
  ])('invalid numeric host %s -> null, new URL throws', (host) => {
    expect(parseHostAddress(host)).toBeNull();
    expect(endsInNumber(host)).toBe(true);
    expect(() => urlHostname(host)).toThrow(TypeError);
  });

  test.each([
    '',
    '[]',
    '[::1',
    '::1]',
    '1::2::3',
    ':::',
    '1:2:3:4:5:6:7:8:9',
    '1::2:3:4:5:6:7:8',
    '1:2:3:4:5:6:7',
    '::ffff:127.0.0.01',
    '::ffff:127.0.0.256',
    '::1.2.3',
    '1.2.3.4::',
    '1.2.3.4::1',
    '12345::',
    'gggg::1',
    ':1::2',
    '1::2:',
    'fe80::1%',
    'fe80::1%eth0%1',
  ])('invalid IPv6 %j -> null, like net.isIP', (host) => {
    expect(parseHostAddress(host)).toBeNull();
    expect(isIP(bare(host))).toBe(0);
  });

  test('every numeric spelling of many addresses agrees with new URL', () => {
    let seed = 0x12345678;
    const next = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    for (let i = 0; i < 300; i++) {
      const value = i < 4 ? ([0, 1, 0x7fffffff, 0xffffffff][i] ?? 0) : next();
      const octets = [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
      const canonical = octets.join('.');
      const spellings = [
        String(value),
        `0x${value.toString(16)}`,
        `0${value.toString(8)}`,
        octets.map((o) => `0x${o.toString(16)}`).join('.'),
        octets.map((o) => `0${o.toString(8)}`).join('.'),
        `${octets[0]}.${value & 0xffffff}`,
        `${octets[0]}.${octets[1]}.0x${(value & 0xffff).toString(16)}`,
        `${canonical}.`,
      ];
      for (const spelling of spellings) {
        expect(parseHostAddress(spelling), spelling).toBe(canonical);
        expect(urlHostname(spelling), spelling).toBe(canonical);
      }
    }
  });
});

describe('classifyAddress and isRefusedAddress', () => {
  test.each<[ip: string, addressClass: AddressClass, refusedByDefault: boolean, refusedWhenAllowed: boolean]>(
    [
      ['127.0.0.1', 'loopback', true, false],
      ['127.1', 'loopback', true, false],
      ['127.0.1', 'loopback', true, false],
      ['2130706433', 'loopback', true, false],
      ['0x7f000001', 'loopback', true, false],
      ['0x7F.0.0.1', 'loopback', true, false],
      ['0177.0.0.1', 'loopback', true, false],
      ['017700000001', 'loopback', true, false],
      ['127.0.0.1.', 'loopback', true, false],
      ['127.255.255.254', 'loopback', true, false],
      ['0.0.0.0', 'unspecified', true, true],
      ['0', 'unspecified', true, true],
      ['0.1.2.3', 'unspecified', true, true],
      ['10.0.0.1', 'private', true, false],
      ['10.255.255.255', 'private', true, false],
      ['172.16.0.1', 'private', true, false],
      ['172.31.255.255', 'private', true, false],
      ['172.15.255.255', 'public', false, false],
      ['172.32.0.1', 'public', false, false],
      ['192.168.1.1', 'private', true, false],
      ['169.254.169.254', 'cloud-metadata', true, true],
      ['0xa9fea9fe', 'cloud-metadata', true, true],
      ['169.254.170.2', 'cloud-metadata', true, true],
      ['169.254.0.1', 'link-local', true, true],
      ['169.254.255.255', 'link-local', true, true],
      ['100.100.100.200', 'cloud-metadata', true, true],
      ['100.64.0.1', 'carrier-grade-nat', true, false],
      ['100.127.255.255', 'carrier-grade-nat', true, false],
      ['100.63.255.255', 'public', false, false],
      ['100.128.0.1', 'public', false, false],
      ['192.0.0.1', 'special-purpose', true, false],
      ['192.0.0.192', 'cloud-metadata', true, true],
      ['192.0.2.1', 'documentation', true, false],
      ['198.51.100.7', 'documentation', true, false],
      ['203.0.113.9', 'documentation', true, false],
      ['198.18.0.1', 'benchmarking', true, false],
      ['198.19.255.255', 'benchmarking', true, false],
      ['198.20.0.1', 'public', false, false],
      ['224.0.0.1', 'multicast', true, true],
      ['239.255.255.250', 'multicast', true, true],
      ['240.0.0.1', 'reserved', true, true],
      ['255.255.255.254', 'reserved', true, true],
      ['255.255.255.255', 'broadcast', true, true],
      ['8.8.8.8', 'public', false, false],
      ['93.184.216.34', 'public', false, false],
      ['1.1.1.1', 'public', false, false],
      ['::1', 'loopback', true, false],
      ['[::1]', 'loopback', true, false],
      ['0:0:0:0:0:0:0:1', 'loopback', true, false],
      ['::', 'unspecified', true, true],
      ['[::]', 'unspecified', true, true],
      ['fe80::1', 'link-local', true, true],
      ['fe80::1%eth0', 'link-local', true, true],
      ['[fe80::1%25eth0]', 'link-local', true, true],
      ['febf::1', 'link-local', true, true],
      ['fec0::1', 'private', true, false],
      ['fc00::1', 'unique-local', true, false],
      ['fd12:3456::1', 'unique-local', true, false],
      ['fd00:ec2::254', 'cloud-metadata', true, true],
      ['[fd00:ec2::254]', 'cloud-metadata', true, true],
      ['fd00:ec2::23', 'cloud-metadata', true, true],
      ['::ffff:127.0.0.1', 'loopback', true, false],
      ['::ffff:7f00:1', 'loopback', true, false],
      ['[::ffff:169.254.169.254]', 'cloud-metadata', true, true],
      ['::ffff:a9fe:a9fe', 'cloud-metadata', true, true],
      ['::ffff:a00:1', 'private', true, false],
      ['::ffff:0.0.0.0', 'unspecified', true, true],
      ['::ffff:8.8.8.8', 'public', false, false],
      ['::127.0.0.1', 'loopback', true, false],
      ['::7f00:1', 'loopback', true, false],
      ['::a9fe:a9fe', 'cloud-metadata', true, true],
      ['::ffff:0:7f00:1', 'loopback', true, false],
      ['64:ff9b::7f00:1', 'loopback', true, false],
      ['64:ff9b::127.0.0.1', 'loopback', true, false],
      ['64:ff9b::a9fe:a9fe', 'cloud-metadata', true, true],
      ['64:ff9b::808:808', 'public', false, false],
      ['64:ff9b:1::a00:1', 'private', true, false],
      ['64:ff9b:1::808:808', 'private', true, false],
      ['2002:7f00:1::', 'loopback', true, false],
      ['2002:a9fe:a9fe::1', 'cloud-metadata', true, true],
      ['2002:c0a8:101::', 'private', true, false],
      ['2002:808:808::1', 'public', false, false],
      // Teredo keeps the client address with its bits flipped: 3fff:fdd2 is 192.0.2.45, 80ff:fffe is 127.0.0.1.
      ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'documentation', true, false],
      ['2001:0:1:2:3:4:80ff:fffe', 'loopback', true, false],
      ['2001::f7f7:f7f7', 'special-purpose', true, false],
      ['2001:db8::1', 'documentation', true, false],
      ['3fff::1', 'documentation', true, false],
      ['2001:2::1', 'benchmarking', true, false],
      ['2001:4860:4860::8888', 'public', false, false],
      ['2606:4700:4700::1111', 'public', false, false],
      ['ff02::1', 'multicast', true, true],
      ['ff05::1:3', 'multicast', true, true],
      ['100::1', 'reserved', true, true],
      ['4000::1', 'reserved', true, true],
      ['::1:0:0:0', 'reserved', true, true],
    ],
  )(
    '%s is %s (refused: %s, with private networks allowed: %s)',
    (ip, addressClass, byDefault, whenAllowed) => {
      expect(classifyAddress(ip)).toBe(addressClass);
      const strict = isRefusedAddress(ip, { allowPrivateNetworks: false });
      const relaxed = isRefusedAddress(ip, { allowPrivateNetworks: true });
      expect(strict.class).toBe(addressClass);
      expect(strict.refused).toBe(byDefault);
      expect(relaxed.refused).toBe(whenAllowed);
      expect(typeof strict.reason).toBe(byDefault ? 'string' : 'undefined');
      expect(typeof relaxed.reason).toBe(whenAllowed ? 'string' : 'undefined');
    },
  );

  test('the two policy sets do not overlap and never include public', () => {
    for (const cls of ALWAYS_REFUSED_CLASSES) expect(PRIVATE_NETWORK_CLASSES.has(cls)).toBe(false);
    expect(ALWAYS_REFUSED_CLASSES.has('public')).toBe(false);
    expect(PRIVATE_NETWORK_CLASSES.has('public')).toBe(false);
  });

  test.each<[ip: string, form: string, ipv4: string]>([
    ['::ffff:127.0.0.1', 'ipv4-mapped', '127.0.0.1'],
    ['::127.0.0.1', 'ipv4-compatible', '127.0.0.1'],
    ['::ffff:0:a00:1', 'ipv4-translated', '10.0.0.1'],
    ['64:ff9b::a9fe:a9fe', 'nat64', '169.254.169.254'],
    ['64:ff9b:1::a00:1', 'local-nat64', '10.0.0.1'],
    ['2002:7f00:1::', '6to4', '127.0.0.1'],
    ['2001:0:1:2:3:4:80ff:fffe', 'teredo', '127.0.0.1'],
  ])('%s embeds %s %s', (ip, form, ipv4) => {
    expect(analyzeAddress(ip).embedded).toEqual({ form, ipv4 });
  });

  test('analyzeAddress reports the canonical address and version', () => {
    expect(analyzeAddress('0x7f.1')).toEqual({ address: '127.0.0.1', version: 4, class: 'loopback' });
    expect(analyzeAddress('[2001:4860:4860:0:0:0:0:8888]')).toEqual({
      address: '2001:4860:4860::8888',
      version: 6,
      class: 'public',
    });
  });

  test.each(['shop.example', 'localhost', '', '256.0.0.1', '1::2::3'])(
    '%j is not an address: throws',
    (host) => {
      expect(() => classifyAddress(host)).toThrow(TypeError);
      expect(() => isRefusedAddress(host, { allowPrivateNetworks: true })).toThrow(TypeError);
    },
  );
});

describe('refusal reasons', () => {
  const off = { allowPrivateNetworks: false };
  const on = { allowPrivateNetworks: true };

  test.each<[ip: string, allow: boolean, reason: string]>([
    [
      '127.0.0.1',
      false,
      '127.0.0.1 is a loopback address (this machine); scanning private networks is turned off',
    ],
    [
      '0x7f000001',
      false,
      '0x7f000001 (127.0.0.1) is a loopback address (this machine); scanning private networks is turned off',
    ],
    ['10.0.0.1', false, '10.0.0.1 is a private network address; scanning private networks is turned off'],
    [
      '169.254.169.254',
      true,
      "169.254.169.254 is a cloud metadata address (it can hand out this server's credentials); it is never scanned",
    ],
    [
      '100.100.100.200',
      true,
      "100.100.100.200 is a cloud metadata address (it can hand out this server's credentials); it is never scanned",
    ],
    [
      '[fd00:ec2::254]',
      true,
      "fd00:ec2::254 is a cloud metadata address (it can hand out this server's credentials); it is never scanned",
    ],
    ['fe80::1', true, 'fe80::1 is a link-local address; it is never scanned'],
    ['0.0.0.0', true, '0.0.0.0 is an unspecified address, which can reach this machine; it is never scanned'],
    [
      '::ffff:127.0.0.1',
      false,
      '::ffff:127.0.0.1 (::ffff:7f00:1) is the IPv4-mapped form of 127.0.0.1, a loopback address (this machine); scanning private networks is turned off',
    ],
    [
      '2002:a9fe:a9fe::',
      true,
      "2002:a9fe:a9fe:: is the 6to4 form of 169.254.169.254, a cloud metadata address (it can hand out this server's credentials); it is never scanned",
    ],
  ])('%s (allowPrivateNetworks: %s)', (ip, allow, reason) => {
    expect(isRefusedAddress(ip, { allowPrivateNetworks: allow }).reason).toBe(reason);
  });

  test('allowed addresses carry no reason', () => {
    expect(isRefusedAddress('8.8.8.8', off)).toEqual({
      address: '8.8.8.8',
      version: 4,
      class: 'public',
      refused: false,
    });
    expect(isRefusedAddress('10.0.0.1', on).reason).toBeUndefined();
  });

  test('describeRefusal names the host and the address it resolved to', () => {
    expect(describeRefusal('shop.example', isRefusedAddress('10.0.0.1', off))).toBe(
      'shop.example resolves to 10.0.0.1, which is a private network address; scanning private networks is turned off',
    );
    expect(describeRefusal('metadata.google.internal', isRefusedAddress('169.254.169.254', on))).toBe(
      "metadata.google.internal resolves to 169.254.169.254, which is a cloud metadata address (it can hand out this server's credentials); it is never scanned",
    );
    const literal = isRefusedAddress('127.1', off);
    expect(describeRefusal('127.1', literal)).toBe(literal.reason);
    expect(describeRefusal('shop.example', isRefusedAddress('8.8.8.8', off))).toBeUndefined();
  });
});
