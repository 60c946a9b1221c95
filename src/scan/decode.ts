import { isAscii, isUtf8 } from 'node:buffer';

/**
 * Bytes to text, in the charset a response declares. Kept apart from the fetcher so that the
 * analysis worker (analysis-worker.ts) can decode without loading the HTTP client.
 */

/** Decodes with the charset from the header, a BOM, or a <meta> tag, falling back to UTF-8. */
export function decodeText(buffer: Buffer, contentType: string): string {
  const label = charsetOf(buffer, contentType);
  // Buffer's own UTF-8 decoder is several times faster than TextDecoder's on large pages.
  if (isUtf8Label(label)) return buffer.toString('utf8').replace(/^\uFEFF/, '');
  try {
    return new TextDecoder(label).decode(buffer);
  } catch {
    // An unknown label (or a build of Node without full ICU) falls back to UTF-8.
    return new TextDecoder('utf-8').decode(buffer);
  }
}

function charsetOf(buffer: Buffer, contentType: string): string {
  return charsetFromBom(buffer) ?? charsetFromContentType(contentType) ?? charsetFromMeta(buffer) ?? 'utf-8';
}

function isUtf8Label(label: string): boolean {
  return /^(?:utf-?8|unicode-1-1-utf-8)$/i.test(label);
}

// UTF-8 of the characters outside ASCII that a JavaScript regex counts as whitespace or a line end
// (U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000, U+FEFF).
const WIDE_SPACES = [
  [0xc2, 0xa0],
  [0xe1, 0x9a, 0x80],
  [0xe2, 0x81, 0x9f],
  [0xe3, 0x80, 0x80],
  [0xef, 0xbb, 0xbf],
].map((bytes) => Buffer.from(bytes));
const GENERAL_PUNCTUATION = Buffer.from([0xe2, 0x80]);

function hasWideSpace(buffer: Buffer): boolean {
  for (const space of WIDE_SPACES) if (buffer.includes(space)) return true;
  for (
    let i = buffer.indexOf(GENERAL_PUNCTUATION);
    i !== -1;
    i = buffer.indexOf(GENERAL_PUNCTUATION, i + 2)
  ) {
    const last = buffer[i + 2] as number;
    if (last <= 0x8a || last === 0xa8 || last === 0xa9 || last === 0xaf) return true;
  }
  return false;
}

/**
 * Text to scan. UTF-8 outside ASCII is several times slower to decode than bytes, and most pages
 * carry some (a dash, a star, a currency sign). So a page may come back as byte text (`bytes`: each
 * character one byte, latin1), when that reads the same to every pattern the scan uses: the bytes
 * are valid UTF-8 (so a byte above 0x7f is only ever part of a character above 0x7f, which no pattern
 * matches), and no character outside ASCII is whitespace or a line end (which `\s` and `$` would
 * see). Where it matters what those characters are (a key's snippet, a link), the caller decodes
 * that part, or the whole text, as UTF-8. `latin1`: character i of the text is byte i of the buffer
 * (byte text, or ASCII), so what was worked out from the bytes holds for the text. `utf8`: the text
 * is UTF-8 (or its bytes), so its ASCII characters are the buffer's ASCII bytes, in order: an ASCII
 * literal is in the text exactly when it is in the buffer (`decodeText` gives the same text, as the
 * charset is the same).
 */
export function decodeForScan(
  buffer: Buffer,
  contentType: string,
  allowBytes: boolean,
): { text: string; bytes: boolean; latin1: boolean; utf8: boolean } {
  const label = charsetOf(buffer, contentType);
  const utf8 = isUtf8Label(label);
  if (utf8) {
    // ASCII reads the same either way, and latin1 is the faster copy.
    if (isAscii(buffer)) return { text: buffer.toString('latin1'), bytes: false, latin1: true, utf8 };
    if (allowBytes && isUtf8(buffer) && !hasWideSpace(buffer))
      return { text: buffer.toString('latin1'), bytes: true, latin1: true, utf8 };
  }
  return { text: decodeText(buffer, contentType), bytes: false, latin1: false, utf8 };
}

/** The text of byte text (latin1 of UTF-8), for a part cut at ASCII characters. */
export function textOfBytes(part: string): string {
  return NOT_ASCII.test(part) ? Buffer.from(part, 'latin1').toString('utf8') : part;
}

const NOT_ASCII = /[\x80-\xff]/;

function charsetFromBom(buffer: Buffer): string | undefined {
  if (buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) return 'utf-8';
  if (buffer[0] === 0xff && buffer[1] === 0xfe) return 'utf-16le';
  if (buffer[0] === 0xfe && buffer[1] === 0xff) return 'utf-16be';
  return undefined;
}

function charsetFromContentType(contentType: string): string | undefined {
  return /charset\s*=\s*["']?([\w.:-]+)/i.exec(contentType)?.[1];
}

function charsetFromMeta(buffer: Buffer): string | undefined {
  const head = buffer.subarray(0, 2048).toString('latin1');
  return (
    /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)/i.exec(head)?.[1] ??
    /<\?xml[^>]+encoding\s*=\s*["']([\w.:-]+)/i.exec(head)?.[1]
  );
}
