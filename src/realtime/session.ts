import { ChatError } from '../errors';
import type { SessionUser } from '../protocol';
import type { Device } from '../store/store';
import { sessionRoom, unprovenRoom, userRoom, type ChatSocket, type Services } from './context';
import { confirmDelivered } from './delivery';
import { trackDeliveries } from './delivery-tracker';
import { isRoomRoom, roomRoom } from './memberships';
import type { SerialQueue } from './serial-queue';

/** How long after connecting a socket's events that need a login may wait for one (issue 9). */
export const PRE_LOGIN_WAIT_MS = 5000;
/** How many such events may wait; more are refused with `not_logged_in` at once. */
export const PRE_LOGIN_MAX_EVENTS = 32;
/**
 * A socket whose events are refused `rate_limited` this many times within ABUSE_WINDOW_MS, by any limit (its
 * queue, messages, typing, logins, wrong tokens), is disconnected (issue 11).
 */
export const ABUSE_REFUSALS = 30;
export const ABUSE_WINDOW_MS = 60_000;

/**
 * The login state of one socket: which user it acts as, its membership in that user's room, its presence,
 * and the tracking of what it received. `begin` and `end` are the only ways in and out, so these always
 * change together.
 *
 * It also holds the events that arrived before the socket's first login. Socket.IO clients send what they
 * buffered while disconnected before their `connect` handler runs, and the tutorial's client logs in from that
 * handler, so a message written offline reaches the server just ahead of the login that makes it valid. Such
 * events wait (at most PRE_LOGIN_WAIT_MS after connecting, at most PRE_LOGIN_MAX_EVENTS of them) and run, in
 * order, right after the login; if none comes in time they are answered `not_logged_in` as before.
 */
export class Session {
  private stopTracking: (() => void) | undefined;
  private readonly waiting: Array<() => Promise<void>> = [];
  private readonly waitUntil: number;
  private everLoggedIn = false;
  private expiry: NodeJS.Timeout | undefined;
  /** When this socket was last refused `rate_limited` (performance.now() values, oldest first). */
  private readonly refusals: number[] = [];

  constructor(
    readonly socket: ChatSocket,
    private readonly services: Services,
    /** The socket's event queue: what waited runs through it, so order with later events is kept. */
    private readonly queue: SerialQueue,
  ) {
    // A bound on how long the connection may hold events, not a time of the chat's clock.
    this.waitUntil = performance.now() + services.preLoginWaitMs;
  }

  get user(): SessionUser | undefined {
    return this.socket.data.user;
  }

  /**
   * Binds the socket to `user`; resolves true when the user just came online. `unproven`: it joined a
   * provisional name without the token, and ends when the owner secures the name (sign-in.ts).
   */
  async begin(user: SessionUser, { unproven = false } = {}): Promise<boolean> {
    const { presence, log } = this.services;
    this.everLoggedIn = true;
    this.socket.data.user = user;
    // The user's rooms from this node's map, in the same tick: member entries from the feed move the sockets
    // of `userRoom` from now on (delivery.ts), so no entry falls between the two. `unproven`: see unprovenRoom.
    const rooms = [...this.services.memberships.roomsOf(user.id)].map(roomRoom);
    this.socket.join([userRoom(user.id), ...(unproven ? [unprovenRoom(user.id)] : []), ...rooms]);
    this.stopTracking = trackDeliveries(this.socket, user.key, (ids) => {
      confirmDelivered(this.services, user.id, ids).catch((err) => log.error({ err, socket: this.socket.id }, 'marking delivered failed'));
    });
    return presence.add(user, this.socket.id);
  }

