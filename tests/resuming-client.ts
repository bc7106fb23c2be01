/**
 * A client that follows the documented resume rule (docs/protocol.md, "The delivery guarantee"): it ignores
 * ids it already holds; after every (re)connect it logs in again and syncs from its cursor, the highest id it
 * held when the previous connection ended; while a connection is caught up, every id it receives moves the
 * cursor. It retries every send with the same clientId until it is acked.
 */
import { EventEmitter } from 'node:events';
import { io, type ManagerOptions, type SocketOptions } from 'socket.io-client';
import type { ErrorCode } from '../src/errors';
import type { Ack, ChatMessage } from '../src/protocol';
import { within, type Client } from './helpers';

export class ResumingClient {
  readonly socket: Client;
  /** Every message held, by id. */
  readonly held = new Map<number, ChatMessage>();
  /** Deliveries of an id already held (live, sync and ack overlapping), ignored as the protocol says. */
  ignored = 0;
  /**
   * Deliveries the protocol never makes: an id sent live twice on one connection, or twice within one resume's
   * sync pages. Any of these is a server bug (the overlaps above are not).
   */
  duplicates = 0;
  /** Sends the server refused for now (and that were retried after a wait). */
  refusals = 0;
  /** Ids received live on the current connection, and by the current resume's sync. */
  private liveHere = new Set<number>();
  private syncedHere = new Set<number>();
  resets = 0;
  connects = 0;
  private cursor = 0;
  private caughtUp = false;
  private token: string | undefined;
  private readonly changes = new EventEmitter();
  private ready: Promise<void>;
  private markReady!: () => void;

  /** `options` go to socket.io-client (e.g. `localAddress`, so that a proxy hashing addresses spreads clients). */
  constructor(url: string, readonly name: string, options: Partial<ManagerOptions & SocketOptions> = {}) {
    this.ready = new Promise((r) => (this.markReady = r));
    this.socket = io(url, {
      transports: ['websocket'],
      forceNew: true,
      reconnectionDelay: 50,
      reconnectionDelayMax: 250,
      randomizationFactor: 0,
      ...options,
    });
    this.socket.on('connect', () => void this.resume());
    this.socket.on('disconnect', () => {
      this.caughtUp = false; // the cursor stays where this connection left it
      this.ready = new Promise((r) => (this.markReady = r));
    });
    this.socket.on('allmessage', (m) => this.receive(m, this.liveHere));
    this.socket.on('privateMsg', (m) => this.receive(m, this.liveHere));
  }

  /** Resolves once the client is logged in and caught up (after the latest connect); rejects after `ms`. */
  whenReady(ms = READY_MS): Promise<void> {
    return within(this.ready, `${this.name} logged in and caught up`, ms);
  }

  /** Resolves once the client holds `count` messages (bounded by `ms`). */
  whenHolding(count: number, ms: number): Promise<void> {
    if (this.held.size >= count) return Promise.resolve();
    const reached = new Promise<void>((resolve) => {
      const check = () => {
        if (this.held.size < count) return;
        this.changes.off('held', check);
        resolve();
      };
      this.changes.on('held', check);
    });
    return within(reached, `${this.name} holding ${count} messages (holds ${this.held.size})`, ms);
  }

  /** Takes `message` in; `route` is the set of ids that came the same way (absent for acks). */
  private receive(message: ChatMessage, route?: Set<number>): void {
    if (route?.has(message.id)) this.duplicates++;
    route?.add(message.id);
    if (this.held.has(message.id)) {
      this.ignored++;
      return;
    }
    this.held.set(message.id, message);
    if (this.caughtUp) this.cursor = Math.max(this.cursor, message.id);
    this.changes.emit('held');
  }

  private async resume(): Promise<void> {
    this.connects++;
    this.liveHere = new Set();
    this.syncedHere = new Set();
    try {
      const login = await this.socket.timeout(2000).emitWithAck('login', { username: this.name, token: this.token });
      if (!login.ok) throw new Error(`${this.name}: login failed: ${login.error.code}`);
      this.token = login.token;
      let after = this.cursor;
      for (;;) {
        const res = await this.socket.timeout(2000).emitWithAck('sync', { after });
        if (!res.ok) throw new Error(`${this.name}: sync failed: ${res.error.code}`);
        if (res.reset) this.resets++;
        for (const m of res.messages) this.receive(m, this.syncedHere);
        if (!res.hasMore || res.messages.length === 0) break;
        after = res.messages[res.messages.length - 1].id;
      }
      if (!this.socket.connected) return;
      this.caughtUp = true;
      this.cursor = Math.max(this.cursor, ...this.held.keys());
      this.markReady();
    } catch {
      // The connection dropped mid-resume (or the server died): the next connect resumes again.
    }
  }

  /**
   * Sends until acked (bounded by `deadline`, epoch ms); resolves with the stored message. A refusal that may
   * pass later (`rate_limited`, `internal_error`, `not_logged_in` mid-resume) is retried with the same
   * clientId after the wait the server suggests (`retryAfterMs`), or else after a doubling back-off; any other
   * refusal is final.
   */
  async send(payload: { to?: string; text: string; clientId: string }, deadline: number): Promise<ChatMessage> {
    let backoff = RETRY_FIRST_MS;
    while (Date.now() < deadline) {
      await this.whenReady(Math.max(1, deadline - Date.now())).catch(() => undefined);
      if (!this.socket.connected) continue;
      let res: Ack<{ message: ChatMessage }>;
      try {
        res =
          payload.to === undefined
            ? await this.socket.timeout(1000).emitWithAck('sendMsg', { text: payload.text, clientId: payload.clientId })
            : await this.socket.timeout(1000).emitWithAck('privateMsg', { to: payload.to, text: payload.text, clientId: payload.clientId });
      } catch {
        continue; // no ack in time (that was a wait already): retry with the same clientId
      }
      if (res.ok) {
        this.receive(res.message);
        return res.message;
      }
      if (!RETRYABLE.includes(res.error.code)) throw new Error(`${this.name}: ${payload.clientId} refused: ${res.error.code}`);
      this.refusals++;
      await pause(Math.min(res.error.retryAfterMs ?? backoff, Math.max(0, deadline - Date.now())));
      backoff = Math.min(backoff * 2, RETRY_MAX_MS);
    }
    throw new Error(`${this.name}: ${payload.clientId} was never acked`);
  }

  close(): void {
    this.socket.disconnect();
  }
}

/** How long a client may take to log in and catch up after connecting (a cluster on a loaded machine is slow). */
const READY_MS = 20_000;

/** Refusals that may pass if the same send is tried again later. */
const RETRYABLE: ErrorCode[] = ['rate_limited', 'internal_error', 'not_logged_in'];
/** The back-off when the server suggests no wait: doubling from the first to the most. */
const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 1000;

/** Waits `ms` before a retry (the protocol's back-off, not a test's synchronisation). */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
