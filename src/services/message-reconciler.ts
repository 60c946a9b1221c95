import type { Logger } from '../log.js';
import type { SlackGateway } from '../slack/gateway.js';
import type { SlackMessage } from '../slack/views/blocks.js';
import type { MessageKind, MessageRef, SlackMessageRepository } from '../store/slack-messages.js';

/** A message drawn from the store; `accepted` runs once Slack has taken it. */
export interface Drawn {
  message: SlackMessage;
  accepted?: () => void;
}

/** Draws the message of one subject from the store; undefined when the subject is gone. */
export type Draw = (subjectId: string) => Drawn | undefined;

export interface MessageReconcilerDeps {
  messages: SlackMessageRepository;
  gateway: SlackGateway;
  log: Logger;
  now?: () => Date;
  /** How often messages that are behind are drawn again (10 s; tests pass less). */
  everyMs?: number;
}

export const RECONCILE_EVERY_MS = 10_000;

/**
 * Keeps every message the bot updates in place showing its stored state. Each state change raises the
 * revision the message should show before it is sent; Slack's acceptance records the revision it
 * shows. A pass, at start and every 10 s, draws again from the store every message that is behind, so
 * an update that failed (after the gateway's retries), or that a restart cut off, is made once Slack
 * answers again. A message Slack refuses for good is left alone until its state changes.
 */
export class MessageReconciler {
  readonly #deps: MessageReconcilerDeps;
  readonly #now: () => Date;
  readonly #draws = new Map<MessageKind, Draw>();
  #timer: NodeJS.Timeout | undefined;
  #pass: Promise<number> | undefined;

  constructor(deps: MessageReconcilerDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  /** How messages of `kind` are drawn (each service registers its own). */
  register(kind: MessageKind, draw: Draw): void {
    this.#draws.set(kind, draw);
  }

  /** A message was just posted with its subject's current state. */
  posted(ref: MessageRef): void {
    this.#deps.messages.posted(ref, this.#now().toISOString());
  }

  /**
   * The subject changed: the message is behind until Slack accepts it drawn again. `draw` replaces the
   * registered drawing for this send (a scan's live progress, which the store does not hold).
   */
  changed(ref: MessageRef, draw?: () => SlackMessage): Promise<void> {
    this.#deps.messages.changed(ref, this.#now().toISOString());
    return this.#send(ref, false, draw);
  }

  /** One pass over the messages that are behind; returns how many were sent. Passes do not overlap. */
  reconcile(): Promise<number> {
    if (this.#pass !== undefined) return this.#pass;
    this.#pass = this.#reconcile().finally(() => {
      this.#pass = undefined;
    });
    return this.#pass;
  }

  /** A pass now (after a restart, what was left behind), then one every interval. */
  start(): void {
    const pass = () => {
      void this.reconcile().catch((error: unknown) =>
        this.#deps.log.error('could not bring messages up to date', { error }),
      );
    };
    this.#timer = setInterval(pass, this.#deps.everyMs ?? RECONCILE_EVERY_MS);
    this.#timer.unref();
    pass();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#pass?.catch(() => undefined);
  }

  async #reconcile(): Promise<number> {
    const behind = this.#deps.messages.behind();
    for (const message of behind) await this.#send(message, true);
    if (behind.length > 0) this.#deps.log.info('messages brought up to date', { count: behind.length });
    return behind.length;
  }

  /** Draws the message at its current revision and sends it; Slack's answer is recorded. */
  #send(ref: MessageRef, once = false, override?: () => SlackMessage): Promise<void> {
    const { messages, gateway, log } = this.#deps;
    const registered = this.#draws.get(ref.kind);
    if (registered === undefined) return Promise.resolve();
    const draw: Draw = override === undefined ? registered : () => ({ message: override() });
    let revision = 0;
    let drawn: Drawn | undefined;
    return gateway.updateLatest(
      ref.channelId,
      ref.ts,
      () => {
        revision = messages.wanted(ref.channelId, ref.ts);
        drawn = draw(ref.subjectId);
        if (drawn === undefined) {
          messages.forget(ref.channelId, ref.ts);
          throw new SubjectGone();
        }
        return drawn.message;
      },
      {
        once,
        accepted: () => {
          messages.accepted(ref.channelId, ref.ts, revision, this.#now().toISOString());
          drawn?.accepted?.();
        },
        refused: (code) => {
          if (code === SUBJECT_GONE) return;
          messages.refused(ref.channelId, ref.ts, revision, code, this.#now().toISOString());
          log.warn('Slack refused a message for good; it is left as it is', {
            kind: ref.kind,
            channel: ref.channelId,
            ts: ref.ts,
            error: code,
          });
        },
      },
    );
  }
}

const SUBJECT_GONE = 'the message has nothing left to show';

class SubjectGone extends Error {
  constructor() {
    super(SUBJECT_GONE);
  }
}
