/**
 * Every store implementation, for the suites that hold them all to ChatStore's guarantees (describe.each):
 * store.test.ts (users and messages), store-rooms.test.ts, store-reads.test.ts. Each suite file calls
 * `storeFactories()` once at its top level (it owns the temporary directory of its SQLite files).
 */
import path from 'node:path';
import { PostgresStore } from '../src/store/postgres';
import { SqliteStore } from '../src/store/sqlite';
import { legacyKey } from '../src/names';
import type { ChatStore, MembershipChange, RoomLimits, RoomOutcome, RoomRecord } from '../src/store/store';
import { createDatabase, postgresReason } from './postgres';
import { tempDir } from './tmpdir';

/** A store to test, and what disposes of it once it is closed (a PostgreSQL test drops its database). */
export type Factory = () => Promise<{ store: ChatStore; dispose?: () => Promise<void> }>;

export function storeFactories(): Array<[string, Factory]> {
  const tmp = tempDir('chat-store-');
  afterAll(() => tmp.cleanup());
  let fileCount = 0;
  const factories: Array<[string, Factory]> = [
    ['sqlite (file)', async () => ({ store: SqliteStore.open(path.join(tmp.dir, `store-${++fileCount}.db`)) })],
    ['sqlite (file, synchronous=normal)', async () => ({ store: SqliteStore.open(path.join(tmp.dir, `store-${++fileCount}.db`), 'normal') })],
    ['sqlite (:memory:)', async () => ({ store: SqliteStore.open(':memory:') })],
  ];
  if (postgresReason === undefined) factories.push(['postgres', postgresFactory]);
  return factories;
}

/** A PostgresStore on a database of its own, dropped once the store is closed. */
export const postgresFactory: Factory = async () => {
  const db = await createDatabase();
  const store = await PostgresStore.open(db.url, { poolSize: 4 }).catch(async (err) => {
    await db.drop();
    throw err;
  });
  return { store, dispose: db.drop };
};

/** Opens a store per test of the enclosing block (`.store`), with users `a`, `b`, `c` created in it. */
export function useStore(open: Factory) {
  const state = {} as { store: ChatStore; a: User; b: User; c: User; dispose?: () => Promise<void> };
  beforeEach(async () => {
    const opened = await open();
    state.store = opened.store;
    state.dispose = opened.dispose;
    for (const name of ['a', 'b', 'c'] as const) state[name] = await makeUser(opened.store, name);
  });
  afterEach(async () => {
    await state.store.close();
    await state.dispose?.();
  });
  return state;
}

export type User = { id: number; name: string; displayName: string };

export async function makeUser(store: ChatStore, name: string): Promise<User> {
  const u = await store.createUser({ name, key: name, tokenHash: `h-${name}`, now: 1, provisional: false });
  if (!u) throw new Error(`createUser ${name} failed`);
  return { id: u.id, name: u.name, displayName: u.displayName };
}

export const LIMITS: RoomLimits = { maxRoomsPerUser: 100, maxMembersPerRoom: 100 };

/** Creates a room; fails the test if the store refuses. */
export async function newRoom(store: ChatStore, owner: User, name: string, isPrivate = false, limits = LIMITS): Promise<RoomRecord> {
  const outcome = await store.createRoom({ name, key: name.toLowerCase(), sortKey: legacyKey(name), private: isPrivate, owner, ts: 1 }, limits);
  if (!outcome.ok) throw new Error(`createRoom ${name}: ${outcome.refused}`);
  return outcome.room;
}

/** A membership change by `actor` concerning `user` (the actor by default). */
export function change(store: ChatStore, action: MembershipChange['action'], room: RoomRecord, actor: User, user = actor, limits = LIMITS): Promise<RoomOutcome> {
  return store.changeMembership({ action, roomId: room.id, actor, user, ts: 2 }, limits);
}
