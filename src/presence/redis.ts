import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { legacyKey } from '../names';
import type { Presence, PresenceTransition, PresenceUser } from './presence';
import { RedisLink, type Log, type Reply } from './redis-link';

export interface RedisPresenceOptions {
  /** A connection to copy (it is `duplicate()`d: this registry never uses or closes the caller's), or a URL. */
  redis: Redis | string;
  /** This process's identity, unique among live nodes and stable across a restart if possible (see node-id.ts). */
  nodeId: string;
  /** Prefix of every key; use a hash tag (`{presence}:`) to keep them in one slot on Redis Cluster. */
  prefix?: string;
  /** How often the node pushes its deadline forward. */
  heartbeatMs?: number;
  /** A node whose heartbeat is older than this is dead: its sockets are removed and its users reported. */
  nodeTtlMs?: number;
  /** How often each node looks for dead nodes. */
  reapEveryMs?: number;
  /** After a data loss, how long announcements wait for the nodes that were alive to come back. */
  recoveryMs?: number;
  /** How long add/remove and the reads wait for Redis before answering from this node's own knowledge. */
  opTimeoutMs?: number;
  /** How long `start` waits for Redis before it gives up (or, with `redisOptional`, goes on without it). */
  startTimeoutMs?: number;
  /**
   * Start without Redis if it does not answer within startTimeoutMs: the registry answers from this node's
   * sockets (as during any outage) and writes them to Redis once it is reachable (issue 16: a node must serve
   * messages, which never needed Redis, while Redis is down).
   */
  redisOptional?: boolean;
  log?: Log;
}

/** What the registry tells about itself, for logs, metrics and tests. */
export interface RedisPresenceEvents {
  /** This node's sockets were written to Redis (start, reconnect, after a data loss or being reaped). */
  sync: [changes: PresenceTransition[]];
  /** The connection was lost: add/remove answer false and reads come from this node's sockets until `sync`. */
  down: [];
  /** This node removed the sockets of dead node `nodeId`. */
  reaped: [nodeId: string, changes: PresenceTransition[]];
}

export const REDIS_PRESENCE_DEFAULTS = {
  prefix: 'presence:',
  heartbeatMs: 5_000,
  nodeTtlMs: 15_000,
  reapEveryMs: 5_000,
  opTimeoutMs: 2_000,
  startTimeoutMs: 10_000,
};

/**
 * Presence for a cluster of nodes sharing one Redis (7 or newer; with `maxmemory-policy noeviction`).
 *
 * Model: each node keeps its sockets in its own hash; a count per user, and a sorted set of online users,
 * change only inside Lua scripts, so each 0↔1 change of a count is one script's result, reported once: to
 * the caller of add/remove (their `true`), or through onExternalChange when a reaper, a resync or the end
 * of a recovery window made it. Nodes heartbeat a deadline (Redis's clock); every node reaps expired ones.
 *
 * Outages: every node keeps its own sockets in memory (the mirror). While Redis is unreachable, add/remove
 * update the mirror and resolve false at once (the cluster-wide answer is unknown; nothing is announced),
 * and reads answer from this node's sockets. When the connection is ready again, one script replaces what
 * Redis holds for this node by the mirror and reports the transitions that made. Calls are never queued
 * or resent by ioredis: a call whose reply was lost with the connection is "lost", and the resync reads the
 * transitions it had reported (kept in Redis under its sequence number) and reports them if they still hold.
 *
 * Data loss (Redis restarted empty): the first node back finds no epoch and opens a recovery window; until
 * every node it knew is back (or `recoveryMs`), transitions are deferred. Each returning node claims the
 * users it knows were announced online (its sockets Redis had confirmed), so that when the window closes
 * exactly the real changes are reported: users whose sockets all went during the outage go offline, users
 * who came during it come online, the rest stay as announced.
 *
 * Limits, all written down where they happen: a node that comes back after the window is treated as new
 * (its users may be announced online again); a node that died while Redis lost its data is not there to
 * claim, so its users' offline is never announced (lists read afterwards are right); a lost reply whose
 * user another node changed meanwhile is dropped rather than reported out of order. Sorting is by the
 * UTF-8 bytes of the key (code point order), which differs from JavaScript's `<` only above U+FFFF.
 */
