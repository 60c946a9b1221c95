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

const MAX_FILE_BYTES = 5 * 1024 * 1024;
const FILE_TOO_LARGE = 'the file is larger than a Klaviyo roster can be (5 MB)';

/**
 * The only door to Slack. Every call the bot makes goes through here, and every payload is masked on
 * the way out: messages (posted, updated in place, ephemeral, to a response URL), views, file uploads.
 * Updates of one message are coalesced, so the last state always wins and a burst of clicks costs one
 * update. The Web API client is private to it; the client retries 429 answers after Retry-After.
 */
export class SlackGateway {
  readonly #client: WebClient;
  readonly #botToken: string;
  readonly #log: Logger;
  readonly #updates = new Map<string, { running: Promise<void>; next?: () => SlackMessage }>();

  constructor(client: WebClient, options: { botToken: string; log: Logger }) {
    this.#client = client;
    this.#botToken = options.botToken;
    this.#log = options.log;
  }

  async post(channel: string, unsafe: SlackMessage, threadTs?: string): Promise<Posted> {
    const message = redactPayload(unsafe);
    const result = await this.#client.chat.postMessage({
      channel,
      text: message.text,
      blocks: message.blocks,
      unfurl_links: false,
      unfurl_media: false,
      ...(threadTs === undefined ? {} : { thread_ts: threadTs }),
    });
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

  async update(channel: string, ts: string, unsafe: SlackMessage): Promise<void> {
    const message = redactPayload(unsafe);
    await this.#client.chat.update({ channel, ts, text: message.text, blocks: message.blocks });
  }

  /**
   * Updates a message with whatever `render` returns when the update is sent. Calls that arrive while
   * an update is in flight collapse into one more update with the latest state.
   */
  updateLatest(channel: string, ts: string, render: () => SlackMessage): Promise<void> {
    const key = `${channel}:${ts}`;
    const pending = this.#updates.get(key);
    if (pending !== undefined) {
      pending.next = render;
      return pending.running;
    }
    const entry: { running: Promise<void>; next?: () => SlackMessage } = { running: Promise.resolve() };
    const run = async (draw: () => SlackMessage): Promise<void> => {
      try {
        await this.update(channel, ts, draw());
      } catch (error) {
        this.#log.warn('could not update a Slack message', {
          channel,
          ts,
          error: slackErrorCode(error) ?? String(error),
        });
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
    entry.running = run(render);
    return entry.running;
  }

  /** Resolves when every coalesced update has been sent (used at shutdown and in tests). */
  async settle(): Promise<void> {
    while (this.#updates.size > 0)
      await Promise.all([...this.#updates.values()].map((entry) => entry.running));
  }

  async ephemeral(channel: string, user: string, unsafe: SlackMessage): Promise<void> {
    const message = redactPayload(unsafe);
    await this.#client.chat.postEphemeral({ channel, user, text: message.text, blocks: message.blocks });
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
    await this.#client.views.update({ view_id: viewId, view: redactPayload(view) });
  }

  async publishHome(userId: string, view: HomeView): Promise<void> {
    await this.#client.views.publish({ user_id: userId, view: redactPayload(view) });
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
