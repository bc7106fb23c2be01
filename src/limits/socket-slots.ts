import type { Presence } from '../presence/presence';
import { rateLimited, type RateLimitConfig } from './rate-limits';
import { Tally } from './tally';

/** A socket's claim on one of its user's MAX_SOCKETS_PER_USER places, until presence counts the socket. */
export interface Slot {
  /** Ends the reservation (idempotent): the socket is in presence now, or will never be. */
  release(): void;
}

/** What a refusal by the socket cap suggests as a wait: sockets close when tabs do, not on a schedule. */
export const SOCKET_CAP_RETRY_MS = 10_000;

const NO_SLOT: Slot = { release: () => undefined };

/**
 * Live sockets per user (MAX_SOCKETS_PER_USER). A socket reserves a slot before it is bound to its user
 * (Session.begin, which adds it to presence), and releases it once bound or gone.
 *
 * Guarantee: on one node the cap is exact. Reservations of one user are decided one at a time (a per-user
 * lock), each counting the user's sockets in presence plus the reservations not yet in presence, so two tabs
 * connecting at once cannot both take the last place. A socket being bound may be counted twice for a moment
 * (reserved and in presence), which can only refuse, never admit, one too many.
 *
 * In a cluster, each node decides against the shared presence count with its own lock: sockets of one user
 * connecting at the same instant on k different nodes can exceed the cap by at most k − 1.
 */
export class SocketSlots {
  /** Reservations of this node not yet counted by presence, per user. */
  private readonly reserved = new Tally<number>();
  /** The tail of each user's chain of reservation decisions. */
  private readonly locks = new Map<number, Promise<void>>();

  constructor(
    private readonly presence: Presence,
    private readonly config: Pick<RateLimitConfig, 'enabled' | 'socketsPerUser'>,
  ) {}

  /** A slot for one more socket of `userId`, or throws `rate_limited` when the user has every place taken. */
  async reserve(userId: number): Promise<Slot> {
    if (!this.config.enabled) return NO_SLOT;
    const before = this.locks.get(userId) ?? Promise.resolve();
    let unlock!: () => void;
    const decided = new Promise<void>((resolve) => (unlock = resolve));
    const mine = before.then(() => decided);
    this.locks.set(userId, mine);
    await before;
    try {
      const max = this.config.socketsPerUser;
      const taken = (await this.presence.socketCount(userId)) + this.reserved.count(userId);
      if (taken >= max) throw rateLimited(`This user already has ${max} connections; close one first.`, SOCKET_CAP_RETRY_MS);
      this.reserved.add(userId);
    } finally {
      unlock();
      if (this.locks.get(userId) === mine) this.locks.delete(userId);
    }
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.reserved.remove(userId);
      },
    };
  }
}
