import { plural } from '../words.js';
import type { ScanResult } from './crawler.js';
import { describeOccurrence, describeVia, redactedResult } from './report.js';

const RULE_ID = 'klaviyo/private-key-exposed';

/**
 * SARIF 2.1.0, so CI systems show each exposed key as a code-scanning alert. One result per key,
 * with every place it was seen as a location; never the full key.
 */
export function toSarif(full: ScanResult, toolVersion: string): object {
  const result = redactedResult(full);
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'klaviyo-checkup',
            version: toolVersion,
            rules: [
              {
                id: RULE_ID,
                name: 'KlaviyoPrivateKeyExposed',
                shortDescription: { text: 'Klaviyo private API key exposed in public web code' },
                fullDescription: {
                  text: 'A Klaviyo private API key (pk_…) is readable by anyone who views the site. Use the public key (site ID) in client code, and rotate the exposed private key.',
                },
                help: {
                  text: 'Replace the private key with the public key in the site code, create a new private key with the narrowest scope for each integration that used it, then delete the exposed key in Klaviyo (Settings > API Keys).',
                },
                defaultConfiguration: { level: 'error' },
                properties: { tags: ['security', 'secret'], 'security-severity': '9.0', precision: 'high' },
              },
            ],
          },
        },
        invocations: [
          {
            executionSuccessful: true,
            startTimeUtc: result.startedAt,
            properties: {
              target: result.target,
              pagesScanned: result.pagesScanned,
              scriptsScanned: result.scriptsScanned,
              placeholders: (result.placeholders ?? []).length,
            },
          },
        ],
        results: result.findings.map((finding) => ({
          ruleId: RULE_ID,
          level: 'error',
          message: {
            text: `Klaviyo private key ${finding.masked} (sha256:${finding.fingerprint.slice(0, 16)}…) is exposed in ${plural(finding.occurrenceCount, 'place')}.`,
          },
          locations: finding.occurrences.slice(0, 100).map((occurrence) => ({
            physicalLocation: {
              artifactLocation: { uri: occurrence.url },
              region: {
                startLine: occurrence.line,
                startColumn: occurrence.column,
                snippet: { text: occurrence.snippet },
              },
            },
            message: {
              text: [describeOccurrence(occurrence), describeVia(occurrence.via, occurrence.hopsOmitted)]
                .filter((part) => part !== undefined)
                .join('; reached: '),
            },
            ...(occurrence.via === undefined
              ? {}
              : { properties: { via: occurrence.via, hopsOmitted: occurrence.hopsOmitted ?? 0 } }),
          })),
          partialFingerprints: { 'klaviyoKeySha256/v1': finding.fingerprint },
          properties: { masked: finding.masked, form: finding.form, confidence: finding.confidence },
        })),
      },
    ],
  };
}
