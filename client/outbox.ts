/**
 * Messages written on this client that the server has not acknowledged yet. Each has a clientId, chosen once
 * and sent with every attempt, so the server stores it once however often it is sent (docs/protocol.md,
 * `clientId`). Nothing is lost while the connection is down: entries wait, and go out in the order they were
 * written once the client is logged in again. With a persistent store they also survive a page reload or a
 * restart: kept per user, they are sent when that user is signed in again.
 *
 * Sending: at most MAX_IN_FLIGHT at once. A refusal that may pass (`rate_limited`, no answer, a server error,
 * `not_logged_in`) holds every entry back, for the server's `retryAfterMs` when it gives one, else for a
 * back-off that doubles up to MAX_BACKOFF_MS; then they go out one at a time until the outbox is empty, so a
 * long outbox costs about one refusal per limit window, never the burst of refusals that makes the server cut a
 * connection off. Any other refusal (`invalid_message`, `unknown_user`…) is final: the entry stays, `failed`,
 * until `retry` or `discard`.
 */
import { newClientId, saveEntries, storedEntries, type Target } from './outbox-entries.js';
import { failure, type ClientError, type Result } from './request.js';
import type { KeyValueStore } from './storage.js';
import type { WireMessage } from './wire.js';

export type { Target } from './outbox-entries.js';

/** `queued`: waiting for the connection or its turn; `waiting`: held back until `retryAt`; `failed`: refused for good. */
export type OutboxState = 'queued' | 'sending' | 'waiting' | 'failed';

export interface OutboxEntry {
  readonly clientId: string;
  readonly target: Target;
  readonly text: string;
  readonly createdAt: number;
  readonly state: OutboxState;
  /** Epoch ms, while `waiting`. */
  readonly retryAt?: number;
  /** Why it `failed`; while `waiting`, the refusal that holds the outbox back (`rate_limited`, `no_answer`…). */
  readonly error?: ClientError;
}

export type SendResult = Result<{ message: WireMessage }>;

export interface OutboxHooks {
  /** One attempt: the send event for `target` with this text and clientId, resolving with its ack. */
  attempt(target: Target, text: string, clientId: string): Promise<SendResult>;
  /** Connected and logged in: sends may go out. */
  ready(): boolean;
  /** The server stored it: `message` as acknowledged. */
  sent(message: WireMessage, clientId: string): void;
  changed(entries: readonly OutboxEntry[]): void;
}

const MAX_IN_FLIGHT = 4;
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 10_000;
/** Added to the server's retryAfterMs, so that the next try does not land a hair before the limit's window ends. */
const RETRY_MARGIN_MS = 100;
const TRANSIENT = new Set<string>(['rate_limited', 'no_answer', 'not_connected', 'internal_error', 'not_logged_in']);

interface Item extends OutboxEntry {
  state: OutboxState;
  retryAt?: number;
  error?: ClientError;
  /** Bumped by every attempt, and when an attempt is abandoned: a late answer of an older one is ignored. */
  turn: number;
  settle?: (result: SendResult) => void;
}

