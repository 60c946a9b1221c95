/**
 * Which part of an HTML page an offset falls in, as a person reading the page source would say; the
 * render pass adds the parts of a request and the page's storage.
 */
export type HtmlLocation =
  | 'inline-script'
  | 'json-script'
  | 'comment'
  | 'attribute'
  | 'text'
  | 'response-header'
  | 'request-url'
  | 'request-header'
  | 'request-body'
  | 'storage';

/**
 * Looks backwards from the offset for the nearest opening and closing markers. Pages are scanned as
 * text, so this is a cheap after-the-fact label for the few offsets where a key was found.
 */
export function locateInHtml(html: string, offset: number): HtmlLocation {
  const commentOpen = html.lastIndexOf('<!--', offset);
  if (commentOpen !== -1 && html.lastIndexOf('-->', offset) < commentOpen) return 'comment';

  const lower = html.slice(Math.max(0, offset - 20_000), offset).toLowerCase();
  const shift = Math.max(0, offset - 20_000);
  const scriptOpen = lower.lastIndexOf('<script');
  const scriptClose = lower.lastIndexOf('</script');
  if (scriptOpen !== -1 && scriptOpen > scriptClose) {
    const tagEnd = html.indexOf('>', shift + scriptOpen);
    if (tagEnd === -1 || tagEnd >= offset) return 'attribute';
    const openingTag = html.slice(shift + scriptOpen, tagEnd);
    return /type\s*=\s*["']?[^"'\s>]*json/i.test(openingTag) ? 'json-script' : 'inline-script';
  }
  return html.lastIndexOf('<', offset) > html.lastIndexOf('>', offset - 1) ? 'attribute' : 'text';
}
