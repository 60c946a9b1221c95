import { csvCell } from '../../checklists/review-evidence.js';
import type { Occurrence } from '../../scan/findings.js';
import { loadChain } from '../../scan/occurrence-groups.js';
import { describeOccurrence, describeVia } from '../../scan/report.js';
import type { ScanReport } from '../../store/scans.js';
import type { UploadedFile } from '../gateway.js';
import { hostOf } from './scan-message.js';

/** Rows in the export at most: a hostile site can hold 200 keys on 1,000 places each. */
export const MAX_EXPORT_ROWS = 10_000;

const CSV_HEADER = [
  'key',
  'sha256',
  'kind',
  'page',
  'file',
  'found_in',
  'line',
  'column',
  'confidence',
  'text_around_the_key',
  'loaded_through',
];

/**
 * Every place each key was seen, as a spreadsheet (CSV) and as JSON, for the scan's thread when the
 * thread shows only a summary. Built from the stored report, which holds masked keys only; the gateway
 * masks the files again on the way out.
 */
export function scanExportFiles(report: ScanReport, finishedAt: string): UploadedFile[] {
  const rows: string[][] = [];
  let left = MAX_EXPORT_ROWS;
  const add = (masked: string, fingerprint: string, kind: string, occurrences: readonly Occurrence[]) => {
    for (const occurrence of occurrences.slice(0, Math.max(0, left))) {
      const chain = loadChain(occurrence);
      rows.push([
        masked,
        fingerprint,
        kind,
        occurrence.page,
        occurrence.url,
        describeOccurrence(occurrence).replace(/, line .*/, ''),
        String(occurrence.line),
        String(occurrence.column),
        occurrence.confidence,
        occurrence.snippet,
        chain === undefined ? '' : (describeVia(chain) ?? ''),
      ]);
    }
    left -= occurrences.length;
  };
  for (const finding of report.findings)
    add(finding.masked, finding.fingerprint, 'exposed key', finding.occurrences);
  for (const placeholder of report.placeholders ?? [])
    add(placeholder.masked, placeholder.fingerprint, 'placeholder (not counted)', placeholder.occurrences);
  const cut = left < 0 ? -left : 0;
  const csv = [CSV_HEADER, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n');
  const note =
    cut > 0
      ? `\r\n${csvCell(`… and ${cut} more places: run npx klaviyo-checkup scan ${report.target} --json for all of them`)}`
      : '';

  const name = `klaviyo-scan-${hostOf(report.target).replace(/[^a-z0-9.-]+/gi, '-')}-${finishedAt.slice(0, 10)}`;
  return [
    { filename: `${name}.csv`, title: `Where each key was found (CSV)`, content: `${csv}${note}\r\n` },
    {
      filename: `${name}.json`,
      title: `Scan report (JSON)`,
      content: `${JSON.stringify(boundedReport(report), null, 2)}\n`,
    },
  ];
}

/** The report with at most MAX_EXPORT_ROWS occurrences in all, keys first, then placeholders. */
function boundedReport(report: ScanReport): ScanReport {
  let left = MAX_EXPORT_ROWS;
  const take = <T extends { occurrences: Occurrence[] }>(item: T): T => {
    const occurrences = item.occurrences.slice(0, Math.max(0, left));
    left -= occurrences.length;
    return { ...item, occurrences };
  };
  return {
    ...report,
    findings: report.findings.map(take),
    ...(report.placeholders ? { placeholders: report.placeholders.map(take) } : {}),
  };
}
