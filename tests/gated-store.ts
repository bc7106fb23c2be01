/**
 * A wrapper (around a store, a presence registry…) that can hold chosen calls at a gate until the test opens
 * it, to force an interleaving that otherwise depends on timing (two logins reading before either writes; a
 * socket leaving mid-login).
 */
import type { ChatStore } from '../src/store/store';
import { within } from './helpers';

export interface Gate {
  /** Resolves once `count` matching calls are waiting at the gate (rejects after the usual bounded wait). */
  arrived(count?: number): Promise<void>;
  /**
   * Lets the waiting calls (and every later matching call) through, in arrival order. Resolves once the calls
   * that were waiting have finished (answered or failed), for a test that must not race their effects.
   */
  open(): Promise<void>;
}

export function gatedStore(inner: ChatStore): { store: ChatStore; gate(method: keyof ChatStore, match: (...args: any[]) => boolean): Gate } {
  const { target, gate } = gated(inner);
  return { store: target, gate };
}

export function gated<T extends object>(inner: T): { target: T; gate(method: keyof T, match: (...args: any[]) => boolean): Gate } {
  const gates: Array<{ method: string; match: (...args: any[]) => boolean; waiting: Array<() => Promise<unknown>>; opened: boolean; onArrive: () => void }> = [];
  const target = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const gate = gates.find((g) => g.method === prop && !g.opened && g.match(...args));
        if (!gate) return value.apply(target, args);
        return new Promise((resolve) => {
          gate.waiting.push(() => {
            let result: Promise<unknown>;
            try {
              result = Promise.resolve(value.apply(target, args));
            } catch (err) {
              result = Promise.reject(err);
            }
            resolve(result);
            return result;
          });
          gate.onArrive();
        });
      };
    },
  });
  return {
    target,
    gate(method, match) {
      const entry = { method: String(method), match, waiting: [] as Array<() => Promise<unknown>>, opened: false, onArrive: (): void => undefined };
      gates.push(entry);
      return {
        arrived: (count = 1) =>
          within(
            new Promise<void>((resolve) => {
              const check = () => entry.waiting.length >= count && resolve();
              entry.onArrive = check;
              check();
            }),
            `${count} call(s) of ${String(method)} at the gate`,
          ),
        async open() {
          entry.opened = true;
          const released = entry.waiting.splice(0).map((release) => release());
          await Promise.allSettled(released);
        },
      };
    },
  };
}
