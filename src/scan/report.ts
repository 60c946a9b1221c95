import { plural } from '../words.js';
import type { ScanResult } from './crawler.js';
import { scrubSecrets } from './detector.js';
import type { Finding, Hop, Occurrence, Placeholder } from './findings.js';
import type { RenderSummary } from './render/summary.js';

export interface ReportOptions {
  /** Include full keys. Only the CLI's `--reveal` sets this. */
  reveal: boolean;
}

/** The machine-readable report of CONTRACT.md; full keys only with `reveal`. */
export function toJsonReport(result: ScanResult, options: ReportOptions = { reveal: false }): object {
  const { keyring, ...rest } = options.reveal ? result : redactedResult(result);
  return {
    ...rest,
    findings: rest.findings.map((finding) =>
      options.reveal ? { ...finding, key: keyring.reveal(finding.fingerprint) } : finding,
    ),
  };
}

/**
 * The result with keys masked in every URL and message too: a page can link to `…?api_key=pk_…`, and the
 * report names that URL. Snippets are masked by the detector already.
 */
export function redactedResult(result: ScanResult): ScanResult {
  const r = scrubSecrets;
  const entries = (list: { url: string; error: string }[]) =>
    list.map((entry) => ({ url: r(entry.url), error: r(entry.error) }));
  const occurrences = (list: Occurrence[]) =>
    list.map((occurrence) => ({
      ...occurrence,
      url: r(occurrence.url),
      page: r(occurrence.page),
      ...(occurrence.via === undefined
        ? {}
        : { via: occurrence.via.map((hop) => ({ url: r(hop.url), reason: hop.reason })) }),
    }));
  return {
    ...result,
    target: r(result.target),
    finalUrl: r(result.finalUrl),
    findings: result.findings.map((finding) => ({
      ...finding,
      occurrences: occurrences(finding.occurrences),
    })),
    placeholders: (result.placeholders ?? []).map((placeholder) => ({
      ...placeholder,
      occurrences: occurrences(placeholder.occurrences),
    })),
    publicKeys: result.publicKeys.map((use) => ({ ...use, urls: use.urls.map(r) })),
    warnings: result.warnings.map((warning) => ({ ...warning, message: r(warning.message) })),
    errors: entries(result.errors),
    skipped: entries(result.skipped),
    truncated: result.truncated.map((entry) => ({ ...entry, url: r(entry.url) })),
    ...(result.render === undefined
      ? {}
      : {
          render: {
            ...result.render,
            errors: result.render.errors.map((note) => scrubNote(note)),
            refused: result.render.refused.map((note) => scrubNote(note)),
          },
        }),
  };
}

function scrubNote<T extends { url: string; page?: string; reason: string }>(note: T): T {
  return {
    ...note,
    url: scrubSecrets(note.url),
    reason: scrubSecrets(note.reason),
    ...(note.page === undefined ? {} : { page: scrubSecrets(note.page) }),
  };
}

const LOCATION_LABEL: Record<string, string> = {
  'inline-script': 'inline script',
  'json-script': 'JSON script block',
  comment: 'HTML comment',
  attribute: 'HTML attribute',
  text: 'page text',
  'response-header': 'response header',
};

const RESOURCE_LABEL: Record<string, string> = {
  'tag-manager': 'tag-manager container',
  manifest: 'web app manifest',
};

/** Where the render pass saw a key: what the page sent, received, ran or kept. */
const RUNTIME_LABEL: Record<string, string> = {
  'request-url': 'request URL',
  'request-header': 'request header',
  'request-body': 'request body',
  'response-header': 'response header, in the browser',
  storage: 'browser storage or cookie',
};

