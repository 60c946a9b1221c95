import type { App, BlockButtonAction, BlockOverflowAction, BlockStaticSelectAction } from '@slack/bolt';
import { ACTION_HOME_LINK_PATTERN, ACTION_HOME_REVIEW, ACTION_HOME_SCAN } from '../../slack/views/home.js';
import {
  ACTION_REMINDER_SNOOZE,
  ACTION_REMINDER_START,
  ACTION_REVIEW_ACCOUNT_ITEM,
  ACTION_REVIEW_COMPLETE,
  ACTION_REVIEW_FOLLOW_UP,
  ACTION_REVIEW_TWO_STEP,
  ACTION_REVIEW_USERS,
} from '../../slack/views/review-message.js';
import {
  ACTION_REVIEW_DECIDE,
  ACTION_REVIEW_DECIDE_PAGE,
  ACTION_REVIEW_FILTER,
  ACTION_REVIEW_KEEP_UNFLAGGED,
  ACTION_REVIEW_PAGE,
} from '../../slack/views/review-modals.js';
import {
  ACTION_ADD_INTEGRATION,
  ACTION_CHECK_NOW,
  ACTION_CONFIRM_DELETE,
  ACTION_ITEM_MENU,
  ACTION_RESCAN as ACTION_ROTATION_RESCAN,
} from '../../slack/views/rotation-message.js';
import {
  ACTION_OPEN_ROTATION,
  ACTION_RESCAN,
  ACTION_START_ROTATION,
} from '../../slack/views/scan-message.js';
import { chain } from '../chain.js';
import type { Services } from '../context.js';
import { addIntegration } from './add-integration.js';
import { checkNow } from './check-now.js';
import { checklistItem } from './checklist-item.js';
import { confirmDelete } from './confirm-delete.js';
import { homeReview } from './home-review.js';
import { homeScan } from './home-scan.js';
import { openRotation } from './open-rotation.js';
import { reminderSnooze } from './reminder-snooze.js';
import { reminderStart } from './reminder-start.js';
import { rescanForRotation } from './rescan-for-rotation.js';
import { rescanSite } from './rescan-site.js';
import { reviewAccountItem } from './review-account-item.js';
import { reviewDecidePage, reviewKeepUnflagged } from './review-bulk.js';
import { reviewComplete } from './review-complete.js';
import { reviewDecide } from './review-decide.js';
import { reviewFilter } from './review-filter.js';
import { reviewFollowUp } from './review-follow-up.js';
import { reviewPage } from './review-page.js';
import { reviewTwoStep } from './review-two-step.js';
import { reviewUsers } from './review-users.js';
import { startRotation } from './start-rotation.js';

const startingWith = (prefix: string) => new RegExp(`^${prefix}`);

/**
 * Buttons and menus: on scan results, checklists, the review, its reminder and App Home. Every door
 * but the link buttons (which Slack opens itself) is for the configured people; those acting on a
 * rotation, a review or a scan also check that the click came from its own message, or from the user
 * list opened there, and a reminder's buttons that they came from a reminder the bot posted.
 */
export function registerActions(app: App, services: Services): void {
  const act = (what: string) => chain(services, { what, who: 'members' });
  const onScan = (what: string) => chain(services, { what, who: 'members', from: { message: 'scan' } });
  const onRotation = (what: string) =>
    chain(services, { what, who: 'members', from: { message: 'rotation' } });
  const onReview = (what: string) => chain(services, { what, who: 'members', from: { message: 'review' } });
  const inUserList = (what: string) => chain(services, { what, who: 'members', from: { form: 'review' } });
  const onReminder = (what: string) =>
    chain(services, { what, who: 'members', from: { message: 'reminder' } });

  app.action<BlockButtonAction>(
    ACTION_START_ROTATION,
    ...onScan('starting the rotation'),
    startRotation(services),
  );
  app.action<BlockButtonAction>(ACTION_OPEN_ROTATION, ...act('opening the rotation'), openRotation(services));
  app.action<BlockButtonAction>(ACTION_RESCAN, ...onScan('re-scanning'), rescanSite(services));

  app.action<BlockOverflowAction | BlockButtonAction>(
    ACTION_ITEM_MENU,
    ...onRotation('updating the checklist'),
    checklistItem(services),
  );
  app.action<BlockButtonAction>(
    ACTION_ADD_INTEGRATION,
    ...onRotation('opening the form'),
    addIntegration(services),
  );
  app.action<BlockButtonAction>(
    ACTION_CONFIRM_DELETE,
    ...onRotation('recording the deletion'),
    confirmDelete(services),
  );
  app.action<BlockButtonAction>(
    ACTION_ROTATION_RESCAN,
    ...onRotation('re-scanning'),
    rescanForRotation(services),
  );
  app.action<BlockButtonAction>(ACTION_CHECK_NOW, ...onRotation('checking the key'), checkNow(services));

  app.action<BlockButtonAction>(
    startingWith(ACTION_REVIEW_USERS),
    ...onReview('opening the user list'),
    reviewUsers(services),
  );
  app.action<BlockStaticSelectAction>(
    ACTION_REVIEW_FILTER,
    ...inUserList('changing the filter'),
    reviewFilter(services),
  );
  app.action<BlockButtonAction>(
    startingWith(ACTION_REVIEW_PAGE),
    ...inUserList('turning the page'),
    reviewPage(services),
  );
  app.action<BlockStaticSelectAction>(
    ACTION_REVIEW_DECIDE,
    ...inUserList('recording the decision'),
    reviewDecide(services),
  );
  app.action<BlockStaticSelectAction>(
    ACTION_REVIEW_DECIDE_PAGE,
    ...inUserList('recording the decisions'),
    reviewDecidePage(services),
  );
  app.action<BlockButtonAction>(
    ACTION_REVIEW_KEEP_UNFLAGGED,
    ...inUserList('keeping the unflagged users'),
    reviewKeepUnflagged(services),
  );
  app.action<BlockButtonAction>(
    ACTION_REVIEW_FOLLOW_UP,
    ...onReview('updating the review'),
    reviewFollowUp(services),
  );
  app.action<BlockButtonAction>(
    ACTION_REVIEW_ACCOUNT_ITEM,
    ...onReview('updating the review'),
    reviewAccountItem(services),
  );
  app.action<BlockStaticSelectAction>(
    ACTION_REVIEW_TWO_STEP,
    ...onReview('updating the review'),
    reviewTwoStep(services),
  );
  app.action<BlockButtonAction>(
    ACTION_REVIEW_COMPLETE,
    ...onReview('updating the review'),
    reviewComplete(services),
  );
  app.action<BlockButtonAction>(
    ACTION_REMINDER_START,
    ...onReminder('opening the review form'),
    reminderStart(services),
  );
  app.action<BlockButtonAction>(
    startingWith(`${ACTION_REMINDER_SNOOZE}:`),
    ...onReminder('snoozing the reminder'),
    reminderSnooze(services),
  );

  // Link buttons open their URL in Slack; the click still arrives and is only acknowledged.
  app.action(
    ACTION_HOME_LINK_PATTERN,
    ...chain(services, { what: 'opening a link', who: 'anyone' }),
    async () => {},
  );
  app.action<BlockButtonAction>(ACTION_HOME_SCAN, ...act('opening the scan form'), homeScan(services));
  app.action<BlockButtonAction>(ACTION_HOME_REVIEW, ...act('opening the review form'), homeReview(services));
}
