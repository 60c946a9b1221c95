import type { App, BlockButtonAction, ViewSubmitAction } from '@slack/bolt';
import { describeFollowUp, reviewProgress } from '../../../checklists/review.js';
import { allItems, itemDone, itemLabel, itemOwner, rotationProgress } from '../../../checklists/rotation.js';
import { CheckupError, isCheckupError, type RequestErrorCode } from '../../../errors.js';
import { ensureAllowed, handleListenerError, type Services } from '../../context.js';
import { plain } from '../../views/blocks.js';
import {
  ACTION_HOME_LINK_PATTERN,
  ACTION_HOME_REVIEW,
  ACTION_HOME_SCAN,
  type HomeData,
  homeView,
} from '../../views/home.js';
import { openReviewForm } from '../commands/klaviyo-review.js';

const VIEW_HOME_SCAN = 'home:scan';

/** What is open, gathered from the store for one person. */
export async function homeData(services: Services, viewer: string): Promise<HomeData> {
  const now = services.now();
  const link = (channel: string, ts: string | undefined) =>
    ts ? services.gateway.permalink(channel, ts) : Promise.resolve(undefined);
  const rotations = await Promise.all(
    services.rotations.listOpen().map(async (rotation) => {
      const { done, total } = rotationProgress(rotation.state);
      const ownedItems = allItems(rotation.state)
        .filter(
          (item) =>
            itemOwner(rotation.state, item) === viewer && itemDone(rotation.state, item) === undefined,
        )
        .map((item) => itemLabel(rotation.state, item));
      const permalink = await link(rotation.channelId, rotation.messageTs);
      return {
        id: rotation.id,
        masked: rotation.state.key.masked,
        target: rotation.target,
        done,
        total,
        startedAt: rotation.startedAt,
        ownedItems,
        ...(permalink ? { permalink } : {}),
      };
    }),
  );
  const open = services.reviews.open();
  const latest = services.reviews.latestCompleted();
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
      ownedFollowUps:
        open.startedBy === viewer
          ? open.state.followUps.filter((followUp) => !followUp.doneAt).map(describeFollowUp)
          : [],
      ...(permalink ? { permalink } : {}),
    };
  }
  const lastScans = await Promise.all(
    services.scanStore.latestPerTarget(10).map(async (scan) => {
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
    rotations,
    ...(review ? { review } : {}),
    lastScans,
    nextReviewDue: services.reviews
      .nextDue(latest?.completedAt ? new Date(latest.completedAt) : now)
      .toISOString(),
    ...(latest?.completedAt ? { lastReviewCompletedAt: latest.completedAt } : {}),
    canAct: await services.access.canAct(viewer),
  };
}

export async function publishHome(services: Services, userId: string): Promise<void> {
  const view = homeView(await homeData(services, userId));
  await services.gateway.publishHome(userId, { ...view });
}

/** App Home: what is open for the person looking, and buttons to start a scan or a review. */
export function registerAppHome(app: App, services: Services): void {
  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== 'home') return;
    await publishHome(services, event.user).catch((error: unknown) =>
      services.log.warn('could not publish App Home', { error: String(error) }),
    );
  });

  app.action(ACTION_HOME_LINK_PATTERN, async ({ ack }) => {
    await ack();
  });

  app.action<BlockButtonAction>(ACTION_HOME_SCAN, async ({ ack, body }) => {
    await ack();
    try {
      await services.gateway.openView(body.trigger_id, {
        type: 'modal',
        callback_id: VIEW_HOME_SCAN,
        title: plain('Scan a site', 24),
        submit: plain('Scan', 24),
        close: plain('Cancel', 24),
        blocks: [
          {
            type: 'input',
            block_id: 'url',
            label: plain('Site URL', 2000),
            hint: plain('The result comes to your direct messages with the bot.', 2000),
            element: { type: 'url_text_input', action_id: 'value' },
          },
        ],
      });
    } catch (error) {
      await handleListenerError(services, { userId: body.user.id }, error, 'opening the scan form');
    }
  });

  app.view<ViewSubmitAction>(VIEW_HOME_SCAN, async ({ ack, body, view }) => {
    const url = view.state.values.url?.value?.value ?? '';
    const audience = { userId: body.user.id };
    if (services.access.knownDecision(body.user.id) === false) {
      await ack({ response_action: 'errors', errors: { url: services.access.refusal().slice(0, 150) } });
      return;
    }
    const work = (async () => {
      if (!(await services.access.canAct(body.user.id)))
        throw new CheckupError<RequestErrorCode>('forbidden', services.access.refusal());
      await services.scans.request({ text: url, userId: body.user.id, channelId: body.user.id });
    })();
    // A refusal or a bad URL is shown in the form itself when it is known within two seconds.
    const settled = await Promise.race([
      work.then(
        () => ({ ok: true as const }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 2_000)),
    ]);
    if (settled === undefined) {
      await ack();
      await work.catch((error: unknown) =>
        handleListenerError(services, audience, error, 'starting the scan'),
      );
      return;
    }
    if (settled.ok) {
      await ack();
      return;
    }
    if (isCheckupError(settled.error)) {
      await ack({ response_action: 'errors', errors: { url: settled.error.message.slice(0, 150) } });
      return;
    }
    await ack();
    await handleListenerError(services, audience, settled.error, 'starting the scan');
  });

  app.action<BlockButtonAction>(ACTION_HOME_REVIEW, async ({ ack, body }) => {
    await ack();
    const audience = { userId: body.user.id };
    try {
      if (!(await ensureAllowed(services, audience))) return;
      const channel =
        services.config.review.channel ?? services.reviews.latestCompleted()?.channelId ?? body.user.id;
      await openReviewForm(services, body.trigger_id, channel, audience);
    } catch (error) {
      await handleListenerError(services, audience, error, 'opening the review form');
    }
  });
}
