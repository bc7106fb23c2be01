import { SchemaTooNewError } from '../schema-version';
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

/**
 * An error as it crosses threads. Structured cloning would keep only name, message and stack; callers read
 * more (`code`; SchemaTooNewError's versions, and its class), so own fields of primitive value travel too.
 */
export interface SerializedError {
  name: string;
  message: string;
  fields: Record<string, string | number | boolean>;
}

export function serializeError(err: unknown): SerializedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err), fields: {} };
  const fields: SerializedError['fields'] = {};
  for (const [key, value] of Object.entries(err)) {
    if (['string', 'number', 'boolean'].includes(typeof value)) fields[key] = value as string | number | boolean;
  }
  return { name: err.name, message: err.message, fields };
}

export function deserializeError({ name, message, fields }: SerializedError): Error {
  if (name === 'SchemaTooNewError') return new SchemaTooNewError(Number(fields.found), Number(fields.known));
  const err = Object.assign(new Error(message), fields);
  err.name = name;
  return err;
}
