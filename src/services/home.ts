import { reviewProgress } from '../checklists/review.js';
import { rotationProgress } from '../checklists/rotation.js';
import type { SlackGateway } from '../slack/gateway.js';
import { type HomeData, type HomeSettings, homeView } from '../slack/views/home.js';
import type { ScanRepository } from '../store/scans.js';
import type { AccessPolicy } from './access.js';
import { openReviewFollowUps, openRotationItems } from './open-items.js';
import type { ReviewService } from './review-service.js';
import type { RotationService } from './rotation-service.js';
import type { WatchService } from './watch-service.js';

export interface HomeServiceDeps {
  gateway: SlackGateway;
  rotations: RotationService;
  reviews: ReviewService;
  scans: ScanRepository;
  access: AccessPolicy;
  /** How the bot is set up, shown to workspace admins. */
  settings: HomeSettings;
  watched: WatchService;
  /** When watched sites are re-scanned next. */
  nextRescan: (after: Date) => Date;
  now: () => Date;
}

/** App Home: what is open, gathered from the store for the person looking, and published. */
export class HomeService {
  constructor(private readonly deps: HomeServiceDeps) {}

  async publish(userId: string): Promise<void> {
    await this.deps.gateway.publishHome(userId, homeView(await this.data(userId)));
  }

  async data(viewer: string): Promise<HomeData> {
    const { gateway, rotations, reviews, scans, access } = this.deps;
    const now = this.deps.now();
    const link = (channel: string, ts: string | undefined) =>
      ts ? gateway.permalink(channel, ts) : Promise.resolve(undefined);
    const openRotations = await Promise.all(
      rotations.listOpen().map(async (rotation) => {
        const { done, total } = rotationProgress(rotation.state);
        const permalink = await link(rotation.channelId, rotation.messageTs);
        return {
          id: rotation.id,
          masked: rotation.state.key.masked,
          target: rotation.target,
          done,
          total,
          startedAt: rotation.startedAt,
          ownedItems: openRotationItems(rotation)
            .filter((item) => item.owner === viewer)
            .map((item) => item.label),
          ...(permalink ? { permalink } : {}),
        };
      }),
    );
    const open = reviews.open();
    const latest = reviews.latestCompleted();
    let review: HomeData['review'];
    if (open !== undefined) {
      const progress = reviewProgress(open.state);
      const permalink = await link(open.channelId, open.messageTs);
      review = {
        id: open.id,
        period: open.period,
        decided: progress.decided,
        users: progress.users,
        flagged: progress.flagged,
        followUpsOpen: progress.followUpsOpen,
        accountItemsOpen: progress.accountItemsOpen,
        ownedFollowUps: openReviewFollowUps(open)
          .filter((item) => item.owner === viewer)
          .map((item) => item.label),
        ...(permalink ? { permalink } : {}),
      };
    }
    const lastScans = await Promise.all(
      scans.latestPerTarget(10).map(async (scan) => {
        const permalink = await link(scan.channelId, scan.messageTs);
        return {
          target: scan.target,
          status: scan.status,
          pagesScanned: scan.pagesScanned,
          ...(scan.finishedAt ? { finishedAt: scan.finishedAt } : {}),
          ...(scan.report ? { keysFound: scan.report.findings.length } : {}),
          ...(permalink ? { permalink } : {}),
        };
      }),
    );
    return {
      viewer,
      now,
      rotations: openRotations,
      ...(review ? { review } : {}),
      lastScans,
      nextReviewDue: reviews.nextDue(latest?.completedAt ? new Date(latest.completedAt) : now).toISOString(),
      ...(latest?.completedAt ? { lastReviewCompletedAt: latest.completedAt } : {}),
      watchedSites: this.deps.watched.list().map((site) => ({ target: site.target, addedBy: site.addedBy })),
      nextRescan: this.deps.nextRescan(now).toISOString(),
      canAct: await access.canAct(viewer),
      ...((await this.#isAdmin(viewer)) ? { settings: this.deps.settings } : {}),
    };
  }

  /** Workspace admins and owners (their Slack profile says so) see how the bot is set up. */
  async #isAdmin(userId: string): Promise<boolean> {
    return this.deps.gateway
      .person(userId)
      .then((person) => person.admin)
      .catch(() => false);
  }
}
