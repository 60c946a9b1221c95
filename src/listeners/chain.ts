import { randomBytes } from 'node:crypto';
import type {
  AllMiddlewareArgs,
  Context,
  SlackViewMiddlewareArgs,
  ViewResponseAction,
  ViewSubmitAction,
} from '@slack/bolt';
import { isCheckupError } from '../errors.js';
import type { SlackMessage } from '../slack/views/blocks.js';
import type { FormOrigin } from '../store/form-seal.js';
import { type Audience, type Services, tellUser } from './context.js';
import type { InFlight } from './in-flight.js';
import { cameFrom, type From, WRONG_PLACE } from './origin.js';

/**
 * Every listener is built from one chain of Bolt middleware, in this order:
 *
 *   door      what the listener does (for error replies) and who to answer
 *   ack       at once, so Slack never waits (commands, actions, events; forms answer themselves)
 *   once      a retried or replayed request is applied once (the request ledger)
 *   permitted the person may act, for doors that change anything or show private data
 *   from      the request came from the message it acts on, or a form the bot opened from there
 *   handler   the listener itself
 *
 * Errors are not caught in listeners: Bolt hands them, with the request's context, to `replyToError`.
 */

/** What a form handler gets from Bolt. */
export type FormArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/** Who may come through a door: the configured people, or anyone who can see the button. */
export type Who = 'members' | 'anyone';

export interface Door {
  /** What the listener does, in words for an error reply: "starting the scan". */
  what: string;
  who: Who;
  /** Where its requests must come from, for doors that act on a rotation, a review, a scan or a reminder. */
  from?: From;
}

/** A form's door also names the block where a refusal is shown, and the form it must be. */
export interface FormDoor extends Door {
  block: string;
  from: { form: FormOrigin['kind'] };
}

/** The arguments every link reads; Bolt's listener arguments of each kind have them. */
interface LinkArgs {
  body: unknown;
  context: Context;
  next: () => Promise<void>;
  /** Absent for events, which need no acknowledgement. */
  ack?: () => Promise<void>;
}

type Link = (args: LinkArgs) => Promise<void>;

/** A form's answer can carry errors shown in the form. */
type FormLink = (args: LinkArgs & { ack: (response?: ViewResponseAction) => Promise<void> }) => Promise<void>;

/** What the chain keeps in Bolt's context for the links after it and for the error handler. */
interface ChainState {
  door: Door;
  audience: Audience;
  /** A form was answered (closed) before its handler ran; the handler must not answer again. */
  formClosed?: boolean;
  /** The handler answered a form with errors: the submission may come again and is not "seen". */
  formRefused?: boolean;
}

function stateOf(context: Context): ChainState | undefined {
  return context.chain;
}

/** The chain for commands, actions and events: door, ack, once, permitted, from. */
export function chain(services: Services, door: Door, ...before: Link[]): Link[] {
  return [
    enter(door, services.inFlight),
    acknowledge,
    ...before,
    once(services),
    permitted(services, door.who),
    ...(door.from ? [from(services, door.from)] : []),
  ];
}

/** The chain for form submissions, which answer Slack themselves (possibly with errors in the form). */
export function formChain(services: Services, door: FormDoor): FormLink[] {
  return [
    enter(door, services.inFlight),
    once(services),
    permittedForm(services, door),
    fromForm(services, door),
  ];
}

/** A command whose text asks for help (as `usage` decides) is answered with its usage, to anyone. */
export function helpFor(services: Services, usage: (text: string) => SlackMessage | undefined): Link {
  return async ({ body, next }) => {
    const command = body as { text?: string; response_url?: string };
    const message = usage((command.text ?? '').trim());
    if (message === undefined) return next();
    if (command.response_url)
      await services.gateway.respond(command.response_url, { ...message, response_type: 'ephemeral' });
  };
}

const HELP = /^(help|-h|--help|\?)$/i;

export function isHelp(text: string): boolean {
  return HELP.test(text);
}

