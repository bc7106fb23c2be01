/** The guarantees stated on RoomStore (src/store/rooms.ts) and the log (log.ts), checked against every implementation. */
import Database from 'better-sqlite3';
import pg from 'pg';
import path from 'node:path';
import { legacyKey } from '../src/names';
import { PostgresStore } from '../src/store/postgres';
import { MIGRATIONS as PG_MIGRATIONS } from '../src/store/postgres/schema';
import { SqliteStore } from '../src/store/sqlite';
import { MIGRATIONS } from '../src/store/sqlite/schema';
import type { ChatStore, Committed, RoomOutcome } from '../src/store/store';
import { createDatabase, describePostgres } from './postgres';
import { change, LIMITS, newRoom, storeFactories, useStore } from './store-factories';
import { tempDir } from './tmpdir';

/** The seq of the entry an outcome wrote; fails the test when it was refused or wrote none. */
function seqOf(outcome: RoomOutcome): number {
  if (!outcome.ok || !outcome.entry) throw new Error(`no entry: ${JSON.stringify(outcome)}`);
  return outcome.entry.id;
}

const texts = (page: { messages: Array<{ text: string }> }) => page.messages.map((m) => m.text);

describe.each(storeFactories())('%s', (_name, open) => {
  const s = useStore(open);

  test('a room is created with its owner as first member, by a create entry of the one sequence; a look-alike name is taken', async () => {
    const heard: Committed[] = [];
    s.store.onCommitted((c) => heard.push(c));
    const before = await s.store.appendPublic({ sender: s.a, text: 'before', ts: 1 });
    const outcome = await s.store.createRoom({ name: 'Team', key: 'team', sortKey: 'team', private: true, owner: s.a, ts: 5 }, LIMITS);
    expect(outcome).toMatchObject({ ok: true, room: { name: 'Team', private: true, ownerId: s.a.id, ownerName: 'a', memberCount: 1 } });
    const seq = seqOf(outcome);
    expect(seq).toBe(before.message.id + 1);
    expect(heard.at(-1)).toEqual({ kind: 'member', id: seq, room: { id: expect.any(Number), name: 'Team', private: true }, user: expect.objectContaining(who(s.a)), by: expect.objectContaining(who(s.a)), action: 'create', ts: 5 });
    expect(await s.store.membership(outcome.ok ? outcome.room.id : 0, s.a.id)).toEqual({ member: true, joinedId: seq, leftId: null });
    expect(await s.store.createRoom({ name: 'TEAM', key: 'team', sortKey: 'team', private: false, owner: s.b, ts: 6 }, LIMITS)).toEqual({ ok: false, refused: 'room_taken' });
    expect((await s.store.findRoom('team'))?.name).toBe('Team');
    const after = await s.store.appendPublic({ sender: s.a, text: 'after', ts: 7 });
    expect(after.message.id).toBe(seq + 1); // the refusal took no id
  });

  test('who may join, leave, invite and remove, and what changes nothing', async () => {
    const open = await newRoom(s.store, s.a, 'open');
    const secret = await newRoom(s.store, s.a, 'secret', true);
    expect(await change(s.store, 'join', secret, s.b)).toEqual({ ok: false, refused: 'unknown_room' });
    expect(await change(s.store, 'leave', secret, s.b)).toEqual({ ok: false, refused: 'unknown_room' });
    expect(await change(s.store, 'invite', secret, s.b, s.c)).toEqual({ ok: false, refused: 'unknown_room' });
    expect(await change(s.store, 'remove', secret, s.b, s.a)).toEqual({ ok: false, refused: 'unknown_room' });
    expect(await change(s.store, 'invite', open, s.b, s.c)).toEqual({ ok: false, refused: 'not_member' });
    expect(await change(s.store, 'remove', open, s.b, s.a)).toEqual({ ok: false, refused: 'not_member' });
    expect(await change(s.store, 'leave', open, s.b)).toEqual({ ok: true, room: expect.objectContaining({ memberCount: 1 }) });

    seqOf(await change(s.store, 'join', open, s.b));
    expect(await change(s.store, 'join', open, s.b)).toEqual({ ok: true, room: expect.objectContaining({ memberCount: 2 }) }); // no entry
    seqOf(await change(s.store, 'invite', secret, s.a, s.b));
    expect(await change(s.store, 'join', secret, s.b)).toEqual({ ok: true, room: expect.objectContaining({ memberCount: 2 }) });
    expect(await change(s.store, 'remove', secret, s.b, s.a)).toEqual({ ok: false, refused: 'forbidden' }); // not the owner
    expect(await change(s.store, 'remove', secret, s.a, s.a)).toEqual({ ok: false, refused: 'forbidden' }); // the owner leaves instead
    expect(await change(s.store, 'remove', secret, s.a, s.c)).toEqual({ ok: true, room: expect.objectContaining({ memberCount: 2 }) });
    const removed = seqOf(await change(s.store, 'remove', secret, s.a, s.b));
    expect(await s.store.membership(secret.id, s.b.id)).toEqual({ member: false, joinedId: expect.any(Number), leftId: removed });
    const left = await change(s.store, 'leave', open, s.b);
    expect(left).toMatchObject({ ok: true, room: { memberCount: 1 }, entry: { action: 'leave', user: who(s.b), by: who(s.b) } });
  });

  test('caps: members per room and rooms per user, refused limit_reached with nothing written', async () => {
    const tight = { maxRoomsPerUser: 2, maxMembersPerRoom: 2 };
    const r1 = await newRoom(s.store, s.a, 'r1', false, tight);
    seqOf(await change(s.store, 'join', r1, s.b, s.b, tight));
    expect(await change(s.store, 'join', r1, s.c, s.c, tight)).toEqual({ ok: false, refused: 'limit_reached' });
    await newRoom(s.store, s.a, 'r2', false, tight);
    expect(await s.store.createRoom({ name: 'r3', key: 'r3', sortKey: 'r3', private: false, owner: s.a, ts: 1 }, tight)).toEqual({ ok: false, refused: 'limit_reached' });
    expect(await s.store.findRoom('r3')).toBeUndefined();
    const r4 = await newRoom(s.store, s.c, 'r4', false, tight);
    expect(await change(s.store, 'invite', r4, s.c, s.a, tight)).toEqual({ ok: false, refused: 'limit_reached' });
    expect((await s.store.members(r1.id, undefined, 10)).members.map((m) => m.name)).toEqual(['a', 'b']);
  });

  test('a room message is stored only while its sender is a member; a retry with its clientId after removal is the original', async () => {
    const room = await newRoom(s.store, s.a, 'room', true);
    expect(await s.store.appendRoom({ sender: s.b, room, text: 'not yet', ts: 1 })).toEqual({ refused: 'not_member' });
    seqOf(await change(s.store, 'invite', room, s.a, s.b));
    const sent = await s.store.appendRoom({ sender: s.b, room, text: 'hello', ts: 2, clientId: 'k' });
    expect(sent).toEqual({ duplicate: false, message: { id: expect.any(Number), room: 'room', from: 'b', fromName: 'b', text: 'hello', ts: 2 } });
    seqOf(await change(s.store, 'remove', room, s.a, s.b));
    expect(await s.store.appendRoom({ sender: s.b, room, text: 'hello', ts: 3, clientId: 'k' })).toEqual({ duplicate: true, message: 'message' in sent ? sent.message : undefined });
    expect(await s.store.appendRoom({ sender: s.b, room, text: 'after', ts: 4, clientId: 'k2' })).toEqual({ refused: 'not_member' });
    expect(texts(await s.store.roomHistory(room.id, { limit: 10 }))).toEqual(['hello']);
  });

  test('a removal racing a message: the message is committed before the removal or not at all', async () => {
    const room = await newRoom(s.store, s.a, 'race');
    for (let round = 0; round < 10; round++) {
      seqOf(await change(s.store, 'invite', room, s.a, s.b));
      const [sent, removed] = await Promise.all([
        s.store.appendRoom({ sender: s.b, room, text: `race ${round}`, ts: round }),
        change(s.store, 'remove', room, s.a, s.b),
      ]);
      if ('message' in sent) expect(sent.message.id).toBeLessThan(seqOf(removed));
      else expect(sent).toEqual({ refused: 'not_member' });
    }
  });

  test('sync by ids: a member sees the room, a removed member what came before the removal and the removal, others nothing', async () => {
    const room = await newRoom(s.store, s.a, 'club', true);
    const joined = seqOf(await change(s.store, 'invite', room, s.a, s.b));
    const m1 = await s.store.appendRoom({ sender: s.a, room, text: 'm1', ts: 1 });
    const removed = seqOf(await change(s.store, 'remove', room, s.a, s.b));
    await s.store.appendRoom({ sender: s.a, room, text: 'm2', ts: 2 });
    await s.store.appendPublic({ sender: s.c, text: 'public', ts: 3 });
    const forB = await s.store.since(s.b.id, 0, 100);
    expect(texts(forB)).toEqual(['m1', 'public']);
    expect(forB.changes.map((c) => c.type === 'member' && [c.seq, c.action, c.user])).toEqual([
      [joined - 1, 'create', 'a'], // shared history: before the removal, as m1
      [joined, 'invite', 'b'],
      [removed, 'remove', 'b'],
    ]);
    expect(forB.changes[2]).toEqual({ type: 'member', seq: removed, room: 'club', private: true, user: 'b', action: 'remove', by: 'a', ts: 2 });
    const forA = await s.store.since(s.a.id, 0, 100);
    expect(texts(forA)).toEqual(['m1', 'm2', 'public']);
    expect(forA.changes.map((c) => c.type === 'member' && c.action)).toEqual(['create', 'invite', 'remove']);
    expect(await s.store.since(s.c.id, 0, 100)).toEqual({ messages: [expect.objectContaining({ text: 'public' })], changes: [], hasMore: false });
    expect(texts(await s.store.since(undefined, 0, 100))).toEqual(['public']);
    // Paging counts entries of both kinds, in one id order.
    const first = await s.store.since(s.a.id, 0, 2);
    expect([first.changes.length, first.messages.length, first.hasMore]).toEqual([2, 0, true]);
    expect('message' in m1 && (await s.store.since(s.b.id, m1.message.id, 100)).changes.map((c) => c.seq)).toEqual([removed]);
    // Invited again: a member sees the room's whole history (shared history), m2 included.
    seqOf(await change(s.store, 'invite', room, s.a, s.b));
    expect(texts(await s.store.since(s.b.id, 0, 100))).toEqual(['m1', 'm2', 'public']);
  });

  test('member entries never pass for private messages of the pair they name', async () => {
    const room = await newRoom(s.store, s.a, 'pair');
    seqOf(await change(s.store, 'invite', room, s.a, s.b));
    expect((await s.store.conversation(s.a.id, s.b.id, { limit: 10 })).messages).toEqual([]);
    expect(await s.store.undelivered(s.b.id, 0, 10)).toEqual([]);
    expect((await s.store.publicHistory({ limit: 10 })).messages).toEqual([]);
    await s.store.appendRoom({ sender: s.a, room, text: 'in the room', ts: 1 });
    expect((await s.store.publicHistory({ limit: 10 })).messages).toEqual([]);
  });

  test('lists: public rooms and own private ones by name, members by name, a room history without member entries, a snapshot', async () => {
    const names = ['delta', 'Alpha', 'charlie', 'bravo'];
    for (const name of names) await newRoom(s.store, s.a, name);
    const hidden = await newRoom(s.store, s.a, 'zulu', true);
    const mine = await newRoom(s.store, s.b, 'echo', true);
    const page1 = await s.store.listRooms(s.b.id, { mine: false, limit: 3 });
    expect(page1.rooms.map((r) => [r.name, r.member])).toEqual([['Alpha', false], ['bravo', false], ['charlie', false]]);
    expect(page1.hasMore).toBe(true);
    const page2 = await s.store.listRooms(s.b.id, { mine: false, after: legacyKey('charlie'), limit: 3 });
    expect(page2).toEqual({ rooms: [expect.objectContaining({ name: 'delta' }), expect.objectContaining({ name: 'echo', member: true, private: true })], hasMore: false });
    expect((await s.store.listRooms(s.a.id, { mine: false, limit: 10 })).rooms.map((r) => r.name)).toContain('zulu');
    expect((await s.store.listRooms(s.b.id, { mine: true, limit: 10 })).rooms.map((r) => r.name)).toEqual(['echo']);

    for (const u of [s.c, s.b]) seqOf(await change(s.store, 'invite', hidden, s.a, u));
    seqOf(await change(s.store, 'leave', hidden, s.c));
    expect(await s.store.members(hidden.id, undefined, 10)).toEqual({ members: [s.a, s.b], hasMore: false });
    expect(await s.store.members(hidden.id, undefined, 1)).toEqual({ members: [s.a], hasMore: true });
    expect(await s.store.members(hidden.id, 'a', 1)).toEqual({ members: [s.b], hasMore: false });

    for (let i = 0; i < 3; i++) await s.store.appendRoom({ sender: s.a, room: hidden, text: `h${i}`, ts: i });
    const newest = await s.store.roomHistory(hidden.id, { limit: 2 });
    expect([texts(newest), newest.hasMore]).toEqual([['h1', 'h2'], true]);
    expect(texts(await s.store.roomHistory(hidden.id, { limit: 5, before: newest.messages[0].id }))).toEqual(['h0']);

    const snapshot = await s.store.memberships();
    expect(snapshot.pairs.filter(([room]) => room === hidden.id || room === mine.id).sort()).toEqual(
      [[hidden.id, s.a.id], [hidden.id, s.b.id], [mine.id, s.b.id]].sort(),
    );
    const head = (await s.store.appendPublic({ sender: s.a, text: 'x', ts: 9 })).message.id - 1;
    expect(snapshot.head).toBe(head);
  });
});

