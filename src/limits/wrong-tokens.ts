import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { Tally } from './tally';

/** One counter an attempt is counted on: a limiter and the key in it. */
export interface Counter {
  limiter: RateLimiterAbstract;
  key: string;
  /**
   * Where an attempt goes when this counter is full, rather than being refused; it also records every wrong
   * token counted here. For a name: the attempt of one address (a counter of one point per name and address),
   * so that a spent name budget refuses only the addresses that have already guessed at the name (issue 16).
   */
  overflow?: Counter;
}

/**
 * The wait suggested to an attempt refused while this node has attempts in flight on the counter: those may be
 * right tokens that hand their points back in a moment, so the refusal may not outlast them.
 */
export const IN_FLIGHT_RETRY_MS = 1000;

/**
 * Counts logins that present a token against wrong-token counters (per address, per name), so that parallel
 * guesses cannot all pass a check that none of them has been counted against yet (issue 11).
 *
 * A counter may have an overflow (the per-name counter does): once it is full, an attempt is counted there
 * instead, and refused only if that one is full too. Every wrong token counted on the main counter is also
 * recorded on its overflow. So a name whose budget guessers have spent still lets in each address that never
 * presented a wrong token for it, once: the owner with the right token is never locked out by other addresses'
 * guesses, and the tokens checked against a name stay at most its budget plus one per address (each address
 * being held to its own budget besides).
 *
 * Guarantee: at most `points` tokens per window are ever *checked* against a counter, whichever node and
 * socket they come from: a point is taken, atomically, before the token is checked (rate-limiter-flexible's
 * `consume`, one Lua script in Redis), and given back afterwards unless the token was wrong; a refused attempt
 * is not counted either. So a counter holds the wrong tokens of its window plus the attempts being checked.
 *
 * The cost: right tokens in flight hold points for the few milliseconds their check takes, so an attempt
 * that comes while a counter is full of them is refused too. It is then told to retry after at most
 * IN_FLIGHT_RETRY_MS (when this node has attempts in flight on that counter) rather than after the window:
 * a large NAT whose users all reconnect at once, each with a token, is slowed by a second, not locked out.
 */
export class WrongTokens {
  /** Attempts of this node holding a point on a counter, per counter. */
  private readonly inFlight = new Tally<string>();

  /**
   * Runs `login` counted on `counters` (in order; a later one is only counted if the earlier ones allow).
   * Resolves or rejects as `login` does; rejects with the refusing counter's RateLimiterRes, without running
   * `login`, when one is full (or with the store's error when a counter cannot be read).
   */
  async run<T>(counters: Counter[], login: () => Promise<T>, wrongToken: (err: unknown) => boolean): Promise<T> {
    const taken: Counter[] = [];
    let keep = false;
    try {
      for (const counter of counters) {
        const counted = await this.take(counter);
        taken.push(counted);
        this.inFlight.add(idOf(counted));
      }
      try {
        return await login();
      } catch (err) {
        keep = wrongToken(err); // a wrong token's points stay counted
        throw err;
      }
    } finally {
      for (const counter of taken) {
        // A refund that fails (Redis gone) leaves the point counted: at worst one attempt too many is remembered.
        if (!keep) await counter.limiter.reward(counter.key, 1).catch(() => undefined);
        // A wrong token counted on a budget marks its address as one that guessed (see overflow).
        else if (counter.overflow) await counter.overflow.limiter.penalty(counter.overflow.key, 1).catch(() => undefined);
        this.inFlight.remove(idOf(counter));
      }
    }
  }

  /** Takes a point on `counter`, or on its overflow when it is full; resolves with the counter counted on. */
  private async take(counter: Counter): Promise<Counter> {
    const { limiter, key } = counter;
    try {
      await limiter.consume(key);
      return counter;
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      // A refused consume still counted its point: give it back, the attempt never ran.
      await limiter.reward(key, 1).catch(() => undefined);
      if (counter.overflow) return this.take(counter.overflow);
      if (this.inFlight.count(idOf(counter)) === 0) throw err;
      throw new RateLimiterRes(err.remainingPoints, Math.min(err.msBeforeNext, IN_FLIGHT_RETRY_MS), err.consumedPoints, err.isFirstInDuration);
    }
  }
}

const idOf = ({ limiter, key }: Counter) => `${limiter.keyPrefix}\u0000${key}`;
