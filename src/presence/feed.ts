import type { Logger } from 'pino';
import type { ChatServer } from '../realtime/context';
import type { Metrics } from '../metrics';
import type { Presence } from './presence';

/** How long presence changes are gathered at least before they are announced together. */
export const PRESENCE_WINDOW_MS = 100;
/** The window grows with the audience (0.1 ms per connection, so 1 s at 10,000) up to this. */
export const MAX_PRESENCE_WINDOW_MS = 2000;
/** Users whose last announced state a node remembers (the least recently announced are forgotten first). */
const TOLD_MAX = 100_000;

/** A user some node saw change: who to look at again, and the names to show (issue 21: handle and display name). */
export interface PresenceHint {
  id: number;
  name: string;
  displayName: string;
}

/**
 * Announces users coming online and going offline, coalesced: changes within one window go out as a single
 * `presence { users, ts }` event and at most one `msg1` join and one leave notice, however many users
 * changed. Without this a burst of N logins (a server restart, a class starting) costs N² frames. The window
 * scales with the number of connections, so a reconnect storm of 10,000 costs about 20 frames per socket
 * (measured: announcing every 100 ms took 35 of the 55 s that 10,000 logins needed). A user who comes and
 * goes within one window is not announced at all.
 *
 * Guarantee (issue 16): every observer ends with the state the registry holds, whatever order the nodes'
 * announcements arrive in. A node does not announce what it saw; it tells every node (itself included)
 * *which* users changed, and each node then reads their state from the registry and tells its own sockets
 * what differs from what it last told them. The last hint about a user is read after the user's last change,
 * so it reads the final state; a hint overtaken by a later change re-reads the newer state (and says nothing
 * if it is what the sockets were told). The answers of `users` and the login come from the same registry.
 * (Announcing what each node saw let node A's "u offline", decided first but sent after node B's "u online",
 * leave observers with u offline while `users` said online.)
 */
export class PresenceFeed {
  /** id → the user's names, and its state before the window and now, for users that changed in this window. */
  private readonly pending = new Map<number, { name: string; displayName: string; before: boolean; now: boolean }>();
  /** What this node last told its sockets of each user. */
  private readonly told = new Map<number, boolean>();
  private applying: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly io: ChatServer,
    private readonly presence: Pick<Presence, 'onlineAmong'>,
    private readonly options: {
      metrics: Metrics;
      log: Pick<Logger, 'error'>;
      now: () => number;
      /** Cluster mode: the hints go to every node (Socket.IO's server-side emit through the adapter). */
      clustered: boolean;
      /** A fixed window (tests); by default it follows the audience. */
      fixedWindowMs?: number;
    },
  ) {}

  private windowMs(): number {
    if (this.options.fixedWindowMs !== undefined) return this.options.fixedWindowMs;
    const scaled = this.io.engine.clientsCount * 0.1;
    return Math.min(MAX_PRESENCE_WINDOW_MS, Math.max(PRESENCE_WINDOW_MS, scaled));
  }

  changed(user: PresenceHint, online: boolean): void {
    if (this.stopped) return; // shutting down: every connection is going away anyway
    const entry = this.pending.get(user.id);
    if (entry) Object.assign(entry, { now: online, name: user.name, displayName: user.displayName });
    else this.pending.set(user.id, { name: user.name, displayName: user.displayName, before: !online, now: online });
    this.timer ??= setTimeout(() => this.flush(), this.windowMs()).unref();
  }

  /** Tells every node which users changed in this window (also used on shutdown). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const hints: PresenceHint[] = [];
    for (const [id, { name, displayName, before, now }] of this.pending) if (before !== now) hints.push({ id, name, displayName });
    this.pending.clear();
    if (hints.length === 0) return;
    if (this.options.clustered) this.io.serverSideEmit('presenceChanged', hints);
    void this.apply(hints);
  }

  /**
   * Announces to this node's sockets the registry's state of `hints`' users, where it differs from what they
   * were told; one batch at a time, in the order they came.
   */
  apply(hints: PresenceHint[]): Promise<void> {
    this.applying = this.applying
      .then(() => this.announce(hints))
      .catch((err: unknown) => this.options.log.error({ err }, 'announcing presence failed'));
    return this.applying;
  }

  stop(): void {
    this.stopped = true;
    this.pending.clear();
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async announce(hints: PresenceHint[]): Promise<void> {
    if (this.stopped) return;
    const online = await this.presence.onlineAmong(hints.map((h) => h.id));
    const users: Array<{ name: string; displayName: string; online: boolean }> = [];
    for (const { id, name, displayName } of hints) {
      const state = online.has(id);
      if (this.told.get(id) === state) continue;
      this.remember(id, state);
      users.push({ name, displayName, online: state });
    }
    if (users.length === 0 || this.stopped) return;
    const ts = this.options.now();
    this.io.local.emit('presence', { users, ts });
    this.options.metrics.eventsOut.inc({ event: 'presence' });
    const joined = users.filter((u) => u.online).map((u) => u.name);
    const left = users.filter((u) => !u.online).map((u) => u.name);
    if (joined.length > 0) this.notice('join', joined, ts);
    if (left.length > 0) this.notice('leave', left, ts);
  }

  private remember(id: number, state: boolean): void {
    this.told.delete(id); // re-inserted last: the map's order is the order of last announcement
    this.told.set(id, state);
    if (this.told.size > TOLD_MAX) this.told.delete(this.told.keys().next().value!);
  }

  private notice(type: 'join' | 'leave', names: string[], ts: number): void {
    this.io.local.emit('msg1', { type, names, text: `${listNames(names)} ${type === 'join' ? 'joined' : 'left'}`, ts });
    this.options.metrics.eventsOut.inc({ event: 'msg1' });
  }
}

/** "alice", "alice and bob", "alice, bob and carol", "alice, bob, carol and 7 others". */
export function listNames(names: string[]): string {
  if (names.length === 1) return names[0];
  if (names.length <= 3) return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  return `${names.slice(0, 3).join(', ')} and ${names.length - 3} others`;
}
