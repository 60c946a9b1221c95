/**
 * Decide whether an IP address may be fetched. URLs come from users, so a host can be any spelling of
 * localhost, a cloud metadata service or a private network; everything here is pure arithmetic on
 * the parsed address, never on the text.
 */

/** What kind of address a host is, in words that fit a refusal message. */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'carrier-grade-nat'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'documentation'
  | 'benchmarking'
  | 'unique-local'
  | 'special-purpose'
  | 'cloud-metadata';

/** How an IPv6 address carries an IPv4 address inside it. */
export type EmbeddingForm =
  | 'ipv4-mapped'
  | 'ipv4-compatible'
  | 'ipv4-translated'
  | 'nat64'
  | 'local-nat64'
  | '6to4'
  | 'teredo';

export interface EmbeddedIPv4 {
  form: EmbeddingForm;
  /** The embedded IPv4 address, dotted quad. */
  ipv4: string;
}

export interface AddressInfo {
  /** Canonical form: dotted quad, or RFC 5952 IPv6 without brackets (zone id kept as `%zone`). */
  address: string;
  version: 4 | 6;
  class: AddressClass;
  /** Set when an IPv6 address was classified by the IPv4 address inside it. */
  embedded?: EmbeddedIPv4;
}

export interface AddressPolicy {
  /** Allow loopback, RFC 1918, CGNAT, unique-local and similar; link-local and metadata stay refused. */
  allowPrivateNetworks: boolean;
}

export interface AddressVerdict extends AddressInfo {
  refused: boolean;
  /** One sentence for the person who asked for the scan; set only when refused. */
  reason?: string;
}

/** Refused whatever the options say: nobody scans these, and they are the SSRF targets that matter. */
export const ALWAYS_REFUSED_CLASSES: ReadonlySet<AddressClass> = new Set<AddressClass>([
  'cloud-metadata',
  'link-local',
  'unspecified',
  'multicast',
  'broadcast',
  'reserved',
]);

/** Refused unless `allowPrivateNetworks` is on. */
export const PRIVATE_NETWORK_CLASSES: ReadonlySet<AddressClass> = new Set<AddressClass>([
  'loopback',
  'private',
  'carrier-grade-nat',
  'unique-local',
  'benchmarking',
  'special-purpose',
  'documentation',
]);

const CLASS_DESCRIPTIONS: Readonly<Record<AddressClass, string>> = {
  public: 'a public address',
  loopback: 'a loopback address (this machine)',
  private: 'a private network address',
  'link-local': 'a link-local address',
  'carrier-grade-nat': 'a carrier-grade NAT (shared) address',
  unspecified: 'an unspecified address, which can reach this machine',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  reserved: 'a reserved address that is not used on the internet',
  documentation: 'a documentation-only address',
  benchmarking: 'a benchmarking-only address',
  'unique-local': 'a unique-local (private) IPv6 address',
  'special-purpose': 'a special-purpose protocol address',
  'cloud-metadata': "a cloud metadata address (it can hand out this server's credentials)",
};

const FORM_NAMES: Readonly<Record<EmbeddingForm, string>> = {
  'ipv4-mapped': 'IPv4-mapped',
  'ipv4-compatible': 'IPv4-compatible',
  'ipv4-translated': 'IPv4-translated',
  nat64: 'NAT64',
  'local-nat64': 'local NAT64',
  '6to4': '6to4',
  teredo: 'Teredo',
};

/** A short phrase such as "a loopback address (this machine)". */
export function describeAddressClass(addressClass: AddressClass): string {
  return CLASS_DESCRIPTIONS[addressClass];
}

// ---------------------------------------------------------------------------------------------
// Parsing

/**
 * Turn a host into a canonical IP address, or null when it is a name to resolve. Accepts every IPv4
 * spelling the WHATWG URL host parser (and so browsers and inet_aton) accepts: `2130706433`,
 * `0x7f000001`, `0177.0.0.1`, `127.1`, `0x7f.1`, `127.0.0.1.`, fullwidth digits, percent-escapes.
 * IPv6 literals may be bracketed and may carry a zone id. Also null for hosts that look numeric but
 * are invalid (`256.0.0.1`, `1.2.3.4.5`): `new URL` rejects those, see `endsInNumber`.
 */
export function parseHostAddress(host: string): string | null {
  const parsed = parseHost(host);
  if (parsed === null) return null;
  return parsed.version === 4 ? formatIPv4(parsed.value) : formatIPv6(parsed.value, parsed.zone);
}

