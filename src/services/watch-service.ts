import type { Config } from '../config.js';
import { CheckupError, isCheckupError, type RequestErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { normalizeUrl, parseTarget } from '../scan/url-scope.js';
import type { AuditLog } from '../store/audit.js';
import type { Database } from '../store/database.js';
import type { WatchedSite, WatchedSiteRepository } from '../store/watched-sites.js';
import { acceptTarget } from './scan-target.js';

export interface WatchServiceDeps {
  db: Database;
  sites: WatchedSiteRepository;
  audit: AuditLog;
  log: Logger;
  config: Pick<Config, 'scan' | 'rescan'>;
  now: () => Date;
}

/**
 * The sites re-scanned on the schedule: watched and unwatched from Slack, seeded from the
 * configuration, at most `rescan.maxSites` of them, every change in the audit trail.
 */
export class WatchService {
  constructor(private readonly deps: WatchServiceDeps) {}

  list(): WatchedSite[] {
    return this.deps.sites.list();
  }

  /**
   * Watches a site after the same checks as a scan (a refused target is refused for the same reason,
   * and nothing is fetched). Returns false when it was watched already.
   */
  async watch(text: string, userId: string, channelId: string): Promise<{ target: string; added: boolean }> {
    const { db, sites, audit, config, now } = this.deps;
    let target: string;
    try {
      target = await acceptTarget(text, { allowPrivateNetworks: config.scan.allowPrivateNetworks });
    } catch (error) {
      if (!isCheckupError(error)) throw error;
      throw new CheckupError<RequestErrorCode>(
        error.code as RequestErrorCode,
        `Not watched: ${error.message.replace(/^Not scanned: /, '').replace(/^Only /, 'only ')}`,
      );
    }
    const at = now().toISOString();
    const added = db
      .transaction(() => {
        if (sites.get(target) !== undefined) return false;
        if (sites.count() >= config.rescan.maxSites)
          throw new CheckupError<RequestErrorCode>(
            'conflict',
            `Not watched: ${config.rescan.maxSites} sites are watched already, the most the bot watches. Unwatch one first (\`/klaviyo-scan watch list\` shows them).`,
          );
        sites.add({ target, addedBy: userId, addedAt: at, channelId });
        audit.append({
          subjectType: 'watched_site',
          subjectId: target,
          actor: userId,
          action: 'started watching the site',
          at,
        });
        return true;
      })
      .immediate();
    return { target, added };
  }

  /** Stops watching a site; returns false when it was not watched. */
  unwatch(text: string, userId: string): { target: string; removed: boolean } {
    const { db, sites, audit, now } = this.deps;
    let target: string;
    try {
      target = normalizeUrl(parseTarget(text));
    } catch (error) {
      throw new CheckupError<RequestErrorCode>(
        'usage',
        error instanceof Error ? error.message : String(error),
      );
    }
    const at = now().toISOString();
    const removed = db.transaction(() => {
      if (!sites.remove(target, userId, at)) return false;
      audit.append({
        subjectType: 'watched_site',
        subjectId: target,
        actor: userId,
        action: 'stopped watching the site',
        at,
      });
      return true;
    })();
    return { target, removed };
  }

  /**
   * The configured sites join the watched ones: a site new to the configuration is added at start, one
   * someone unwatched in Slack stays unwatched, and the limit applies to seeds too.
   */
  seed(): number {
    const { sites, config, log, now } = this.deps;
    let added = 0;
    for (const site of config.rescan.sites) {
      const target = normalizeUrl(new URL(site));
      if (sites.get(target) !== undefined) continue;
      if (sites.count() >= config.rescan.maxSites) {
        log.warn('a configured site was not watched: the limit of watched sites is reached', { target });
        continue;
      }
      if (sites.seed(target, now().toISOString())) added++;
    }
    return added;
  }
}