export class RedisPresence implements Presence {
  readonly events = new EventEmitter<RedisPresenceEvents>();
  readonly nodeId: string;
  private readonly link: RedisLink;
  private readonly prefix: string;
  private readonly keys: string[];
  private readonly settings: Required<Omit<RedisPresenceOptions, 'redis' | 'nodeId' | 'log' | 'prefix' | 'redisOptional'>>;
  private readonly log: Log;
  /** This node's sockets as the app sees them: what Redis is brought back to after an outage. */
  private readonly mirror = new Map<string, PresenceUser>();
  /** This node's sockets that Redis confirmed holding: after a data loss, whose online was announced. */
  private held = new Map<string, PresenceUser>();
  private epoch = '';
  private peers: string[] = [];
  private syncing = false;
  private syncAgain = false;
  private lastSyncSeq = 0;
  private reaping: Promise<unknown> | undefined;
  private readonly listeners = new Set<(changes: PresenceTransition[]) => void>();
  private buffered: PresenceTransition[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private closing: Promise<void> | undefined;
  private crashed = false;
  private markSynced: () => void = () => undefined;
  private readonly synced = new Promise<void>((resolve) => (this.markSynced = resolve));

  /**
   * Connects, removes what a predecessor with the same nodeId left, and registers the node. Without an answer
   * from Redis within startTimeoutMs it fails, or with `redisOptional` resolves all the same: the first sync
   * (the same cleanup and registration) runs whenever Redis answers.
   */
  static async start(options: RedisPresenceOptions): Promise<RedisPresence> {
    const presence = new RedisPresence(options);
    presence.link.conn.connect().catch(() => undefined); // ioredis keeps retrying; 'ready' runs the first sync
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(resolve, presence.settings.startTimeoutMs, false)));
    const ok = await Promise.race([presence.synced.then(() => true), timeout]);
    clearTimeout(timer);
    if (ok) return presence;
    if (options.redisOptional) {
      presence.log.warn({ node: presence.nodeId }, 'presence: starting without Redis; answering from this node until it is reachable');
      return presence;
    }
    await presence.close();
    throw new Error(`presence: Redis did not answer within ${presence.settings.startTimeoutMs} ms`);
  }

  private constructor(options: RedisPresenceOptions) {
    const nodeTtlMs = options.nodeTtlMs ?? REDIS_PRESENCE_DEFAULTS.nodeTtlMs;
    this.settings = {
      heartbeatMs: options.heartbeatMs ?? REDIS_PRESENCE_DEFAULTS.heartbeatMs,
      nodeTtlMs,
      reapEveryMs: options.reapEveryMs ?? REDIS_PRESENCE_DEFAULTS.reapEveryMs,
      recoveryMs: options.recoveryMs ?? nodeTtlMs,
      opTimeoutMs: options.opTimeoutMs ?? REDIS_PRESENCE_DEFAULTS.opTimeoutMs,
      startTimeoutMs: options.startTimeoutMs ?? REDIS_PRESENCE_DEFAULTS.startTimeoutMs,
    };
    for (const [name, value] of Object.entries(this.settings)) {
      if (!Number.isInteger(value) || value <= 0) throw new TypeError(`presence: ${name} must be a positive integer`);
    }
    if (this.settings.heartbeatMs >= nodeTtlMs) throw new TypeError('presence: heartbeatMs must be below nodeTtlMs');
    if (!options.nodeId) throw new TypeError('presence: nodeId is required');
    this.nodeId = options.nodeId;
    this.prefix = options.prefix ?? REDIS_PRESENCE_DEFAULTS.prefix;
    const p = this.prefix;
    this.keys = [`${p}nodes`, `${p}epoch`, `${p}counts`, `${p}users`, `${p}online`, `${p}pending`, `${p}expected`, `${p}node:${this.nodeId}`, `${p}tx:${this.nodeId}`];
    this.log = options.log ?? pino({ level: 'silent' });

    this.link = new RedisLink(options.redis, this.settings.opTimeoutMs, this.log, this.nodeId, {
      ready: () => this.onReady(),
      down: () => this.onDown(),
    });

    this.timers.push(setInterval(() => void this.heartbeat(), this.settings.heartbeatMs).unref());
    this.timers.push(setInterval(() => void (this.reaping ?? this.reapNow()), this.settings.reapEveryMs).unref());
  }

  async add(user: PresenceUser, socketId: string): Promise<boolean> {
    this.assertOpen();
    if (user.key.includes('\0')) throw new TypeError('presence: a key cannot contain NUL');
    this.mirror.set(socketId, user);
    if (!this.link.connected) return false; // the next sync writes it and reports what it changes
    const member = encode(user);
    const result = await this.link.call(
      (seq, floor) => this.link.conn.presenceAdd([...this.keys, this.nodeId, this.epoch, seq, floor, socketId, user.id, member]),
      (reply, seq, late) => {
        if (reply === -1) return this.outdated(seq);
        this.held.set(socketId, user);
        if (reply === 1 && late) this.emit([{ user, online: true }]);
      },
    );
    return result === 1;
  }

  async remove(user: PresenceUser, socketId: string): Promise<boolean> {
    this.assertOpen();
    if (this.mirror.get(socketId)?.id !== user.id) return false;
    this.mirror.delete(socketId);
    if (!this.link.connected) return false;
    const result = await this.link.call(
      (seq, floor) => this.link.conn.presenceRemove([...this.keys, this.nodeId, this.epoch, seq, floor, socketId, user.id]),
      (reply, seq, late) => {
        if (reply === -1) return this.outdated(seq);
        this.held.delete(socketId);
        if (reply === 1 && late) this.emit([{ user, online: false }]);
      },
    );
    return result === 1;
  }

  async isOnline(userId: number): Promise<boolean> {
    const found = await this.link.read(() => this.link.conn.hexists(this.keys[2], String(userId)));
    return found === undefined ? this.localUsers().some((u) => u.id === userId) : found === 1;
  }

  async onlineAmong(userIds: number[]): Promise<Set<number>> {
    if (userIds.length === 0) return new Set();
    const counts = await this.link.read(() => this.link.conn.hmget(this.keys[2], ...userIds.map(String)));
    if (counts === undefined) {
      const local = new Set(this.localUsers().map((u) => u.id));
      return new Set(userIds.filter((id) => local.has(id)));
    }
    return new Set(userIds.filter((_, i) => counts[i] !== null));
  }

  async socketCount(userId: number): Promise<number> {
    const count = await this.link.read(() => this.link.conn.hget(this.keys[2], String(userId)));
    if (count === undefined) return this.localSockets(userId);
    return count === null ? 0 : Number(count);
  }

  async online(limit?: number): Promise<string[]> {
    if (limit !== undefined && limit <= 0) return [];
    const members = await this.link.read(() => this.link.conn.zrange(this.keys[4], 0, limit === undefined ? -1 : limit - 1));
    if (members !== undefined) return members.map((m) => decode(m).name);
    const local = this.localUsers().sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return local.slice(0, limit).map((u) => u.name);
  }

  async onlineCount(): Promise<number> {
    return (await this.link.read(() => this.link.conn.zcard(this.keys[4]))) ?? this.localUsers().length;
  }

  onExternalChange(listener: (changes: PresenceTransition[]) => void): () => void {
    this.listeners.add(listener);
    if (this.buffered.length > 0) {
      // Found before anyone listened (a predecessor's users, at start): the first listener gets them.
      const early = this.buffered;
      this.buffered = [];
      queueMicrotask(() => this.emit(early));
    }
    return () => void this.listeners.delete(listener);
  }

  /** Graceful: stops the timers, removes this node's sockets from Redis if it is reachable, and disconnects. */
  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  /** Dies like a killed process: no leaving, no more heartbeats (for tests and failure drills). */
  crash(): void {
    this.crashed = true;
    this.closing ??= Promise.resolve();
    for (const timer of this.timers) clearInterval(timer);
    this.link.conn.disconnect();
  }

  /**
   * One reaper pass (the timer runs one every reapEveryMs): reaps nodes whose deadline passed and ends a
   * recovery window that is due. Starts after a pass in progress, so its result covers everything before
   * the call. Resolves with the transitions it reported through onExternalChange.
   */
  reapNow(): Promise<PresenceTransition[]> {
    const pass = (this.reaping ?? Promise.resolve()).then(() => this.reapPass());
    const tail = pass.then(
      () => undefined,
      () => undefined,
    );
    this.reaping = tail;
    void tail.then(() => {
      if (this.reaping === tail) this.reaping = undefined;
    });
    return pass;
  }

  private async reapPass(): Promise<PresenceTransition[]> {
    const changes: PresenceTransition[] = [];
    if (!this.link.connected) return changes;
    const scan = await this.link.read(() => this.link.conn.presenceScan(this.keys.slice(0, 2)));
    if (!scan) return changes;
    const [now, recovering, ...flat] = scan.map(String);
    const peers: string[] = [];
    const dead: string[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      peers.push(flat[i]);
      if (flat[i] !== this.nodeId && Number(flat[i + 1]) <= Number(now)) dead.push(flat[i]);
    }
    this.peers = peers;
    const apply = (reply: Reply, seq: number, what: string): PresenceTransition[] => {
      const [status, ...rest] = reply;
      if (status === -1) {
        this.outdated(seq);
        return [];
      }
      const found = decodeChanges(rest);
      changes.push(...found);
      this.emit(found);
      if (found.length > 0) this.log.info({ node: this.nodeId, what, changes: found.length }, 'presence: reported transitions');
      return found;
    };
    for (const id of dead) {
      const deadKeys = [`${this.prefix}node:${id}`, `${this.prefix}tx:${id}`];
      await this.link.call(
        (seq, floor) => this.link.conn.presenceReap([...this.keys, ...deadKeys, this.nodeId, this.epoch, seq, floor, id]),
        (reply, seq) => {
          const found = apply(reply, seq, `reaped ${id}`);
          if (reply[0] === 1) this.events.emit('reaped', id, found);
        },
      );
    }
    if (recovering === '1') {
      await this.link.call(
        (seq, floor) => this.link.conn.presenceSettle([...this.keys, this.nodeId, this.epoch, seq, floor]),
        (reply, seq) => void apply(reply, seq, 'recovery window ended'),
      );
    }
    return changes;
  }

  private async heartbeat(): Promise<void> {
    if (!this.link.connected) return;
    if (this.link.lost.length > 0 && !this.syncing) {
      await this.resync(); // a call failed while connected: what it did is only known to Redis
      return;
    }
    await this.link.call(
      (seq, floor) => this.link.conn.presenceHeartbeat([...this.keys, this.nodeId, this.epoch, seq, floor, this.settings.nodeTtlMs]),
      (reply, seq) => {
        if (reply === -1) this.outdated(seq);
      },
    );
  }

  private onReady(): void {
    if (!this.closing) this.resync();
  }

  private onDown(): void {
    if (!this.closing) {
      this.log.warn({ node: this.nodeId, lost: this.link.lost.length }, 'presence: Redis connection lost; answering from this node until it is back');
      this.events.emit('down');
    }
  }

  /** A call answered -1: this node is not registered in the current data set. Resync, unless one sent since covers it. */
  private outdated(seq: number): void {
    if (seq > this.lastSyncSeq) this.resync();
  }

  /** Writes the mirror to Redis (see RESYNC); with `leave`, removes this node instead. */
  private resync(leave = false): Promise<unknown> {
    // Once closing, only the leaving sync goes out: a late one would register the node again.
    if (!this.link.connected || (this.closing && !leave)) return Promise.resolve();
    if (this.syncing && !leave) {
      this.syncAgain = true;
      return Promise.resolve();
    }
    this.syncing = true;
    this.syncAgain = false;
    const snapshot = leave ? new Map<string, PresenceUser>() : new Map(this.mirror);
    const lost = this.link.lost;
    const claims = new Map([...this.held.values()].map((u) => [u.id, u]));
    const args: Array<string | number> = [randomBytes(8).toString('hex'), this.settings.nodeTtlMs, this.settings.recoveryMs, leave ? 1 : 0];
    args.push(lost.length, ...lost, this.peers.length, ...this.peers, claims.size);
    for (const u of claims.values()) args.push(u.id, encode(u));
    for (const [socketId, u] of snapshot) args.push(socketId, u.id, encode(u));
    return this.link.call(
      (seq, floor) => {
        this.lastSyncSeq = seq;
        return this.link.conn.presenceResync([...this.keys, this.nodeId, this.epoch, seq, floor, ...args]);
      },
      (reply) => {
        this.syncing = false;
        const [epoch, ...rest] = reply;
        const changes = decodeChanges(rest);
        this.epoch = String(epoch);
        this.held = snapshot;
        this.link.recovered(lost);
        this.emit(changes);
        this.log.info({ node: this.nodeId, sockets: snapshot.size, changes: changes.length, leave }, 'presence: synced with Redis');
        this.events.emit('sync', changes);
        this.markSynced();
        if (this.syncAgain && !leave) this.resync();
      },
      () => {
        this.syncing = false;
      },
    );
  }

  private localSockets(userId: number): number {
    let n = 0;
    for (const user of this.mirror.values()) if (user.id === userId) n++;
    return n;
  }

  private localUsers(): PresenceUser[] {
    return [...new Map([...this.mirror.values()].map((u) => [u.id, u])).values()];
  }

  private emit(changes: PresenceTransition[]): void {
    if (changes.length === 0 || this.crashed) return;
    if (this.listeners.size === 0) {
      this.buffered.push(...changes);
      return;
    }
    for (const listener of [...this.listeners]) {
      try {
        listener(changes);
      } catch (err) {
        this.log.error({ err, node: this.nodeId }, 'presence: an onExternalChange listener threw');
      }
    }
  }

  private assertOpen(): void {
    if (this.closing) throw new Error('presence: used after close()');
  }

  private async shutdown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    if (this.link.connected) await this.resync(true);
    await this.link.quit();
  }
}

/**
 * A user as a member of the `online` sorted set: members with equal scores sort by their bytes, so the member
 * starts with what lists sort by (names.ts, `sortByName`: the case- and width-insensitive name, then the name).
 * No part can hold a NUL: names cannot, so neither can their keys.
 */
function encode(user: PresenceUser): string {
  return `${legacyKey(user.name)}\0${user.name}\0${user.key}\0${user.id}`;
}

function decode(member: string): PresenceUser {
  const [, name, key, id] = member.split('\0');
  return { id: Number(id), key, name };
}

function decodeChanges(flat: Array<string | number>): PresenceTransition[] {
  const changes: PresenceTransition[] = [];
  for (let i = 0; i < flat.length; i += 2) changes.push({ user: decode(String(flat[i + 1])), online: Number(flat[i]) === 1 });
  return changes;
}