/**
 * WHATWG "ends in a number": true when a URL parser would treat the host as IPv4 and reject it if
 * invalid. A caller can refuse such a host instead of sending it to DNS.
 */
export function endsInNumber(host: string): boolean {
  const text = normaliseHostText(host);
  return text !== null && !text.includes(':') && hostEndsInNumber(text);
}

type ParsedHost = { version: 4; value: number } | { version: 6; value: bigint; zone?: string };

function parseHost(host: string): ParsedHost | null {
  const trimmed = host.trim();
  if (trimmed.startsWith('[')) {
    if (!trimmed.endsWith(']')) return null;
    return parseIPv6WithZone(trimmed.slice(1, -1));
  }
  if (trimmed.includes(':')) return parseIPv6WithZone(trimmed);
  const text = normaliseHostText(trimmed);
  if (text === null || text.includes(':') || !hostEndsInNumber(text)) return null;
  const value = parseIPv4(text);
  return value === null ? null : { version: 4, value };
}

/** The mapping a URL parser does before looking at a host: percent-decoding and Unicode folding. */
function normaliseHostText(host: string): string | null {
  let text = host.trim();
  if (text.includes('%')) {
    try {
      text = decodeURIComponent(text);
    } catch {
      return null;
    }
  }
  // NFKC folds fullwidth digits and dots; UTS 46 also maps the ideographic full stop to '.'.
  return text
    .normalize('NFKC')
    .replace(/[\u3002\uff0e\uff61]/g, '.')
    .toLowerCase();
}

function hostEndsInNumber(text: string): boolean {
  const parts = text.split('.');
  if (parts[parts.length - 1] === '') {
    if (parts.length === 1) return false;
    parts.pop();
  }
  const last = parts[parts.length - 1] ?? '';
  return /^[0-9]+$/.test(last) || parseIPv4Number(last) !== null;
}

/** WHATWG IPv4 parser: 1 to 4 parts, each decimal, 0x-hex or 0-octal; the last part fills the rest. */
function parseIPv4(text: string): number | null {
  const parts = text.split('.');
  if (parts[parts.length - 1] === '' && parts.length > 1) parts.pop();
  if (parts.length > 4) return null;
  const numbers: number[] = [];
  for (const part of parts) {
    const n = parseIPv4Number(part);
    if (n === null) return null;
    numbers.push(n);
  }
  const last = numbers.pop() ?? 0;
  if (numbers.some((n) => n > 255)) return null;
  if (last >= 256 ** (4 - numbers.length)) return null;
  let value = last;
  numbers.forEach((n, i) => {
    value += n * 256 ** (3 - i);
  });
  return value;
}

function parseIPv4Number(part: string): number | null {
  if (part === '') return null;
  let digits = part;
  let pattern = /^[0-9]+$/;
  let radix = 10;
  if (digits.startsWith('0x')) {
    digits = digits.slice(2);
    pattern = /^[0-9a-f]+$/;
    radix = 16;
  } else if (digits.length > 1 && digits.startsWith('0')) {
    digits = digits.slice(1);
    pattern = /^[0-7]+$/;
    radix = 8;
  }
  if (digits === '') return 0; // "0x" alone is zero in WHATWG.
  if (!pattern.test(digits)) return null;
  // BigInt so that absurdly long numbers stay exact until the range check rejects them.
  const value = BigInt(radix === 16 ? `0x${digits}` : radix === 8 ? `0o${digits}` : digits);
  return value > 0xffffffffn ? 2 ** 32 : Number(value);
}

function parseIPv6WithZone(text: string): ParsedHost | null {
  let address = text;
  let zone: string | undefined;
  const percent = text.indexOf('%');
  if (percent !== -1) {
    address = text.slice(0, percent);
    // RFC 6874 writes the zone separator as "%25" inside URLs.
    zone = text.slice(percent + 1).replace(/^25(?=.)/, '');
    if (!/^[\w.~-]+$/.test(zone)) return null;
  }
  const value = parseIPv6(address);
  if (value === null) return null;
  return zone === undefined ? { version: 6, value } : { version: 6, value, zone };
}

function parseIPv6(text: string): bigint | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = parseGroups(halves[0] ?? '', halves.length === 1);
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? '', true) : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(group), 0n);
}