export class Outbox {
  private items: Item[] = [];
  private owner: string | undefined;
  private window = MAX_IN_FLIGHT;
  private failures = 0;
  private heldUntil = 0;
  /** The refusal that made the current hold (the entries `waiting` carry it as their `error`). */
  private heldBecause: ClientError | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly hooks: OutboxHooks,
    private readonly store: KeyValueStore,
  ) {}

  entries(): readonly OutboxEntry[] {
    return this.items.map(({ turn: _turn, settle: _settle, ...entry }) => entry);
  }

  /** Queues a message; resolves once the server stored it, or with the refusal that made it `failed`. */
  add(target: Target, text: string, clientId = newClientId()): Promise<SendResult> {
    return new Promise((settle) => {
      this.items.push({ clientId, target, text, createdAt: Date.now(), state: 'queued', turn: 0, settle });
      this.saved();
      this.changed(); // reported also when it cannot go yet (offline): the application shows it as waiting
      this.pump();
    });
  }

  /**
   * The user `key` is signed in: their entries kept in the store join the outbox (those written before the
   * sign-in become theirs). Entries of another user are dropped (`discarded`), never sent as this one.
   */
  signedIn(key: string): void {
    if (this.owner !== undefined && this.owner !== key) this.drop('discarded', false);
    this.owner = key;
    for (const entry of storedEntries(this.store, key)) {
      if (!this.items.some((item) => item.clientId === entry.clientId)) this.items.push({ ...entry, state: 'queued', turn: 0 });
    }
    this.saved();
    this.changed();
    this.pump();
  }

  /** Sends what may go now: connected, not held back, within the window, oldest first. */
  pump(): void {
    if (!this.hooks.ready() || Date.now() < this.heldUntil) return;
    let inFlight = this.items.filter((item) => item.state === 'sending').length;
    for (const item of this.items) {
      if (inFlight >= this.window) break;
      if (item.state !== 'queued' && item.state !== 'waiting') continue;
      void this.send(item);
      inFlight++;
    }
  }

  /** The connection dropped: sends in flight get no answer; they go again, same clientId, once logged in. */
  suspend(): void {
    for (const item of this.items) {
      if (item.state !== 'sending') continue;
      item.turn++;
      item.state = 'queued';
    }
    this.changed();
  }

  retry(clientId: string): boolean {
    const item = this.items.find((i) => i.clientId === clientId && i.state === 'failed');
    if (!item) return false;
    item.state = 'queued';
    item.error = undefined;
    this.changed();
    this.pump();
    return true;
  }

  discard(clientId: string): boolean {
    const item = this.items.find((i) => i.clientId === clientId);
    if (!item || item.state === 'sending') return false;
    this.remove(item);
    item.settle?.(failure('discarded', 'The message was discarded before it was sent.'));
    return true;
  }

  /**
   * Empties the outbox, answering every waiting `send` with `code`. `forget` also drops what the store keeps
   * for the user (log out); without it a later client of the same user sends them (close).
   */
  drop(code: 'discarded' | 'closed', forget: boolean): void {
    const items = this.items;
    this.items = [];
    for (const item of items) {
      item.turn++;
      item.settle?.(failure(code, code === 'closed' ? 'The client was closed before the message was sent.' : 'The message was discarded before it was sent.'));
    }
    if (forget) this.saved();
    clearTimeout(this.timer);
    this.heldUntil = 0;
    this.window = MAX_IN_FLIGHT;
    this.changed();
  }

  private async send(item: Item): Promise<void> {
    item.state = 'sending';
    item.retryAt = undefined;
    item.error = undefined;
    const turn = ++item.turn;
    this.changed();
    const res = await this.hooks.attempt(item.target, item.text, item.clientId);
    if (turn !== item.turn || !this.items.includes(item)) return; // abandoned (disconnect, discard) meanwhile
    if (res.ok) {
      this.failures = 0;
      this.remove(item);
      if (!this.items.some((i) => i.state !== 'failed')) this.window = MAX_IN_FLIGHT;
      this.hooks.sent(res.message, item.clientId);
      item.settle?.(res);
    } else if (TRANSIENT.has(res.error.code)) {
      item.state = 'queued';
      const wait = res.error.retryAfterMs;
      this.holdBack(wait !== undefined ? wait + RETRY_MARGIN_MS : Math.min(FIRST_BACKOFF_MS * 2 ** this.failures++, MAX_BACKOFF_MS), res.error);
    } else {
      item.state = 'failed';
      item.error = res.error;
      this.changed();
      item.settle?.(res);
    }
    this.pump();
  }

  /**
   * Holds every entry back for `ms`, then sends again one at a time: a message refused for now must not be
   * overtaken by the next, since the server stores a sender's messages in the order they arrive.
   */
  private holdBack(ms: number, reason: ClientError): void {
    const until = Date.now() + ms;
    this.window = 1;
    if (until > this.heldUntil) {
      this.heldUntil = until;
      this.heldBecause = reason;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.heldUntil = 0;
        for (const item of this.items) {
          if (item.state !== 'waiting') continue;
          item.state = 'queued';
          item.error = undefined;
        }
        this.changed();
        this.pump();
      }, ms);
    }
    for (const item of this.items) {
      if (item.state !== 'queued') continue;
      item.state = 'waiting';
      item.retryAt = this.heldUntil;
      item.error = this.heldBecause;
    }
    this.changed();
  }

  private remove(item: Item): void {
    this.items = this.items.filter((i) => i !== item);
    this.saved();
    this.changed();
  }

  /** Writes the user's entries to the store (nothing before a user is known: they are saved at sign-in). */
  private saved(): void {
    if (this.owner !== undefined) saveEntries(this.store, this.owner, this.items);
  }

  private changed(): void {
    this.hooks.changed(this.entries());
  }
}
