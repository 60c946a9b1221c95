import type { App } from '@slack/bolt';
import { BLOCK_HOME_URL, VIEW_HOME_SCAN } from '../../slack/views/home.js';
import {
  BLOCK_REASON,
  ROSTER_BLOCKS,
  VIEW_REVIEW_REASON,
  VIEW_REVIEW_START,
} from '../../slack/views/review-modals.js';
import {
  BLOCK_NAME,
  BLOCK_OWNER,
  VIEW_ADD_INTEGRATION,
  VIEW_ASSIGN,
} from '../../slack/views/rotation-modals.js';
import { formChain } from '../chain.js';
import type { Services } from '../context.js';
import { addIntegrationSubmitted } from './add-integration.js';
import { assignOwnerSubmitted } from './assign-owner.js';
import { homeScanSubmitted } from './home-scan.js';
import { reviewReasonSubmitted } from './review-reason.js';
import { reviewStartSubmitted } from './review-start.js';

/**
 * Form submissions: each answers Slack itself, with errors shown in the form where it can. Every form
 * is for the configured people, and is accepted only as the bot opened it for that person (its sealed
 * origin), from the checklist or review it names.
 */
export function registerViews(app: App, services: Services): void {
  app.view(
    VIEW_ADD_INTEGRATION,
    ...formChain(services, {
      what: 'adding the integration',
      who: 'members',
      block: BLOCK_NAME,
      from: { form: 'rotation' },
    }),
    addIntegrationSubmitted(services),
  );
  app.view(
    VIEW_ASSIGN,
    ...formChain(services, {
      what: 'assigning the owner',
      who: 'members',
      block: BLOCK_OWNER,
      from: { form: 'rotation' },
    }),
    assignOwnerSubmitted(services),
  );
  app.view(
    VIEW_REVIEW_START,
    ...formChain(services, {
      what: 'starting the review',
      who: 'members',
      block: ROSTER_BLOCKS[0],
      from: { form: 'review-start' },
    }),
    reviewStartSubmitted(services),
  );
  app.view(
    VIEW_REVIEW_REASON,
    ...formChain(services, {
      what: 'updating the review',
      who: 'members',
      block: BLOCK_REASON,
      from: { form: 'review' },
    }),
    reviewReasonSubmitted(services),
  );
  app.view(
    VIEW_HOME_SCAN,
    ...formChain(services, {
      what: 'starting the scan',
      who: 'members',
      block: BLOCK_HOME_URL,
      from: { form: 'home-scan' },
    }),
    homeScanSubmitted(services),
  );
}
