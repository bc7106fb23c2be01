import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { ChatError } from '../errors';
import { addressKey } from './address-key';
import { WrongTokens, type Counter } from './wrong-tokens';

/** `points` actions per `seconds`, counted in a fixed window per key (rate-limiter-flexible's model). */
export interface LimitRule {
  points: number;
  seconds: number;
}

export interface RateLimitConfig {
  enabled: boolean;
  /** Public, private and room messages per user: a burst and a sustained rate, both must allow. */
  messagesBurst: LimitRule;
  messages: LimitRule;
  /** `typing` events per user. */
  typing: LimitRule;
  /** Login attempts (handshake or event) per client address. */
  loginsPerAddress: LimitRule;
  /** Wrong or unknown tokens per client address, and per name. */
  badTokensPerAddress: LimitRule;
  badTokensPerName: LimitRule;
  /** New Socket.IO connections per client address. */
  connectionsPerAddress: LimitRule;
  /**
   * Reads (`users`, `history`, `sync`, and the room and conversation lists: `rooms`, `members`, `conversations`)
   * per socket, and per client address: those of its sockets, logged in or not, and GET /api/users and
   * /api/messages.
   */
  readsPerSocket: LimitRule;
  readsPerAddress: LimitRule;
  /** Read marks (`read`) per user: sent while a conversation is open, so as often as messages arrive. */
  readMarks: LimitRule;
  /** Room changes per user: createRoom, joinRoom, leaveRoom, invite, removeMember. */
  roomChanges: LimitRule;
  /** block, unblock and report per user. */
  moderation: LimitRule;
  /** Live sockets per user (tabs and devices together). */
  socketsPerUser: number;
  /** Live connections per client address, on one node. */
  socketsPerAddress: number;
}

export type LimitKind =
  | 'messages'
  | 'typing'
  | 'readMarks'
  | 'roomChanges'
  | 'moderation'
  | 'loginsPerAddress'
  | 'connectionsPerAddress'
  | 'readsPerSocket'
  | 'readsPerAddress';

/** What a refusal by each kind says (a client may show it). */
const REFUSALS: Record<LimitKind, string> = {
  messages: 'You are sending too fast.',
  typing: 'Too many typing notices; slow down.',
  roomChanges: 'Too many room changes; slow down.',
  readMarks: 'Too many read marks; slow down.',
  moderation: 'Too many blocks or reports; slow down.',
  loginsPerAddress: 'Too many logins from this address; try again later.',
  connectionsPerAddress: 'Too many new connections from this address; try again later.',
  readsPerSocket: 'Too many reads on this connection; slow down.',
  readsPerAddress: 'Too many reads from this address; slow down.',
};

/** The kinds counted per client address: their key goes through addressKey (an IPv6 /64 is one client). */
const PER_ADDRESS: ReadonlySet<LimitKind> = new Set(['loginsPerAddress', 'connectionsPerAddress', 'readsPerAddress']);

/** One count to take: a kind and whose (a user id, a socket id or a client address). */
export type Count = [kind: LimitKind, key: string | number];

/**
 * The rate limits of one app (issue 11), on rate-limiter-flexible. In one process the counters live in memory;
 * given Redis (cluster mode), in Redis, so a limit holds per user and per address across all nodes, with a
 * per-node memory limiter standing in while Redis is unreachable (the library's insurance limiter). The Redis
 * connection must fail fast (no offline queue, a command timeout): a count that waits for Redis would hold up
 * the action it counts.
 *
 * Guarantee: a refusal never half-happens. `check` either lets the action through (and counts it) or throws
 * ChatError('rate_limited') carrying `retryAfterMs`, the time after which the same action would be allowed.
 */
export class RateLimits {
  private readonly limiters: Record<LimitKind, RateLimiterAbstract[]>;
  private readonly badPerAddress: RateLimiterAbstract;
  private readonly badPerName: RateLimiterAbstract;
  /** One point per name and address: an address's single attempt at a name whose budget is spent. */
  private readonly badPerNameAndAddress: RateLimiterAbstract;
  private readonly wrongTokens = new WrongTokens();