  /**
   * Puts the logged-in socket in the room of the stored session (the device) it logged in with, and records the
   * login on it; refused `unauthorized`, and the socket logged out, when that session has ended meanwhile.
   * `undefined`: a login without a session of its own (a tutorial login joining a held name, or JWT mode).
   */
  async device(sessionId: string | undefined, device: Device): Promise<void> {
    const previous = this.socket.data.sessionId;
    if (previous !== undefined && previous !== sessionId) this.socket.leave(sessionRoom(previous));
    this.socket.data.sessionId = sessionId;
    if (sessionId === undefined) return;
    this.socket.join(sessionRoom(sessionId));
    const { store, now } = this.services;
    if (await store.useSession(sessionId, now(), device)) return;
    await this.end({ seen: true });
    throw new ChatError('session_ended', 'This session was ended (signed out from another device). Sign in again.');
  }

  /**
   * Detaches the socket from its user (logout or disconnect); resolves true when that was the user's last
   * socket. `seen` records the user as seen now (unless released: see ChatStore.seenUsers), and its session.
   */
  async end({ seen }: { seen: boolean }): Promise<{ user: SessionUser; wentOffline: boolean } | undefined> {
    const user = this.socket.data.user;
    this.waiting.length = 0;
    clearTimeout(this.expiry);
    if (!user) return undefined;
    const { presence, presenceFeed, store, now } = this.services;
    const sessionId = this.socket.data.sessionId;
    this.socket.data.sessionId = undefined;
    if (sessionId !== undefined) this.socket.leave(sessionRoom(sessionId));
    this.socket.data.user = undefined;
    this.stopTracking?.();
    this.stopTracking = undefined;
    this.socket.leave(userRoom(user.id));
    for (const room of [...this.socket.rooms]) if (isRoomRoom(room)) this.socket.leave(room);
    this.socket.leave(unprovenRoom(user.id));
    const wentOffline = await presence.remove(user, this.socket.id);
    if (wentOffline) presenceFeed.changed(user, false);
    if (seen) await store.seenUsers([user.id], now());
    if (seen && sessionId !== undefined) await store.seenSessions([sessionId], now());
    return { user, wentOffline };
  }

  /**
   * Records a `rate_limited` refusal; true when the socket keeps pushing against its limits (ABUSE_REFUSALS
   * within ABUSE_WINDOW_MS) and should be cut off rather than answered forever.
   */
  refused(): boolean {
    const now = performance.now();
    this.refusals.push(now);
    while (this.refusals.length > 0 && this.refusals[0] < now - ABUSE_WINDOW_MS) this.refusals.shift();
    return this.refusals.length >= ABUSE_REFUSALS;
  }

  /** Calls `onExpiry` at `at` (epoch ms) unless the session ends or is renewed first (JWT expiry). */
  expireAt(at: number, onExpiry: () => void): void {
    clearTimeout(this.expiry);
    // setTimeout cannot wait longer than 2^31-1 ms; re-arm until the time has come.
    const wait = Math.min(Math.max(0, at - this.services.now()), 2 ** 31 - 1);
    this.expiry = setTimeout(() => (this.services.now() >= at ? onExpiry() : this.expireAt(at, onExpiry)), wait);
    this.expiry.unref();
  }

  /**
   * Sets `task` (an event that needs a login) aside until the first login, if this socket may still wait for
   * one; returns false when it may not (the caller then runs it, and it is refused as `not_logged_in`).
   */
  park(task: () => Promise<void>): boolean {
    if (this.everLoggedIn || this.waiting.length >= PRE_LOGIN_MAX_EVENTS || performance.now() >= this.waitUntil) {
      return false;
    }
    if (this.waiting.length === 0) {
      // If no login comes in time, what waits runs anyway (and is refused), in order, through the queue.
      setTimeout(() => this.queue.pushAlways(() => this.releaseParked()), this.waitUntil - performance.now()).unref();
    }
    this.waiting.push(task);
    return true;
  }

  /** Runs what waited for the login, in arrival order (after a login, or when the wait is over). */
  async releaseParked(): Promise<void> {
    this.everLoggedIn = this.everLoggedIn || this.user !== undefined;
    for (const task of this.waiting.splice(0)) await task();
  }
}
