/**
 * A fake of Slack's Socket Mode on loopback, for the real `@slack/socket-mode` client inside Bolt.
 * `apps.connections.open` on the fake Web API (called with the app-level token) answers a one-use
 * `ws://127.0.0.1:…/link/?ticket=…` URL; each connection is greeted with `hello`, then gets envelopes
 * (`slash_commands`, `interactive`, `events_api`) and must ack each one within Slack's 3 seconds. The fake
 * can ask the client to reconnect (`disconnect`) or drop the connection without a close frame.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import type { FakeSlack } from './slack-api.js';

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

export interface FakeConnection {
  /** 1 for the first connection the client opened, 2 for its first reconnect, … */
  number: number;
  socket: WebSocket;
  /** Set when the connection has closed: the close code (1006 when dropped without a close frame). */
  closedWith?: number;
}

export interface FakeEnvelope {
  envelopeId: string;
  type: EnvelopeType;
  payload: Record<string, unknown>;
  /** The connection it went out on. */
  connection: number;
  /** The ack's payload (`{}` for a bare ack), once it came. */
  ack?: Record<string, unknown>;
  /** Milliseconds from sending to the ack. */
  ackMs?: number;
}

/** How long Slack waits for an ack before it tells the user the app did not respond. */
export const ACK_TIMEOUT_MS = 3_000;

/** Envelope types whose ack may carry a response (a command's reply, a modal's errors). */
const ACCEPTS_RESPONSE_PAYLOAD = new Set(['slash_commands', 'view_submission', 'view_closed']);

export class FakeSocketMode {
  /** The app-level token `apps.connections.open` accepts. */
  readonly appToken: string;
  /** Every connection the client made, oldest first. */
  readonly connections: FakeConnection[] = [];
  /** Every envelope sent, oldest first. */
  readonly envelopes: FakeEnvelope[] = [];
  /** How often the client asked for a URL (its start, and every reconnect). */
  opens = 0;

  private readonly server: WebSocketServer;
  private readonly events = new EventEmitter();
  private readonly tickets = new Set<string>();
  private origin = '';