/** Where an occurrence sits, in a few words: "inline script, company_id, line 12:5". */
export function describeOccurrence(occurrence: Occurrence): string {
  const encoded =
    occurrence.encoding === 'plain'
      ? ''
      : occurrence.encoding === 'split-markup'
        ? ', split by inline tags'
        : `, ${occurrence.encoding}-encoded`;
  const runtime = runtimePlace(occurrence);
  if (runtime !== undefined) return `${runtime}, ${occurrence.context}${encoded}`;
  const place =
    occurrence.location === 'response-header'
      ? 'response header'
      : occurrence.resource === 'page'
        ? (LOCATION_LABEL[occurrence.location ?? 'text'] ?? 'page')
        : (RESOURCE_LABEL[occurrence.resource] ?? occurrence.resource);
  return `${place}, ${occurrence.context}${encoded}, line ${occurrence.line}:${occurrence.column}`;
}

/** Where the render pass saw a key, in words; requests and the rendered page have no line worth giving. */
function runtimePlace(occurrence: Occurrence): string | undefined {
  const at = `line ${occurrence.line}:${occurrence.column}`;
  switch (occurrence.resource) {
    case 'request':
      return `${RUNTIME_LABEL[occurrence.location ?? ''] ?? 'request'} sent from the browser${occurrence.method ? ` (${occurrence.method})` : ''}`;
    case 'response':
      return occurrence.location === 'response-header'
        ? RUNTIME_LABEL['response-header']
        : `response the browser received, ${at}`;
    case 'runtime-script':
      return `script run in the browser, ${at}`;
    case 'rendered-page':
      return occurrence.location === 'storage' ? RUNTIME_LABEL.storage : 'page as rendered in the browser';
    default:
      return undefined;
  }
}

/** Resources whose line numbers mean nothing to a reader (a request, the browser's own copy of the DOM). */
export const WITHOUT_LINES: ReadonlySet<string> = new Set(['request', 'rendered-page']);

const MAX_OCCURRENCES_SHOWN = 8;
const MAX_PLACEHOLDERS_SHOWN = 5;

/** How a resource was reached, in one line: "page → loader.js (script tag) → chunk.js (webpack chunk map)". */
export function describeVia(via: readonly Hop[] | undefined, hopsOmitted = 0): string | undefined {
  if (via === undefined || via.length < 2) return undefined;
  const steps = via.map((hop, i) => (i === 0 ? hop.url : `${hop.url} (${hop.reason})`));
  if (hopsOmitted > 0) steps.splice(3, 0, `… ${hopsOmitted} more …`);
  return steps.join(' → ');
}

/** The readable report printed by default. */
export function renderTextReport(full: ScanResult, options: ReportOptions = { reveal: false }): string {
  const result = options.reveal ? full : redactedResult(full);
  const lines: string[] = [];
  const keys = result.findings.length;
  lines.push(`Klaviyo key scan of ${result.target}`);
  if (result.finalUrl !== result.target) lines.push(`  (redirected to ${result.finalUrl})`);
  lines.push(
    `Scanned ${plural(result.pagesScanned, 'page')}${result.stylesheetsScanned ? `, ${plural(result.scriptsScanned, 'script')} and ${plural(result.stylesheetsScanned, 'stylesheet')}` : ` and ${plural(result.scriptsScanned, 'script')}`} in ${(result.durationMs / 1000).toFixed(1)} s.`,
  );
  if (result.render !== undefined) lines.push(describeRender(result.render));
  lines.push('');
  if (keys === 0) {
    lines.push('No Klaviyo private key found.');
  } else {
    lines.push(
      `EXPOSED: ${plural(keys, 'Klaviyo private key')} found in public code. Rotate ${keys === 1 ? 'it' : 'each one'}.`,
    );
    for (const finding of result.findings) lines.push('', ...describeFinding(finding, result, options));
  }
  const placeholders = result.placeholders ?? [];
  if (placeholders.length > 0) {
    lines.push('', `Looks like a placeholder (low confidence, not counted): ${placeholders.length}`);
    for (const placeholder of placeholders.slice(0, MAX_PLACEHOLDERS_SHOWN))
      lines.push(...describePlaceholder(placeholder));
  }
  lines.push('');
  if (result.publicKeys.length === 0) lines.push('Public key (site ID): none seen.');
  else
    lines.push(
      `${result.publicKeys.length === 1 ? 'Public key' : 'Public keys'} (site ID): ${result.publicKeys.map((use) => `${use.key} (${use.count}×)`).join(', ')}`,
    );
  if (result.warnings.length > 0) {
    lines.push('', 'Warnings:');
    for (const warning of result.warnings) lines.push(`  - ${warning.message}`);
  }
  if (result.errors.length > 0) {
    lines.push('', `Could not fetch ${plural(result.errors.length, 'resource')}:`);
    for (const error of result.errors.slice(0, 20)) lines.push(`  - ${error.url}: ${error.error}`);
    if (result.errors.length > 20) lines.push(`  … and ${result.errors.length - 20} more (see --json)`);
  }
  return `${lines.join('\n')}\n`;
}

