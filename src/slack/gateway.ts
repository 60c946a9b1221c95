import { setTimeout as wait } from 'node:timers/promises';
import type { webApi } from '@slack/bolt';
import type { HomeView, ModalView } from '@slack/types';
import { request } from 'undici';
import type { Logger } from '../log.js';
import { scrubSecrets } from '../scan/detector.js';
import type { SlackMessage } from './views/blocks.js';

export type WebClient = webApi.WebClient;

export interface Posted {
  channel: string;
  ts: string;
}

/** A text file the bot shares in a conversation (the review's evidence). */
export interface UploadedFile {
  filename: string;
  title: string;
  content: string;
}

/** A message posted to a response URL: ephemeral to the person, or in the channel. */
export type ResponseMessage = SlackMessage & {
  response_type?: 'ephemeral' | 'in_channel';
  replace_original?: boolean;
};

/**
 * Every string of an outgoing payload with private keys masked: the last line of defence, so no code
 * path (a URL that carries a key, a name someone typed) can put a full key into a Slack message.
 */
export function redactPayload<T>(value: T): T {
  if (typeof value === 'string') return scrubSecrets(value) as T;
  if (Array.isArray(value)) return value.map((item) => redactPayload(item)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactPayload(item)])) as T;
  }
  return value;
}

/** Slack errors meaning the bot cannot post in that conversation until someone invites it. */
const NOT_A_MEMBER = new Set(['not_in_channel', 'channel_not_found', 'is_archived', 'restricted_action']);

export function slackErrorCode(error: unknown): string | undefined {
  return (error as { data?: { error?: string } } | null)?.data?.error;
}

export function isNotAMember(error: unknown): boolean {
  return NOT_A_MEMBER.has(slackErrorCode(error) ?? '');
}

/** Slack's answers that mean "not now": the same call may well work in a moment. */
const TRANSIENT_ERRORS = new Set([
  'service_unavailable',
  'internal_error',
  'fatal_error',
  'request_timeout',
  'ratelimited',
]);

/** Answers after which a new message was certainly not posted, so posting again cannot make two. */
const NOT_POSTED_ERRORS = new Set(['service_unavailable', 'request_timeout', 'ratelimited']);

/** What went wrong with a call, as far as trying it again is concerned. */
export interface SlackFailure {
  /** Slack's error code, `http_503` for an HTTP status, `request_failed` when Slack was not reached. */
  code: string;
  transient: boolean;
  /** Set when the call may have been applied even though it failed (a 500, a lost connection). */
  uncertain: boolean;
  /** Slack's Retry-After, in milliseconds. */
  retryAfterMs?: number;
}

export function slackFailure(error: unknown): SlackFailure {
  const coded = error as { code?: string; statusCode?: number; retryAfter?: number } | null;
  switch (coded?.code) {
    case 'slack_webapi_rate_limited_error':
      return {
        code: 'ratelimited',
        transient: true,
        uncertain: false,
        ...(typeof coded.retryAfter === 'number' ? { retryAfterMs: coded.retryAfter * 1000 } : {}),
      };
    case 'slack_webapi_http_error': {
      const status = coded.statusCode ?? 0;
      return { code: `http_${status}`, transient: status >= 500, uncertain: status !== 503 };
    }
    case 'slack_webapi_request_error':
      return { code: 'request_failed', transient: true, uncertain: true };
    case 'slack_webapi_platform_error': {
      const code = slackErrorCode(error) ?? 'unknown_error';
      return { code, transient: TRANSIENT_ERRORS.has(code), uncertain: !NOT_POSTED_ERRORS.has(code) };
    }
  }
  // The Web API client's answer to a 429 that did not say when to come back.
  if (error instanceof Error && /retry header|rate limit/i.test(error.message))
    return { code: 'ratelimited', transient: true, uncertain: false };
  // Not Slack's answer but an error of our own (a draw that threw): its text is kept as the code, in
  // the store's refusals and the log, so it is masked like everything else that leaves here.
  const text = error instanceof Error ? error.message : String(error);
  return { code: scrubSecrets(text), transient: false, uncertain: false };
}

