import { auditWarnings, type ScanResult } from '../crawler.js';
import {
  type FindingsCollector,
  MAX_DISTINCT_KEYS,
  type Occurrence,
  type PublicKeyUse,
} from '../findings.js';
import type { ScanOptions } from '../options.js';

const MAX_OCCURRENCES_KEPT = 1_000;
const MAX_PUBLIC_KEY_URLS = 20;
const MAX_PLACEHOLDERS = 50;
/** Warnings the public-key audit writes; they are worked out again over both passes' findings. */
const AUDIT_CODES = new Set([
  'multiple_public_keys',
  'unexpected_public_key',
  'expected_public_key_missing',
  'key_belongs_to_site',
  'key_belongs_to_other_account',
  'truncated',
  'incomplete',
]);

/**
 * Adds what the render pass found to the static scan's result. A place the static scan already
 * reported (same key, same URL, line and column: the browser fetched the same script) is not repeated,
 * nor is a key in a page's rendered DOM when anything else showed that key on that page.
 */
export function mergeRenderFindings(
  result: ScanResult,
  render: FindingsCollector,
  options: Pick<ScanOptions, 'expectPublicKey' | 'maxPages' | 'maxScripts' | 'timeBudgetMs'>,
): ScanResult {
  const findings = result.findings.map((finding) => ({ ...finding, occurrences: [...finding.occurrences] }));
  const byFingerprint = new Map(findings.map((finding) => [finding.fingerprint, finding]));
  let beyondLimit = 0;
  for (const found of render.findings()) {
    let finding = byFingerprint.get(found.fingerprint);
    if (finding === undefined) {
      if (findings.length >= MAX_DISTINCT_KEYS) {
        beyondLimit++;
        continue;
      }
      const key = render.keyring.reveal(found.fingerprint);
      if (key !== undefined) result.keyring.add(found.fingerprint, key);
      finding = { ...found, occurrences: [], occurrenceCount: 0 };
      findings.push(finding);
      byFingerprint.set(found.fingerprint, finding);
    }
    const places = new Set(finding.occurrences.map(placeOf));
    const pages = new Set(finding.occurrences.flatMap((occurrence) => [occurrence.url, occurrence.page]));
    // The rendered DOM comes last: it only counts for a key nothing else showed on that page.
    const ordered = [...found.occurrences].sort(
      (a, b) => Number(a.resource === 'rendered-page') - Number(b.resource === 'rendered-page'),
    );
    for (const occurrence of ordered) {
      if (places.has(placeOf(occurrence))) continue;
      if (occurrence.resource === 'rendered-page' && pages.has(occurrence.page)) continue;
      places.add(placeOf(occurrence));
      pages.add(occurrence.page);
      finding.occurrenceCount++;
      if (finding.occurrences.length < MAX_OCCURRENCES_KEPT) finding.occurrences.push(occurrence);
    }
    if (found.confidence === 'high') finding.confidence = 'high';
  }
  const publicKeys = mergePublicKeys(result.publicKeys, render.publicKeys());
  const placeholders = [...(result.placeholders ?? [])];
  const knownPlaceholders = new Set(placeholders.map((placeholder) => placeholder.fingerprint));
  for (const placeholder of render.placeholders())
    if (!knownPlaceholders.has(placeholder.fingerprint) && placeholders.length < MAX_PLACEHOLDERS)
      placeholders.push(placeholder);
  const kept = result.warnings.filter((warning) => !AUDIT_CODES.has(warning.code));
  const warnings = [
    ...auditWarnings(findings, publicKeys, options, result.stoppedBy, result.truncated),
    ...kept,
    ...(beyondLimit + render.keysBeyondLimit > 0
      ? [
          {
            code: 'too_many_keys' as const,
            message: `${beyondLimit + render.keysBeyondLimit} more distinct private keys were seen in the browser; only the first ${MAX_DISTINCT_KEYS} are reported in detail.`,
          },
        ]
      : []),
  ];
  return { ...result, findings, publicKeys, placeholders, warnings };
}

function placeOf(occurrence: Occurrence): string {
  return `${occurrence.url}\n${occurrence.line}:${occurrence.column}`;
}

function mergePublicKeys(first: PublicKeyUse[], second: PublicKeyUse[]): PublicKeyUse[] {
  const merged = new Map(first.map((use) => [use.key, { ...use, urls: [...use.urls] }]));
  for (const use of second) {
    const existing = merged.get(use.key);
    if (existing === undefined) {
      merged.set(use.key, { ...use, urls: [...use.urls] });
      continue;
    }
    existing.count += use.count;
    for (const url of use.urls)
      if (existing.urls.length < MAX_PUBLIC_KEY_URLS && !existing.urls.includes(url)) existing.urls.push(url);
  }
  return [...merged.values()].sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}