describe('migrations carry a database from before rooms forward', () => {
  const tmp = tempDir('chat-rooms-migration-');
  afterAll(() => tmp.cleanup());

  test('SQLite: messages keep their ids and kinds; rooms work', async () => {
    const file = path.join(tmp.dir, 'v3.db');
    const old = new Database(file);
    old.exec(MIGRATIONS[0] as string);
    old.exec(MIGRATIONS[1] as string);
    old.pragma('user_version = 3'); // the third is a rekeying function, with nothing to rekey here
    old.prepare("INSERT INTO users (name, name_key, token_hash, created_at, last_seen_at) VALUES ('Old', 'old', 'h', 1, 2)").run();
    old.prepare("INSERT INTO messages (sender_id, sender_name, body, created_at) VALUES (1, 'Old', 'kept', 3)").run();
    old.close();
    const store = SqliteStore.open(file);
    try {
      await checkCarriedForward(store);
    } finally {
      await store.close();
    }
  });

  describePostgres('PostgreSQL', () => {
    test('messages keep their ids and kinds; rooms and room messages work', async () => {
      const db = await createDatabase();
      try {
        const client = new pg.Client({ connectionString: db.url });
        await client.connect();
        await client.query('CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
        await client.query(PG_MIGRATIONS[0] as string);
        await client.query('INSERT INTO schema_migrations (version) VALUES (1)');
        await client.query("INSERT INTO users (name, name_key, token_hash, created_at, last_seen_at) VALUES ('Old', 'old', 'h', 1, 2)");
        // The first chat_append, as a node of the previous release called it.
        await client.query(`SELECT * FROM chat_append('old-node', '[{"sid":1,"sname":"Old","rid":null,"rname":null,"body":"kept","ts":3,"cid":null,"origin":null}]')`);
        await client.end();
        const store = await PostgresStore.open(db.url, { poolSize: 2 });
        try {
          await checkCarriedForward(store);
        } finally {
          await store.close();
        }
      } finally {
        await db.drop();
      }
    });
  });
});

async function checkCarriedForward(store: ChatStore): Promise<void> {
  expect(await store.since(1, 0, 10)).toEqual({ messages: [{ id: 1, from: 'Old', fromName: 'Old', text: 'kept', ts: 3 }], changes: [], hasMore: false });
  const owner = { id: 1, name: 'Old', displayName: 'Old' };
  const room = await newRoom(store, owner, 'after');
  const sent = await store.appendRoom({ sender: owner, room, text: 'in a room', ts: 4 });
  expect(sent).toEqual({ duplicate: false, message: { id: 3, room: 'after', from: 'Old', fromName: 'Old', text: 'in a room', ts: 4 } });
  expect((await store.publicHistory({ limit: 10 })).messages.map((m) => m.text)).toEqual(['kept']);
}

/** A user as entries of the log name them: id and handle. */
function who(user: { id: number; name: string }): { id: number; name: string } {
  return { id: user.id, name: user.name };
}