/** The first link; it carries its door, so a test can list every door and who may pass it. */
function enter(door: Door, inFlight: InFlight): Link & { door: Door } {
  const link: Link = async ({ body, context, next }) => {
    const state: ChainState = { door, audience: audienceFrom(body) };
    context.chain = state;
    await inFlight.track(next());
  };
  return Object.assign(link, { door });
}

const acknowledge: Link = async ({ ack, next }) => {
  await ack?.();
  await next();
};

/** A Slack retry (same payload again) or a replay of a click is let through once. */
function once(services: Services): Link {
  return async ({ body, context, next, ack }) => {
    const key = requestKey(body);
    if (key === undefined) return next();
    if (!services.ledger.firstTime(key, services.now().toISOString())) {
      // A form seen before is answered (closed) again; other kinds were acknowledged already.
      if ((body as { type?: string }).type === 'view_submission') await ack?.();
      return;
    }
    await next();
    if (stateOf(context)?.formRefused) services.ledger.forget(key);
  };
}

function permitted(services: Services, who: Who): Link {
  return async ({ context, next }) => {
    const state = stateOf(context);
    if (who === 'anyone' || state === undefined) return next();
    if (await services.access.canAct(state.audience.userId)) return next();
    await tellUser(services, state.audience, `:no_entry: ${services.access.refusal()}`);
  };
}

/** A request that did not come from the message it acts on changes nothing, and the person is told. */
function from(services: Services, where: From): Link {
  return async ({ body, context, next }) => {
    if (cameFrom(services, where, body)) return next();
    const state = stateOf(context);
    services.log.warn('refused a request that did not come from its message', {
      userId: state?.audience.userId,
      door: state?.door.what,
    });
    if (state) await tellUser(services, state.audience, `:no_entry: ${WRONG_PLACE}`);
  };
}

/** The same for a form: the refusal is shown in the form (or told, when the form was closed already). */
function fromForm(services: Services, door: FormDoor): FormLink {
  return async ({ body, context, next, ack }) => {
    if (cameFrom(services, door.from, body)) return next();
    const state = stateOf(context);
    services.log.warn('refused a form that was not opened for this person here', {
      userId: state?.audience.userId,
      door: door.what,
    });
    if (state?.formClosed) {
      await tellUser(services, state.audience, `:no_entry: ${WRONG_PLACE}`);
      return;
    }
    await ack({ response_action: 'errors', errors: { [door.block]: WRONG_PLACE.slice(0, 150) } });
  };
}

/** How long a form waits for a cold permission check before it closes and answers in a message. */
const FORM_PERMISSION_WAIT_MS = 2_000;

/**
 * A form is answered within Slack's three seconds: a refusal known at once (or within two seconds)
 * is shown in the form; otherwise the form closes and a refusal comes as a message.
 */
function permittedForm(services: Services, door: FormDoor): FormLink {
  return async ({ context, next, ack }) => {
    const state = stateOf(context);
    if (door.who === 'anyone' || state === undefined) return next();
    const userId = state.audience.userId;
    let allowed = services.access.knownDecision(userId);
    if (allowed === undefined) {
      const asked = services.access.canAct(userId);
      allowed = await Promise.race([
        asked,
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), FORM_PERMISSION_WAIT_MS)),
      ]);
      if (allowed === undefined) {
        await ack();
        state.formClosed = true;
        allowed = await asked;
        if (!allowed) {
          await tellUser(services, state.audience, `:no_entry: ${services.access.refusal()}`);
          return;
        }
      }
    }
    if (!allowed) {
      await ack({
        response_action: 'errors',
        errors: { [door.block]: services.access.refusal().slice(0, 150) },
      });
      return;
    }
    await next();
  };
}

/**
 * How a form handler answers: closes it, or shows errors in it. When the chain had to close the form
 * already, the first error is told as a message instead.
 */