/** Colon-separated hex groups; a dotted IPv4 is allowed only as the very last group. */
function parseGroups(text: string, mayEndInIPv4: boolean): number[] | null {
  if (text === '') return [];
  const pieces = text.split(':');
  const groups: number[] = [];
  for (const [i, piece] of pieces.entries()) {
    if (piece.includes('.')) {
      if (!mayEndInIPv4 || i !== pieces.length - 1) return null;
      const v4 = parseDottedQuad(piece);
      if (v4 === null) return null;
      groups.push(v4 >>> 16, v4 & 0xffff);
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return null;
      groups.push(Number.parseInt(piece, 16));
    }
  }
  return groups;
}

/** Strict dotted quad, as IPv6 literals require: four decimal parts, no leading zeros. */
function parseDottedQuad(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    value = value * 256 + n;
  }
  return value;
}

function formatIPv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.');
}

/** RFC 5952 (and WHATWG) text: lowercase, longest run of two or more zero groups as "::". */
function formatIPv6(value: bigint, zone?: string): string {
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  const text =
    bestStart === -1
      ? hex(groups)
      : `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
  return zone === undefined ? text : `${text}%${zone}`;
}

// ---------------------------------------------------------------------------------------------
// Classification

type V4Range = readonly [base: string, prefixLength: number, addressClass: AddressClass];

// First match wins, so exact addresses and narrow ranges come before the ranges that contain them.
const IPV4_RANGES: readonly V4Range[] = [
  ['169.254.169.254', 32, 'cloud-metadata'], // AWS, GCP, Azure, DigitalOcean, OpenStack...
  ['169.254.170.2', 32, 'cloud-metadata'], // AWS ECS task credentials
  ['169.254.170.23', 32, 'cloud-metadata'], // AWS EKS pod identity
  ['100.100.100.200', 32, 'cloud-metadata'], // Alibaba Cloud
  ['192.0.0.192', 32, 'cloud-metadata'], // Oracle Cloud (classic)
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade-nat'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'special-purpose'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['255.255.255.255', 32, 'broadcast'],
  ['240.0.0.0', 4, 'reserved'],
];

type V6Range = readonly [base: string, prefixLength: number, addressClass: AddressClass];

// Checked after the IPv4-embedding prefixes; anything outside 2000::/3 left over is unallocated.
const IPV6_RANGES: readonly V6Range[] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['fd00:ec2::254', 128, 'cloud-metadata'], // AWS IPv6 instance metadata
  ['fd00:ec2::23', 128, 'cloud-metadata'], // AWS EKS pod identity
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'private'], // deprecated site-local
  ['fc00::', 7, 'unique-local'],
  ['ff00::', 8, 'multicast'],
  ['100::', 64, 'reserved'], // discard-only
  ['2001:2::', 48, 'benchmarking'],
  ['2001:db8::', 32, 'documentation'],
  ['3fff::', 20, 'documentation'],
  ['2001::', 23, 'special-purpose'],
  ['2000::', 3, 'public'],
  ['::', 0, 'reserved'],
];

const PARSED_V4_RANGES = IPV4_RANGES.map(([base, length, cls]) => {
  const value = parseDottedQuad(base);
  if (value === null) throw new Error(`bad range ${base}`);
  return { value, length, cls };
});

const PARSED_V6_RANGES = IPV6_RANGES.map(([base, length, cls]) => {
  const value = parseIPv6(base);
  if (value === null) throw new Error(`bad range ${base}`);
  return { value, length, cls };
});

function inV6(address: bigint, base: bigint, length: number): boolean {
  const shift = BigInt(128 - length);
  return address >> shift === base >> shift;
}

function classifyIPv4(value: number): AddressClass {
  for (const range of PARSED_V4_RANGES) {
    const shift = 32 - range.length;
    // Division rather than >>> because a shift by 32 is a no-op in JS.
    if (Math.floor(value / 2 ** shift) === Math.floor(range.value / 2 ** shift)) return range.cls;
  }
  return 'public';
}

const V6 = (text: string): bigint => parseIPv6(text) ?? 0n;
const MAPPED = V6('::ffff:0:0');
const TRANSLATED = V6('::ffff:0:0:0');
const NAT64 = V6('64:ff9b::');
const LOCAL_NAT64 = V6('64:ff9b:1::');
const SIX_TO_FOUR = V6('2002::');
const TEREDO = V6('2001::');
const LOW_32 = 0xffffffffn;

/** The IPv4 address an IPv6 address hands traffic to, for the forms a stack or relay will follow. */
function embeddedIPv4(value: bigint): { form: EmbeddingForm; ipv4: number } | null {
  const low = Number(value & LOW_32);
  if (inV6(value, MAPPED, 96)) return { form: 'ipv4-mapped', ipv4: low };
  if (inV6(value, TRANSLATED, 96)) return { form: 'ipv4-translated', ipv4: low };
  // ::/96 minus :: and ::1, which are classified as themselves.
  if (value >> 32n === 0n && value > 1n) return { form: 'ipv4-compatible', ipv4: low };
  if (inV6(value, NAT64, 96)) return { form: 'nat64', ipv4: low };
  if (inV6(value, LOCAL_NAT64, 48)) return { form: 'local-nat64', ipv4: low };
  if (inV6(value, SIX_TO_FOUR, 16)) return { form: '6to4', ipv4: Number((value >> 80n) & LOW_32) };
  // Teredo stores the client address with every bit flipped.
  if (inV6(value, TEREDO, 32)) return { form: 'teredo', ipv4: Number(~value & LOW_32) };
  return null;
}

function classifyIPv6(value: bigint): { cls: AddressClass; embedded?: EmbeddedIPv4 } {
  const inner = embeddedIPv4(value);
  if (inner !== null) {
    const cls = classifyIPv4(inner.ipv4);
    const embedded = { form: inner.form, ipv4: formatIPv4(inner.ipv4) };
    const isPrefixOnly = inner.form === 'local-nat64' || inner.form === 'teredo';
    // A local NAT64 prefix is site-internal and a Teredo prefix is special-purpose, whatever they carry.
    if (!isPrefixOnly || cls !== 'public') return { cls, embedded };
  }
  if (inner?.form === 'local-nat64') return { cls: 'private' };
  for (const range of PARSED_V6_RANGES) {
    if (inV6(value, range.value, range.length)) return { cls: range.cls };
  }
  return { cls: 'reserved' };
}

/**
 * Classify an IP address in any spelling `parseHostAddress` accepts. Throws a TypeError for a
 * hostname: resolve it first and classify every address it resolves to.
 */
export function analyzeAddress(ip: string): AddressInfo {
  const parsed = parseHost(ip);
  if (parsed === null) throw new TypeError(`not an IP address: ${JSON.stringify(ip)}`);
  if (parsed.version === 4) {
    return { address: formatIPv4(parsed.value), version: 4, class: classifyIPv4(parsed.value) };
  }
  const { cls, embedded } = classifyIPv6(parsed.value);
  const address = formatIPv6(parsed.value, parsed.zone);
  return embedded === undefined
    ? { address, version: 6, class: cls }
    : { address, version: 6, class: cls, embedded };
}

/** The class of an IPv4 or IPv6 address; IPv6 forms that carry an IPv4 address get its class. */
export function classifyAddress(ip: string): AddressClass {
  return analyzeAddress(ip).class;
}

// ---------------------------------------------------------------------------------------------
// Policy

/** Apply the scan policy to one address. Throws a TypeError for a hostname, like `analyzeAddress`. */
export function isRefusedAddress(ip: string, options: AddressPolicy): AddressVerdict {
  const info = analyzeAddress(ip);
  const refused =
    ALWAYS_REFUSED_CLASSES.has(info.class) ||
    (PRIVATE_NETWORK_CLASSES.has(info.class) && !options.allowPrivateNetworks);
  if (!refused) return { ...info, refused };
  const given = ip.trim().replace(/^\[(.*)\]$/, '$1');
  const label =
    given.toLowerCase() === info.address.toLowerCase() ? info.address : `${given} (${info.address})`;
  return { ...info, refused, reason: `${label} is ${whatItIs(info)}; ${refusalTail(info.class)}` };
}

/**
 * The refusal sentence for a host the user typed, naming the address it resolved to when the host
 * is a name. Undefined when the verdict allows the address.
 */
export function describeRefusal(host: string, verdict: AddressVerdict): string | undefined {
  if (!verdict.refused) return undefined;
  if (parseHostAddress(host) !== null) return verdict.reason;
  return `${host} resolves to ${verdict.address}, which is ${whatItIs(verdict)}; ${refusalTail(verdict.class)}`;
}

function whatItIs(info: AddressInfo): string {
  const description = describeAddressClass(info.class);
  if (info.embedded === undefined) return description;
  return `the ${FORM_NAMES[info.embedded.form]} form of ${info.embedded.ipv4}, ${description}`;
}

function refusalTail(addressClass: AddressClass): string {
  return ALWAYS_REFUSED_CLASSES.has(addressClass)
    ? 'it is never scanned'
    : 'scanning private networks is turned off';
}
