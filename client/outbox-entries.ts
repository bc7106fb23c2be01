/** What an outbox entry is addressed to, how it is kept in a store, and how its clientId is made. */
import { readJson, writeJson, type KeyValueStore } from './storage.js';

/** The public timeline, one user (`to`), or a room (issue 17). */
export type Target = { kind: 'public' } | { kind: 'private'; to: string } | { kind: 'room'; room: string };

/** An entry as kept in a store: what is needed to send it again. */
export interface StoredEntry {
  clientId: string;
  target: Target;
  text: string;
  createdAt: number;
}

const keyOf = (user: string) => `outbox.${user}`;

export function storedEntries(store: KeyValueStore, user: string): StoredEntry[] {
  return readJson(store, keyOf(user), isEntryList) ?? [];
}

/** Keeps `entries` for `user`, or forgets the key when there are none. */
export function saveEntries(store: KeyValueStore, user: string, entries: readonly StoredEntry[]): void {
  if (entries.length === 0) return store.remove(keyOf(user));
  writeJson(
    store,
    keyOf(user),
    entries.map(({ clientId, target, text, createdAt }) => ({ clientId, target, text, createdAt })),
  );
}

/**
 * A new clientId: 128 random bits in hex (the server takes 1-64 of `A-Z a-z 0-9 _ -`). crypto.getRandomValues
 * also works on plain-http pages, where crypto.randomUUID does not exist.
 */
export function newClientId(): string {
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function isEntryList(value: unknown): value is StoredEntry[] {
  return Array.isArray(value) && value.every(isEntry);
}

function isEntry(value: unknown): value is StoredEntry {
  const v = value as Partial<StoredEntry> | null;
  return typeof v?.clientId === 'string' && typeof v.text === 'string' && typeof v.createdAt === 'number' && isTarget(v.target);
}

function isTarget(value: unknown): value is Target {
  const t = value as { kind?: unknown; to?: unknown; room?: unknown } | null;
  if (t?.kind === 'public') return true;
  if (t?.kind === 'private') return typeof t.to === 'string';
  return t?.kind === 'room' && typeof t.room === 'string';
}