/**
 * How a failed call is tried again: at most `attempts` calls in all, waiting `baseMs`, then twice as
 * long each time (with jitter), or what Slack's Retry-After asks when it says (up to
 * `maxRetryAfterMs`; longer than that is left to the reconciler).
 */
export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseMs: 1_000, maxRetryAfterMs: 30_000 };

/** What became of an update: Slack took it, or refused it for good (a retry would not help). */
export interface UpdateOutcome {
  accepted?: () => void;
  refused?: (code: string) => void;
  /** One attempt only: the caller (the reconciler) tries again itself. */
  once?: boolean;
}

interface PendingUpdate {
  running: Promise<void>;
  next?: { draw: () => SlackMessage; outcome: UpdateOutcome };
}

/** Waits `ms`, or less when `signal` is aborted (without throwing: the caller decides what then). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return wait(ms, undefined, { signal }).catch(() => undefined);
}

const MAX_FILE_BYTES = 5 * 1024 * 1024;
const FILE_TOO_LARGE = 'the file is larger than a Klaviyo roster can be (5 MB)';

/**
 * The only door to Slack. Every call the bot makes goes through here, and every payload is masked on
 * the way out: messages (posted, updated in place, ephemeral, to a response URL), views, file uploads.
 * Updates of one message are coalesced, so the last state always wins and a burst of clicks costs one
 * update. Calls that fail for a passing reason (a 429, a 5xx, service_unavailable…) are tried again
 * with backoff, a bounded number of times; the client it is given must not retry on its own
 * (`retryConfig: { retries: 0 }, rejectRateLimitedCalls: true`), so waiting is decided here only.
 */
export class SlackGateway {
  readonly #client: WebClient;
  readonly #botToken: string;
  readonly #log: Logger;
  readonly #retry: RetryPolicy;
  readonly #updates = new Map<string, PendingUpdate>();
  /** Aborted at shutdown: waits between retries end at once, and what is left is the reconciler's. */
  readonly #stopping = new AbortController();

  constructor(client: WebClient, options: { botToken: string; log: Logger; retry?: Partial<RetryPolicy> }) {
    this.#client = client;
    this.#botToken = options.botToken;
    this.#log = options.log;
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
  }

  /** No more waiting between retries (at shutdown); a call that fails now fails at once. */
  stopRetrying(): void {
    this.#stopping.abort();
  }

  /**
   * Runs `call`, and again after a wait while it fails for a passing reason, at most the policy's
   * number of times. `retryUncertain`: also when the call may have been applied (safe for updates,
   * not for posts, which would then appear twice). `superseded`: a newer call makes this one moot.
   */
  async #withRetries<T>(
    call: () => Promise<T>,
    options: { retryUncertain: boolean; superseded?: () => boolean },
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const failure = slackFailure(error);
        const retriable = failure.transient && (options.retryUncertain || !failure.uncertain);
        if (!retriable || attempt >= this.#retry.attempts || this.#stopping.signal.aborted) throw error;
        if (options.superseded?.()) throw error;
        const backoff = this.#retry.baseMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5);
        const wait = failure.retryAfterMs ?? backoff;
        if (wait > this.#retry.maxRetryAfterMs) throw error;
        this.#log.debug('Slack call failed; trying again', { error: failure.code, attempt, waitMs: wait });
        await sleep(wait, this.#stopping.signal);
      }
    }
  }

