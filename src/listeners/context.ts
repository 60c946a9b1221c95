import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { AccessPolicy } from '../services/access.js';
import type { HomeService } from '../services/home.js';
import type { SnoozeOutcome } from '../services/reminders.js';
import type { ReviewService } from '../services/review-service.js';
import type { RotationService } from '../services/rotation-service.js';
import type { ScanService } from '../services/scan-service.js';
import type { WatchService } from '../services/watch-service.js';
import type { SlackGateway } from '../slack/gateway.js';
import { notice } from '../slack/views/help.js';
import type { RequestLedger } from '../store/audit.js';
import type { FormSeal } from '../store/form-seal.js';
import type { InFlight } from './in-flight.js';

/** What every listener may use; built once in main.ts. */
export interface Services {
  config: Config;
  log: Logger;
  gateway: SlackGateway;
  scans: ScanService;
  rotations: RotationService;
  reviews: ReviewService;
  home: HomeService;
  watched: WatchService;
  /** True when the bot posted a review reminder as this message (and stored it). */
  isReminder: (channelId: string, ts: string) => boolean;
  /** Records a snooze of the review reminder clicked in `message`: when it comes back, or why not. */
  snoozeReview: (
    choice: 'day' | 'week',
    userId: string,
    message?: { channelId: string; ts: string },
  ) => SnoozeOutcome;
  access: AccessPolicy;
  ledger: RequestLedger;
  /** Seals the origin a form carries, and opens it again on submission. */
  forms: FormSeal;
  now: () => Date;
  /** Every request's handler while it runs (tests and shutdown wait for them). */
  inFlight: InFlight;
}

/** Where to tell one person something only they should see, and the message they acted on. */
export interface Audience {
  userId: string;
  channelId?: string;
  responseUrl?: string;
  /** The message whose button was pressed (for checks that an action belongs to it). */
  messageTs?: string;
}

/** Who clicked, and where a reply to them only can go. */
export function audienceOf(body: {
  user: { id: string };
  channel?: { id: string } | undefined;
  response_url?: string | undefined;
  message?: { ts: string } | undefined;
}): Audience {
  return {
    userId: body.user.id,
    ...(body.channel?.id ? { channelId: body.channel.id } : {}),
    ...(body.response_url ? { responseUrl: body.response_url } : {}),
    ...(body.message?.ts ? { messageTs: body.message.ts } : {}),
  };
}

/** Replies to one person only: through the response URL when there is one, else an ephemeral message. */
export async function tellUser(services: Services, audience: Audience, text: string): Promise<void> {
  const message = notice(text);
  try {
    if (audience.responseUrl) {
      await services.gateway.respond(audience.responseUrl, {
        ...message,
        response_type: 'ephemeral',
        replace_original: false,
      });
      return;
    }
    if (audience.channelId) {
      await services.gateway.ephemeral(audience.channelId, audience.userId, message);
      return;
    }
    await services.gateway.post(audience.userId, message);
  } catch (error) {
    services.log.warn('could not reply to a user', { userId: audience.userId, error: String(error) });
  }
}

/** Tells where something is: a link to its message when Slack gives one, else its channel. */
export async function tellLink(
  services: Services,
  audience: Audience,
  where: { channelId: string; messageTs?: string | undefined },
  what: string,
): Promise<void> {
  const link =
    where.messageTs === undefined
      ? undefined
      : await services.gateway.permalink(where.channelId, where.messageTs);
  await tellUser(
    services,
    audience,
    link ? `${what}: <${link}|open it>.` : `${what} in <#${where.channelId}>.`,
  );
}
