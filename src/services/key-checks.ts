import type { Liveness } from '../checklists/rotation.js';
import type { LivenessChecker } from '../klaviyo/liveness.js';
import type { Logger } from '../log.js';
import type { ScanResult } from '../scan/crawler.js';
import type { KeyStatus } from '../slack/views/scan-message.js';
import type { ExposedKeyRepository } from '../store/exposed-keys.js';
import type { KeyKeeper } from '../store/key-keeper.js';

const LIVENESS_SPACING_MS = 1_100;
/**
 * How long a key found by a scan is kept without an open rotation: time to press "Start rotation".
 * The sweep runs every 10 s, so no such copy outlives its scan by more than a minute.
 */
export const KEY_COPY_GRACE_MS = 45_000;
const MAX_LIVENESS_CHECKS = 10;

export interface KeyChecksDeps {
  keys: ExposedKeyRepository;
  keeper: KeyKeeper;
  liveness: LivenessChecker;
  log: Logger;
  now: () => Date;
}

/**
 * What a scan found, kept: each key by fingerprint (masked; the full key only with the keeper), and
 * whether Klaviyo still accepts it, asked at most ten times a scan and about once a second.
 */
export class KeyChecks {
  constructor(private readonly deps: KeyChecksDeps) {}

  async record(
    scanId: string,
    result: ScanResult,
    at: string,
    stopping: () => boolean,
  ): Promise<Record<string, KeyStatus>> {
    const { keys, keeper, liveness, log } = this.deps;
    const statuses: Record<string, KeyStatus> = {};
    let checked = 0;
    for (const finding of result.findings) {
      keys.upsertSeen(
        {
          fingerprint: finding.fingerprint,
          masked: finding.masked,
          ...(finding.accountPublicKey ? { accountPublicKey: finding.accountPublicKey } : {}),
        },
        scanId,
        at,
      );
      const key = result.keyring.reveal(finding.fingerprint);
      if (key !== undefined) {
        const now = this.deps.now();
        keeper.keep(finding.fingerprint, key, now, new Date(now.getTime() + KEY_COPY_GRACE_MS));
      }
      let status: { liveness: Liveness; account?: string } = { liveness: 'not_checked' };
      if (key !== undefined && checked < MAX_LIVENESS_CHECKS && !stopping()) {
        // Klaviyo allows about one accounts request per second.
        if (checked > 0) await new Promise((resolve) => setTimeout(resolve, LIVENESS_SPACING_MS));
        checked++;
        const answer = await liveness.check(key);
        status = {
          liveness: answer.status,
          ...(answer.accountPublicKey ? { account: answer.accountPublicKey } : {}),
        };
        keys.recordLiveness(
          finding.fingerprint,
          answer.status,
          answer.accountPublicKey,
          this.deps.now().toISOString(),
        );
        log.info('liveness checked', {
          fingerprint: finding.fingerprint.slice(0, 16),
          status: answer.status,
          http: answer.httpStatus,
        });
      }
      statuses[finding.fingerprint] = status;
    }
    return statuses;
  }
}