export async function answerForm(
  services: Services,
  args: Pick<FormArgs, 'ack' | 'context'>,
  errors?: Record<string, string>,
): Promise<void> {
  const state = stateOf(args.context);
  if (errors !== undefined && state !== undefined) state.formRefused = true;
  if (state?.formClosed) {
    const first = errors === undefined ? undefined : Object.values(errors)[0];
    if (first !== undefined) await tellUser(services, state.audience, `:warning: ${first}`);
    return;
  }
  const shown =
    errors && Object.fromEntries(Object.entries(errors).map(([block, text]) => [block, text.slice(0, 150)]));
  await args.ack(shown ? { response_action: 'errors', errors: shown } : undefined);
}

/**
 * The one place listener errors are handled (Bolt's extended error handler): a problem meant for the
 * person (a refused target, a step that is not available yet) is told to them as it is; anything else
 * is logged with a reference the person gets, so nobody is left without an answer and no detail leaks
 * into Slack.
 */
export function replyToError(services: Services) {
  return async ({
    error,
    context,
    body,
  }: {
    error: Error;
    context: Context;
    body: unknown;
  }): Promise<void> => {
    const cause = unwrap(error);
    const state = stateOf(context);
    const audience = state?.audience ?? audienceFrom(body);
    const what = state?.door.what ?? 'answering Slack';
    if (isCheckupError(cause)) {
      await tellUser(services, audience, `:warning: ${cause.message}`);
      return;
    }
    const reference = randomBytes(4).toString('hex');
    services.log.error(`${what} failed`, { reference, userId: audience.userId, error: cause });
    if (audience.userId === '') return;
    await tellUser(
      services,
      audience,
      `:x: Something went wrong while ${what} (reference \`${reference}\`). The team can find the details in the bot's log.`,
    );
  };
}

/** Bolt wraps an error without a code (UnknownError.original), and several at once (originals). */
function unwrap(error: unknown): unknown {
  const wrapped = error as { original?: unknown; originals?: unknown[] } | null;
  if (wrapped?.original !== undefined) return unwrap(wrapped.original);
  if (wrapped?.originals?.[0] !== undefined) return unwrap(wrapped.originals[0]);
  return error;
}

/** The fields of Slack payloads the chain reads; each kind has some of them. */
interface Payload {
  type?: string;
  user?: { id?: string };
  user_id?: string;
  channel?: { id?: string };
  channel_id?: string;
  response_url?: string;
  trigger_id?: string;
  message?: { ts?: string };
  actions?: { action_id?: string; action_ts?: string }[];
  view?: { id?: string; hash?: string };
  event?: { user?: string };
  event_id?: string;
}

/** Who sent a request and where only they can be answered, for any kind of payload. */
function audienceFrom(body: unknown): Audience {
  const payload = (body ?? {}) as Payload;
  const channelId = payload.channel?.id ?? payload.channel_id;
  return {
    userId: payload.user?.id ?? payload.user_id ?? payload.event?.user ?? '',
    ...(channelId ? { channelId } : {}),
    ...(payload.response_url ? { responseUrl: payload.response_url } : {}),
    ...(payload.message?.ts ? { messageTs: payload.message.ts } : {}),
  };
}

/** The key under which a request is remembered: the same for a retry or a replay, new for a new click. */
function requestKey(body: unknown): string | undefined {
  const payload = (body ?? {}) as Payload;
  if (payload.type === 'block_actions') {
    const action = payload.actions?.[0];
    return `action:${payload.user?.id}:${action?.action_ts}:${action?.action_id}`;
  }
  // The person is part of the key, so a forged copy of someone's form cannot use up their submission.
  if (payload.type === 'view_submission')
    return `view:${payload.user?.id}:${payload.view?.id}:${payload.view?.hash}`;
  if (payload.event_id !== undefined) return `event:${payload.event_id}`;
  if (payload.trigger_id !== undefined && payload.user_id !== undefined)
    return `command:${payload.trigger_id}`;
  return undefined;
}
