import type { ChatServer } from '../realtime/context';
import type { Metrics } from '../metrics';
import type { Person } from '../protocol';

/** How long presence changes are gathered at least before they are announced together. */
export const PRESENCE_WINDOW_MS = 100;
/** The window grows with the audience (0.1 ms per connection, so 1 s at 10,000) up to this. */
export const MAX_PRESENCE_WINDOW_MS = 2000;

/**
 * Announces users coming online and going offline, coalesced: changes within one window go out as a single
 * `presence { users, ts }` event and at most one `msg1` join and one leave notice, however many users
 * changed. Without this a burst of N logins (a server restart, a class starting) costs N² frames. The window
 * scales with the number of connections, so a reconnect storm of 10,000 costs about 20 frames per socket
 * (measured: announcing every 100 ms took 35 of the 55 s that 10,000 logins needed). A user who comes and
 * goes within one window is not announced at all.
 */
export class PresenceFeed {
  /** name → [state before the window, state now] for users that changed in this window, and their display name. */
  private readonly pending = new Map<string, { before: boolean; now: boolean; displayName: string }>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly io: ChatServer,
    private readonly metrics: Metrics,
    private readonly now: () => number,
    /** A fixed window (tests); by default it follows the audience. */
    private readonly fixedWindowMs?: number,
  ) {}

  private windowMs(): number {
    if (this.fixedWindowMs !== undefined) return this.fixedWindowMs;
    const scaled = this.io.engine.clientsCount * 0.1;
    return Math.min(MAX_PRESENCE_WINDOW_MS, Math.max(PRESENCE_WINDOW_MS, scaled));
  }

  changed({ name, displayName }: Person, online: boolean): void {
    if (this.stopped) return; // shutting down: every connection is going away anyway
    const entry = this.pending.get(name);
    if (entry) Object.assign(entry, { now: online, displayName });
    else this.pending.set(name, { before: !online, now: online, displayName });
    this.timer ??= setTimeout(() => this.flush(), this.windowMs()).unref();
  }

  /** Announces what is pending now (also used on shutdown). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const users: Array<Person & { online: boolean }> = [];
    for (const [name, { before, now, displayName }] of this.pending) if (before !== now) users.push({ name, displayName, online: now });
    this.pending.clear();
    if (users.length === 0) return;
    const ts = this.now();
    this.io.emit('presence', { users, ts });
    this.metrics.eventsOut.inc({ event: 'presence' });
    const joined = users.filter((u) => u.online).map((u) => u.name);
    const left = users.filter((u) => !u.online).map((u) => u.name);
    if (joined.length > 0) this.notice('join', joined, ts);
    if (left.length > 0) this.notice('leave', left, ts);
  }

  stop(): void {
    this.stopped = true;
    this.pending.clear();
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private notice(type: 'join' | 'leave', names: string[], ts: number): void {
    this.io.emit('msg1', { type, names, text: `${listNames(names)} ${type === 'join' ? 'joined' : 'left'}`, ts });
    this.metrics.eventsOut.inc({ event: 'msg1' });
  }
}

/** "alice", "alice and bob", "alice, bob and carol", "alice, bob, carol and 7 others". */
export function listNames(names: string[]): string {
  if (names.length === 1) return names[0];
  if (names.length <= 3) return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  return `${names.slice(0, 3).join(', ')} and ${names.length - 3} others`;
}
