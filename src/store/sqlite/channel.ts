import type { Committed } from '../store';

/** What the main thread's SqliteStore sends its thread (worker.ts). */
export type ToWorker = { call: number; method: string; args: unknown[] } | { close: true };

/**
 * What the thread sends back, in this order for each transaction: `committed` (its messages), then each of its
 * calls' results. One port keeps the order, so the main thread tells listeners before any append resolves.
 */
export type FromWorker =
  | { ready: true }
  | { failed: SerializedError }
  | { committed: Committed[] }
  | { call: number; value: unknown }
  | { call: number; error: SerializedError }
  | { closed: true };

/** An error as it crosses threads: structured cloning would drop `code`, which callers may read. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
}

export function serializeError(err: unknown): SerializedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const code = (err as { code?: unknown }).code;
  return { name: err.name, message: err.message, ...(typeof code === 'string' && { code }) };
}

export function deserializeError({ name, message, code }: SerializedError): Error {
  const err = new Error(message);
  err.name = name;
  if (code !== undefined) Object.assign(err, { code });
  return err;
}
