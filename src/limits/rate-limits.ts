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
  /** Room changes per user: createRoom, joinRoom, leaveRoom, invite, removeMember. */
  roomChanges: LimitRule;
  /** Reads of lists and read marks per user: rooms, members, conversations, a room's history, read. */
  queries: LimitRule;
  /** block, unblock and report per user. */
  moderation: LimitRule;
  /** Live sockets per user (tabs and devices together). */
  socketsPerUser: number;
}

export type LimitKind = 'messages' | 'typing' | 'roomChanges' | 'queries' | 'moderation' | 'loginsPerAddress' | 'connectionsPerAddress';

/** What a refusal by each kind says (a client may show it). */
const REFUSALS: Record<LimitKind, string> = {
  messages: 'You are sending too fast.',
  typing: 'Too many typing notices; slow down.',
  roomChanges: 'Too many room changes; slow down.',
  queries: 'Too many requests; slow down.',
  moderation: 'Too many blocks or reports; slow down.',
  loginsPerAddress: 'Too many logins from this address; try again later.',
  connectionsPerAddress: 'Too many new connections from this address; try again later.',
};

/** The kinds counted per client address: their key goes through addressKey (an IPv6 /64 is one client). */
const PER_ADDRESS: ReadonlySet<LimitKind> = new Set(['loginsPerAddress', 'connectionsPerAddress']);

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
  private readonly wrongTokens = new WrongTokens();

  constructor(
    readonly config: RateLimitConfig,
    redis?: Redis,
    prefix = 'chat:limit',
  ) {
    const make = (name: string, rule: LimitRule): RateLimiterAbstract => {
      const options = { keyPrefix: `${prefix}:${name}`, points: rule.points, duration: rule.seconds };
      if (!redis) return new RateLimiterMemory(options);
      // rejectIfRedisNotReady: while the connection is not ready, go to the insurance at once rather than
      // hand ioredis a command (the connection must not queue one either: cluster.ts, limitsRedis).
      return new RateLimiterRedis({ ...options, storeClient: redis, rejectIfRedisNotReady: true, insuranceLimiter: new RateLimiterMemory(options) });
    };
    this.limiters = {
      messages: [make('msg-burst', config.messagesBurst), make('msg', config.messages)],
      typing: [make('typing', config.typing)],
      roomChanges: [make('room-changes', config.roomChanges)],
      queries: [make('queries', config.queries)],
      moderation: [make('moderation', config.moderation)],
      loginsPerAddress: [make('login-addr', config.loginsPerAddress)],
      connectionsPerAddress: [make('conn-addr', config.connectionsPerAddress)],
    };
    this.badPerAddress = make('badtoken-addr', config.badTokensPerAddress);
    this.badPerName = make('badtoken-name', config.badTokensPerName);
  }

  /** Counts one action of `kind` by `key` (a user id or a client address), or throws `rate_limited`. */
  async check(kind: LimitKind, key: string | number): Promise<void> {
    if (!this.config.enabled) return;
    const counted = PER_ADDRESS.has(kind) ? addressKey(String(key)) : String(key);
    const taken: RateLimiterAbstract[] = [];
    for (const limiter of this.limiters[kind]) {
      try {
        await limiter.consume(counted);
      } catch (err) {
        // Refused by a later rule (the sustained one after the burst): the action did not happen, so the
        // earlier rules do not count it either. A refund that fails leaves one point too many, no more.
        await Promise.all(taken.map((done) => done.reward(counted, 1).catch(() => undefined)));
        throw refusal(err, REFUSALS[kind]);
      }
      taken.push(limiter);
    }
  }

  /**
   * Runs `login`, which presents a token from `address` (for the name `key`, if it names one), within the
   * wrong-token limits of both (wrong-tokens.ts: counted before the token is checked, given back unless
   * `wrongToken(err)`). Throws `rate_limited` without running `login` when the address, or then the name, has
   * had too many.
   */
  async countingWrongTokens<T>(address: string, key: string | undefined, login: () => Promise<T>, wrongToken: (err: unknown) => boolean): Promise<T> {
    if (!this.config.enabled) return login();
    const counters: Counter[] = [{ limiter: this.badPerAddress, key: addressKey(address) }];
    if (key !== undefined) counters.push({ limiter: this.badPerName, key });
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