function describeFinding(finding: Finding, result: ScanResult, options: ReportOptions): string[] {
  const lines: string[] = [];
  const shown = options.reveal
    ? (result.keyring.reveal(finding.fingerprint) ?? finding.masked)
    : finding.masked;
  lines.push(
    `  ${shown}  (${finding.form === 'legacy' ? 'private key' : 'account-scoped private key'}, ${finding.confidence} confidence)`,
  );
  lines.push(`    fingerprint sha256:${finding.fingerprint}`);
  if (finding.accountPublicKey !== undefined)
    lines.push(`    belongs to Klaviyo account ${finding.accountPublicKey}`);
  lines.push(`    seen ${plural(finding.occurrenceCount, 'time')}:`);
  for (const occurrence of finding.occurrences.slice(0, MAX_OCCURRENCES_SHOWN)) {
    const verb = occurrence.resource === 'request' ? 'sent by' : 'loaded by';
    const loadedBy = occurrence.page !== occurrence.url ? ` (${verb} ${occurrence.page})` : '';
    lines.push(`    - ${occurrence.url}${loadedBy}`);
    lines.push(`      ${describeOccurrence(occurrence)}`);
    const via = describeVia(occurrence.via, occurrence.hopsOmitted);
    if (via !== undefined) lines.push(`      reached: ${via}`);
    lines.push(`      ${occurrence.snippet}`);
  }
  if (finding.occurrenceCount > MAX_OCCURRENCES_SHOWN) {
    lines.push(
      `    … and ${finding.occurrenceCount - MAX_OCCURRENCES_SHOWN} more ${finding.occurrenceCount - MAX_OCCURRENCES_SHOWN === 1 ? 'place' : 'places'} (see --json)`,
    );
  }
  return lines;
}

function describePlaceholder(placeholder: Placeholder): string[] {
  const first = placeholder.occurrences[0];
  return [
    `  ${placeholder.masked}  (${placeholder.reason}; seen ${plural(placeholder.occurrenceCount, 'time')})`,
    ...(first === undefined ? [] : [`    - ${first.url}, ${describeOccurrence(first)}`]),
  ];
}

/** One line on the render pass: what it rendered and what became of the pages' requests. */
export function describeRender(render: RenderSummary): string {
  if (render.status === 'unavailable' || (render.status === 'failed' && render.pagesRendered === 0))
    return `Not rendered in a browser: ${render.reason}.`;
  return `Rendered ${render.pagesRendered} of ${plural(render.pagesPlanned, 'page')} in ${render.browser ?? 'a browser'} in ${(render.durationMs / 1000).toFixed(1)} s: ${plural(render.requestsSeen, 'request')} checked, ${render.requestsFetched} fetched by the scan, ${render.requestsHeldBack} held back, ${render.requestsRefused} refused; ${plural(render.runtimeScripts, 'script')} seen only at runtime.`;
}