  constructor(
    readonly config: RateLimitConfig,
    redis?: Redis,
    prefix = 'chat:limit',
  ) {
    const make = (name: string, rule: LimitRule, local = false): RateLimiterAbstract => {
      const options = { keyPrefix: `${prefix}:${name}`, points: rule.points, duration: rule.seconds };
      if (!redis || local) return new RateLimiterMemory(options);
      // rejectIfRedisNotReady: while the connection is not ready, go to the insurance at once rather than
      // hand ioredis a command (the connection must not queue one either: cluster.ts, limitsRedis).
      return new RateLimiterRedis({ ...options, storeClient: redis, rejectIfRedisNotReady: true, insuranceLimiter: new RateLimiterMemory(options) });
    };
    this.limiters = {
      messages: [make('msg-burst', config.messagesBurst), make('msg', config.messages)],
      typing: [make('typing', config.typing)],
      roomChanges: [make('room-changes', config.roomChanges)],
      readMarks: [make('read-marks', config.readMarks)],
      moderation: [make('moderation', config.moderation)],
      loginsPerAddress: [make('login-addr', config.loginsPerAddress)],
      connectionsPerAddress: [make('conn-addr', config.connectionsPerAddress)],
      // In this process's memory even in a cluster: a socket lives on one node, so its count is exact there, and
      // keys that live as long as a socket would only churn Redis.
      readsPerSocket: [make('read-socket', config.readsPerSocket, true)],
      readsPerAddress: [make('read-addr', config.readsPerAddress)],
    };
    this.badPerAddress = make('badtoken-addr', config.badTokensPerAddress);
    this.badPerName = make('badtoken-name', config.badTokensPerName);
    this.badPerNameAndAddress = make('badtoken-name-addr', { points: 1, seconds: config.badTokensPerName.seconds });
  }

  /** Counts one action of `kind` by `key` (a user id or a client address), or throws `rate_limited`. */
  check(kind: LimitKind, key: string | number): Promise<void> {
    return this.checkAll([[kind, key]]);
  }

  /**
   * Counts one action against every count of `counts`, in order (a read against its socket, then its address),
   * or throws `rate_limited` naming the first that refused; the action then counts against none of them.
   */
  async checkAll(counts: Count[]): Promise<void> {
    if (!this.config.enabled) return;
    const taken: Array<{ limiter: RateLimiterAbstract; key: string }> = [];
    for (const [kind, key] of counts) {
      const counted = PER_ADDRESS.has(kind) ? addressKey(String(key)) : String(key);
      for (const limiter of this.limiters[kind]) {
        try {
          await limiter.consume(counted);
        } catch (err) {
          // Refused by a later rule (the sustained one after the burst, the address after the socket): the
          // action did not happen, so the earlier ones do not count it either. A refund that fails leaves one
          // point too many, no more.
          await Promise.all(taken.map((done) => done.limiter.reward(done.key, 1).catch(() => undefined)));
          throw refusal(err, REFUSALS[kind]);
        }
        taken.push({ limiter, key: counted });
      }
    }
  }

  /**
   * Runs `login`, which presents a token from `address` (for the name `key`, if it names one), within the
   * wrong-token limits of both (wrong-tokens.ts: counted before the token is checked, given back unless
   * `wrongToken(err)`). Throws `rate_limited` without running `login` when the address has had too many, or
   * when the name has and this address has guessed at it too: an address that never presented a wrong token for
   * the name still gets its attempt (issue 16: guessers spending a name's budget locked its owner out).
   */
  async countingWrongTokens<T>(address: string, key: string | undefined, login: () => Promise<T>, wrongToken: (err: unknown) => boolean): Promise<T> {
    if (!this.config.enabled) return login();
    const client = addressKey(address);
    const counters: Counter[] = [{ limiter: this.badPerAddress, key: client }];
    if (key !== undefined) {
      const overflow = { limiter: this.badPerNameAndAddress, key: `${key}\u0000${client}` };
      counters.push({ limiter: this.badPerName, key, overflow });
    }
    try {
      return await this.wrongTokens.run(counters, login, wrongToken);
    } catch (err) {
      throw err instanceof RateLimiterRes ? refusal(err, 'Too many wrong tokens; try again later.') : err;
    }
  }
}

function refusal(err: unknown, message: string): Error {
  // Not a refusal but a failing store (Redis down and no insurance): a real error, reported as such.
  if (!(err instanceof RateLimiterRes)) return err instanceof Error ? err : new Error(String(err));
  return rateLimited(message, err.msBeforeNext);
}

export function rateLimited(message: string, retryAfterMs: number): ChatError {
  return new ChatError('rate_limited', message, undefined, { retryAfterMs: Math.max(1, Math.ceil(retryAfterMs)) });
}
