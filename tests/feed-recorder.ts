/** Records what a store's commit feed tells, and lets a test await a state of it (bounded by a timeout). */
import type { ChatStore, Committed, CommittedMessage } from '../src/store/store';

/** The chat messages among what a feed told (the other entries are membership changes). */
export function messagesOf(heard: readonly Committed[]): CommittedMessage[] {
  return heard.filter((c): c is CommittedMessage => c.kind === 'message');
}

export interface FeedRecorder {
  heard: Committed[];
  ids(): number[];
  /** Resolves once `check` holds for what was heard; rejects after `timeoutMs` saying what was heard. */
  until(check: (heard: Committed[]) => boolean, timeoutMs?: number): Promise<void>;
  stop(): void;
}

export function recordFeed(store: ChatStore, label: string): FeedRecorder {
  const heard: Committed[] = [];
  const waiting = new Set<() => void>();
  const stop = store.onCommitted((committed) => {
    heard.push(committed);
    for (const wake of waiting) wake();
  });
  return {
    heard,
    ids: () => heard.map((c) => c.id),
    stop,
    until: (check, timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        const wake = () => {
          if (!check(heard)) return;
          waiting.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiting.delete(wake);
          const ids = heard.map((c) => c.id);
          reject(new Error(`${label}: still waiting after ${timeoutMs} ms; heard ${ids.length} ids, last ${ids.slice(-5).join(',')}`));
        }, timeoutMs);
        waiting.add(wake);
        wake();
      }),
  };
}

/** 1, 2, …, n */
export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}