  async post(channel: string, unsafe: SlackMessage, threadTs?: string): Promise<Posted> {
    const message = redactPayload(unsafe);
    const result = await this.#withRetries(
      () =>
        this.#client.chat.postMessage({
          channel,
          text: message.text,
          blocks: message.blocks,
          unfurl_links: false,
          unfurl_media: false,
          ...(threadTs === undefined ? {} : { thread_ts: threadTs }),
        }),
      { retryUncertain: false },
    );
    return { channel: result.channel ?? channel, ts: result.ts ?? '' };
  }

  /**
   * Posts in the channel, or, where the bot is not a member, in a direct message with the person: a
   * checklist then lives with them instead of nowhere. Returns where it went.
   */
  async postHereOrDirect(channel: string, userId: string, message: SlackMessage): Promise<Posted> {
    try {
      return await this.post(channel, message);
    } catch (error) {
      if (!isNotAMember(error)) throw error;
      return this.post(userId, message);
    }
  }

  /** A thread reply that must not fail the caller (audit lines, details). */
  async postQuietly(channel: string, message: SlackMessage, threadTs?: string): Promise<Posted | undefined> {
    try {
      return await this.post(channel, message, threadTs);
    } catch (error) {
      this.#log.warn('could not post to Slack', { channel, error: slackErrorCode(error) ?? String(error) });
      return undefined;
    }
  }

  /** Updates a message in place, trying again while Slack fails for a passing reason. */
  update(channel: string, ts: string, unsafe: SlackMessage): Promise<void> {
    return this.#update(channel, ts, () => unsafe);
  }

  /** chat.update with the message `draw` returns, masked, drawn again for each try. */
  async #update(
    channel: string,
    ts: string,
    draw: () => SlackMessage,
    superseded?: () => boolean,
  ): Promise<void> {
    await this.#withRetries(
      () => {
        const message = redactPayload(draw());
        return this.#client.chat.update({ channel, ts, text: message.text, blocks: message.blocks });
      },
      { retryUncertain: true, ...(superseded ? { superseded } : {}) },
    );
  }

  /**
   * Updates a message with whatever `draw` returns when the update is sent (drawn again for each
   * retry). Calls that arrive while an update is in flight collapse into one more update with the
   * latest state, which also replaces a retry still waiting. `outcome` hears whether Slack accepted
   * this drawing or refused it for good; an update that still fails after its retries is only logged
   * (the reconciler draws the message again later).
   */
  updateLatest(
    channel: string,
    ts: string,
    draw: () => SlackMessage,
    outcome: UpdateOutcome = {},
  ): Promise<void> {
    const key = `${channel}:${ts}`;
    const pending = this.#updates.get(key);
    if (pending !== undefined) {
      pending.next = { draw, outcome };
      return pending.running;
    }
    const entry: PendingUpdate = { running: Promise.resolve() };
    const run = async (job: { draw: () => SlackMessage; outcome: UpdateOutcome }): Promise<void> => {
      try {
        await this.#update(
          channel,
          ts,
          job.draw,
          () => job.outcome.once === true || entry.next !== undefined,
        );
        job.outcome.accepted?.();
      } catch (error) {
        const failure = slackFailure(error);
        if (!failure.transient) job.outcome.refused?.(failure.code);
        this.#log.warn(
          failure.transient
            ? 'could not update a Slack message; it will be tried again'
            : 'Slack refused an update of a message; it is not tried again until it changes',
          { channel, ts, error: failure.code },
        );
      }
      const next = entry.next;
      if (next === undefined) {
        // Removed in the same step that found no further update, so a later call starts a new entry.
        this.#updates.delete(key);
        return;
      }
      delete entry.next;
      await run(next);
    };
    // Registered before the first update starts, since a failure before its first await ends it at once.
    this.#updates.set(key, entry);
    entry.running = run({ draw, outcome });
    return entry.running;
  }

  /** Resolves when every coalesced update has been sent (used at shutdown and in tests). */
  async settle(): Promise<void> {
    while (this.#updates.size > 0)
      await Promise.all([...this.#updates.values()].map((entry) => entry.running));
  }

  async ephemeral(channel: string, user: string, unsafe: SlackMessage): Promise<void> {
    const message = redactPayload(unsafe);
    await this.#withRetries(
      () => this.#client.chat.postEphemeral({ channel, user, text: message.text, blocks: message.blocks }),
      { retryUncertain: false },
    );
  }

  /** Posts to a command's or action's response_url (works where the bot is not a member). */
  async respond(responseUrl: string, message: ResponseMessage): Promise<void> {
    const response = await request(responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(redactPayload(message)),
      signal: AbortSignal.timeout(10_000),
    });
    const body = await response.body.text();
    if (response.statusCode >= 300)
      throw new Error(`response_url answered HTTP ${response.statusCode}: ${body.slice(0, 100)}`);
  }

  async permalink(channel: string, ts: string): Promise<string | undefined> {
    try {
      return (await this.#client.chat.getPermalink({ channel, message_ts: ts })).permalink;
    } catch {
      return undefined;
    }
  }

  async openView(triggerId: string, view: ModalView): Promise<void> {
    await this.#client.views.open({ trigger_id: triggerId, view: redactPayload(view) });
  }

  async pushView(triggerId: string, view: ModalView): Promise<void> {
    await this.#client.views.push({ trigger_id: triggerId, view: redactPayload(view) });
  }

  async updateView(viewId: string, view: ModalView): Promise<void> {
    const safe = redactPayload(view);
    await this.#withRetries(() => this.#client.views.update({ view_id: viewId, view: safe }), {
      retryUncertain: true,
    });
  }

  async publishHome(userId: string, view: HomeView): Promise<void> {
    const safe = redactPayload(view);
    await this.#withRetries(() => this.#client.views.publish({ user_id: userId, view: safe }), {
      retryUncertain: true,
    });
  }

  /** Shares text files in a conversation (in a thread when given), masked like every message. */
  async uploadFiles(
    channel: string,
    comment: string,
    files: UploadedFile[],
    threadTs?: string,
  ): Promise<void> {
    const safe = redactPayload({ comment, files });
    await this.#client.filesUploadV2({
      channel_id: channel,
      ...(threadTs === undefined ? {} : { thread_ts: threadTs }),
      initial_comment: safe.comment,
      file_uploads: safe.files.map((file) => ({
        file: Buffer.from(file.content),
        filename: file.filename,
        title: file.title,
      })),
    });
  }

  /** A person's name and email (lower-cased) from their Slack profile, and whether they run the workspace. */
  async person(userId: string): Promise<{ name?: string; email?: string; admin: boolean }> {
    const result = await this.#client.users.info({ user: userId });
    const user = result.user;
    const name = user?.profile?.real_name || user?.real_name || user?.profile?.display_name || user?.name;
    const email = user?.profile?.email?.toLowerCase();
    return {
      ...(name ? { name } : {}),
      ...(email ? { email } : {}),
      admin: user?.is_admin === true || user?.is_owner === true,
    };
  }

  /** The email address on a person's Slack profile, lower-cased. */
  async userEmail(userId: string): Promise<string | undefined> {
    const result = await this.#client.users.info({ user: userId });
    return result.user?.profile?.email?.toLowerCase();
  }

  /** The members of a user group. */
  async groupMembers(userGroup: string): Promise<string[]> {
    const result = await this.#client.usergroups.users.list({ usergroup: userGroup });
    return result.users ?? [];
  }

  /**
   * The text of a file someone attached in Slack: `files.info` gives its private download URL, which
   * is read with the bot token. Capped, since a roster is small and a file can be anything.
   */
  async readFile(fileId: string): Promise<string> {
    const info = await this.#client.files.info({ file: fileId });
    const file = info.file;
    const url = file?.url_private_download ?? file?.url_private;
    if (!url) throw new Error('the file has no download URL');
    if ((file?.size ?? 0) > MAX_FILE_BYTES) throw new Error(FILE_TOO_LARGE);
    const response = await request(url, {
      headers: { authorization: `Bearer ${this.#botToken}` },
      signal: AbortSignal.timeout(15_000),
    });
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new Error(`Slack answered HTTP ${response.statusCode} for the file`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += (chunk as Buffer).length;
      if (size > MAX_FILE_BYTES) {
        response.body.destroy();
        throw new Error(FILE_TOO_LARGE);
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
  }
}
