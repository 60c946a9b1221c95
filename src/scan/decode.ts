/**
 * Bytes to text, in the charset a response declares. Kept apart from the fetcher so that the
 * analysis worker (analysis-worker.ts) can decode without loading the HTTP client.
 */

/** Decodes with the charset from the header, a BOM, or a <meta> tag, falling back to UTF-8. */
export function decodeText(buffer: Buffer, contentType: string): string {
  const label =
    charsetFromBom(buffer) ?? charsetFromContentType(contentType) ?? charsetFromMeta(buffer) ?? 'utf-8';
  // Buffer's own UTF-8 decoder is several times faster than TextDecoder's on large pages.
  if (/^(?:utf-?8|unicode-1-1-utf-8)$/i.test(label)) return buffer.toString('utf8').replace(/^\uFEFF/, '');
  try {
    return new TextDecoder(label).decode(buffer);
  } catch {
    // An unknown label (or a build of Node without full ICU) falls back to UTF-8.
    return new TextDecoder('utf-8').decode(buffer);
  }
}

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