  constructor(
    private readonly slack: FakeSlack,
    options: { appToken?: string } = {},
  ) {
    this.appToken = options.appToken ?? 'xapp-1-A0FAKE-1-fake';
    this.events.setMaxListeners(0);
    this.server = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      // A ticket opens one connection: a client that reconnects must ask apps.connections.open again.
      verifyClient: ({ req }, done) => {
        const ticket = new URL(req.url ?? '/', this.origin).searchParams.get('ticket') ?? '';
        const valid = this.tickets.delete(ticket);
        done(valid, valid ? undefined : 401);
      },
    });
    this.server.on('connection', (socket) => this.accept(socket));
    slack.addMethod('apps.connections.open', this.appToken, () => {
      this.opens += 1;
      const ticket = randomBytes(16).toString('hex');
      this.tickets.add(ticket);
      return { ok: true, url: `${this.origin}/link/?ticket=${ticket}&app_id=${slack.appId}` };
    });
  }

  async listen(): Promise<void> {
    if (this.server.address() === null)
      await new Promise((resolve) => this.server.once('listening', resolve));
    this.origin = `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const { socket } of this.connections) socket.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The newest connection that is still open. */
  current(): FakeConnection | undefined {
    return this.connections.findLast((connection) => connection.closedWith === undefined);
  }

  /** Resolves once the client has made its `count`-th connection (and been greeted). */
  waitForConnection(count: number, timeoutMs = 15_000): Promise<FakeConnection> {
    return this.waitFor(
      () => (this.connections.length >= count ? this.connections[count - 1] : undefined),
      timeoutMs,
      () => `connection ${count} (${this.connections.length} so far)`,
    );
  }

  /**
   * Sends an envelope on the newest open connection and resolves with it once acked; rejects when there is
   * no connection (Slack answers `dispatch_failed` then) or no ack within `timeoutMs`.
   */
  async send(
    type: EnvelopeType,
    payload: Record<string, unknown>,
    timeoutMs = ACK_TIMEOUT_MS,
  ): Promise<FakeEnvelope> {
    const connection = this.current();
    if (connection === undefined) throw new Error('no Socket Mode connection is open (dispatch_failed)');
    const envelope: FakeEnvelope = { envelopeId: randomUUID(), type, payload, connection: connection.number };
    this.envelopes.push(envelope);
    const sentAt = performance.now();
    connection.socket.send(
      JSON.stringify({
        envelope_id: envelope.envelopeId,
        type,
        payload,
        accepts_response_payload: ACCEPTS_RESPONSE_PAYLOAD.has(
          type === 'interactive' ? String(payload.type) : type,
        ),
        ...(type === 'events_api' ? { retry_attempt: 0, retry_reason: '' } : {}),
      }),
    );
    await this.waitFor(
      () => envelope.ack !== undefined,
      timeoutMs,
      () => `the ack of ${type} ${String(payload.type ?? payload.command ?? '')}`,
    );
    envelope.ackMs = performance.now() - sentAt;
    return envelope;
  }

  /**
   * Tells the client on the newest connection to reconnect, as Slack does before it recycles a
   * connection; resolves when that connection has closed.
   */
  async disconnect(reason: 'refresh_requested' | 'warning' | 'link_disabled' = 'refresh_requested') {
    const connection = this.requireCurrent();
    connection.socket.send(
      JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-fake' } }),
    );
    await this.closed(connection);
  }

  /** Cuts the newest connection without a close frame (a network failure); resolves when it is gone. */
  async drop(): Promise<void> {
    const connection = this.requireCurrent();
    connection.socket.terminate();
    await this.closed(connection);
  }

  private accept(socket: WebSocket): void {
    const connection: FakeConnection = { number: this.connections.length + 1, socket };
    socket.on('message', (data) => {
      let message: { envelope_id?: unknown; payload?: unknown };
      try {
        message = JSON.parse(String(data));
      } catch {
        return; // Slack ignores what it cannot read; the missing ack then shows in the test.
      }
      const envelope = this.envelopes.find((candidate) => candidate.envelopeId === message.envelope_id);
      if (envelope === undefined || envelope.ack !== undefined) return;
      envelope.ack = (message.payload ?? {}) as Record<string, unknown>;
      this.events.emit('change');
    });
    socket.on('close', (code) => {
      connection.closedWith = code;
      this.events.emit('change');
    });
    this.connections.push(connection);
    socket.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.connections.filter((c) => c.closedWith === undefined).length,
        debug_info: { host: 'applink-fake', approximate_connection_time: 18_060 },
        connection_info: { app_id: this.slack.appId },
      }),
    );
    this.events.emit('change');
  }

  private requireCurrent(): FakeConnection {
    const connection = this.current();
    if (connection === undefined) throw new Error('no Socket Mode connection is open');
    return connection;
  }

  private closed(connection: FakeConnection): Promise<unknown> {
    return this.waitFor(
      () => connection.closedWith !== undefined,
      15_000,
      () => `connection ${connection.number} to close`,
    );
  }

  /** Resolves with `probe()` once it is truthy, re-checking on every change. */
  private waitFor<T>(probe: () => T | undefined | false, timeoutMs: number, what: () => string): Promise<T> {
    const found = probe();
    if (found !== undefined && found !== false) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = probe();
        if (value === undefined || value === false) return;
        clearTimeout(timer);
        this.events.off('change', check);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.events.off('change', check);
        reject(new Error(`Socket Mode: timed out after ${timeoutMs} ms waiting for ${what()}`));
      }, timeoutMs);
      this.events.on('change', check);
    });
  }
}

export async function startFakeSocketMode(
  slack: FakeSlack,
  options: { appToken?: string } = {},
): Promise<FakeSocketMode> {
  const fake = new FakeSocketMode(slack, options);
  await fake.listen();
  return fake;
}
