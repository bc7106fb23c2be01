/**
 * The guarantees stated on EditStore (src/store/edits.ts) and ModerationStore (moderation.ts), checked against
 * every implementation; and that a deleted text leaves the SQLite file and WAL, and the PostgreSQL table.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { PostgresStore } from '../src/store/postgres';
import { SqliteStore } from '../src/store/sqlite';
import type { ChatStore, Committed, EditOutcome } from '../src/store/store';
import { createDatabase, describePostgres } from './postgres';
import { change, makeUser, newRoom, storeFactories, useStore, type User } from './store-factories';
import { tempDir } from './tmpdir';

const admin = { admin: true } as const;
const by = (user: User) => ({ user });
const edit = (store: ChatStore, id: number, editor: User, text: string, ts = 10) => store.editMessage({ id, editor, text, ts });
const seqOf = (outcome: EditOutcome) => (outcome.ok && outcome.entry ? outcome.entry.id : NaN);

describe.each(storeFactories())('%s', (_name, open) => {
  const s = useStore(open);

  test('an edit is an entry of the log that the message\'s readers see once; the message reads as it is now', async () => {
    const heard: Committed[] = [];
    s.store.onCommitted((c) => heard.push(c));
    const sent = await s.store.appendPrivate({ sender: s.a, recipient: s.b, text: 'helo', ts: 1 });
    const edited = await edit(s.store, sent.message.id, s.a, 'hello', 5);
    expect(edited).toMatchObject({ ok: true, message: { id: sent.message.id, from: 'a', fromName: 'a', to: 'b', toName: 'b', text: 'hello', ts: 1, editedAt: 5 } });
    const seq = seqOf(edited);
    expect(seq).toBe(sent.message.id + 1);
    expect(heard.at(-1)).toEqual({ kind: 'edit', id: seq, target: sent.message.id, text: 'hello', editedAt: 5, scope: { senderId: s.a.id, recipientId: s.b.id, roomId: null, hidden: false } });
    expect(await edit(s.store, sent.message.id, s.a, 'hello', 6)).toEqual({ ok: true, message: edited.ok && edited.message }); // nothing to change
    for (const reader of [s.a, s.b]) {
      const page = await s.store.since(reader.id, 0, 10);
      expect(page.messages).toEqual([{ id: sent.message.id, from: 'a', fromName: 'a', to: 'b', toName: 'b', text: 'hello', ts: 1, editedAt: 5 }]);
      expect(page.changes).toEqual([{ type: 'edit', seq, id: sent.message.id, text: 'hello', editedAt: 5 }]);
    }
    expect(await s.store.since(s.c.id, 0, 10)).toEqual({ messages: [], changes: [], hasMore: false });
    expect((await s.store.conversation(s.b.id, s.a.id, { limit: 5 })).messages[0]).toMatchObject({ text: 'hello', editedAt: 5 });
  });

  test('who may edit and delete: the author; a room\'s owner deletes; anything one may not read is unknown', async () => {
    const pub = await s.store.appendPublic({ sender: s.a, text: 'public', ts: 1 });
    const priv = await s.store.appendPrivate({ sender: s.a, recipient: s.b, text: 'private', ts: 1 });
    expect(await edit(s.store, pub.message.id, s.b, 'not yours')).toEqual({ ok: false, refused: 'forbidden' });
    expect(await edit(s.store, priv.message.id, s.b, 'not yours')).toEqual({ ok: false, refused: 'forbidden' });
    expect(await edit(s.store, priv.message.id, s.c, 'not even readable')).toEqual({ ok: false, refused: 'unknown_message' });
    expect(await edit(s.store, 9999, s.a, 'nothing there')).toEqual({ ok: false, refused: 'unknown_message' });
    expect(await s.store.deleteMessage({ id: priv.message.id, by: by(s.c), ts: 2 })).toEqual({ ok: false, refused: 'unknown_message' });
    expect(await s.store.deleteMessage({ id: pub.message.id, by: by(s.b), ts: 2 })).toEqual({ ok: false, refused: 'forbidden' });

    const room = await newRoom(s.store, s.a, 'den', true);
    const joined = await change(s.store, 'invite', room, s.a, s.b);
    const entryId = joined.ok ? joined.entry!.id : 0;
    expect(await edit(s.store, entryId, s.a, 'an entry is no message')).toEqual({ ok: false, refused: 'unknown_message' });
    const inRoom = await s.store.appendRoom({ sender: s.b, room, text: 'by b', ts: 3 });
    const id = 'message' in inRoom ? inRoom.message.id : 0;
    expect(await edit(s.store, id, s.a, 'the owner cannot edit')).toEqual({ ok: false, refused: 'forbidden' });
    expect(await edit(s.store, id, s.c, 'an outsider')).toEqual({ ok: false, refused: 'unknown_message' });
    expect(await s.store.deleteMessage({ id, by: by(s.c), ts: 4 })).toEqual({ ok: false, refused: 'unknown_message' });
    expect(await s.store.deleteMessage({ id, by: by(s.a), ts: 4 })).toMatchObject({ ok: true, entry: { kind: 'delete', target: id } }); // the owner
    expect(await s.store.deleteMessage({ id, by: by(s.a), ts: 5 })).toEqual({ ok: true }); // again: nothing to do
    expect(await edit(s.store, id, s.b, 'too late')).toEqual({ ok: false, refused: 'unknown_message' });
    const second = await s.store.appendRoom({ sender: s.b, room, text: 'by b again', ts: 6 });
    await change(s.store, 'remove', room, s.a, s.b);
    expect(await edit(s.store, 'message' in second ? second.message.id : 0, s.b, 'removed')).toEqual({ ok: false, refused: 'unknown_message' });
    expect(await s.store.undelivered(s.b.id, 0, 10)).toEqual([priv.message]);
    expect(await s.store.deleteMessage({ id: priv.message.id, by: admin, ts: 7 })).toMatchObject({ ok: true, entry: { kind: 'delete' } });
    expect(await s.store.undelivered(s.b.id, 0, 10)).toEqual([]); // a deleted message is not sent at a login
  });

  test('a deletion leaves a tombstone; its text and its edits\' texts are erased; the deletion reaches the readers by sync', async () => {
    const room = await newRoom(s.store, s.a, 'talk');
    await change(s.store, 'join', room, s.b);
    const sent = await s.store.appendRoom({ sender: s.a, room, text: 'first draft', ts: 1 });
    const id = 'message' in sent ? sent.message.id : 0;
    const edited = await edit(s.store, id, s.a, 'second draft', 2);
    const deleted = await s.store.deleteMessage({ id, by: by(s.a), ts: 3 });
    expect(deleted).toMatchObject({ ok: true, entry: { kind: 'delete', target: id, scope: { senderId: s.a.id, recipientId: null, roomId: room.id, hidden: false } } });
    const tombstone = { id, room: 'talk', from: 'a', fromName: 'a', text: '', ts: 1, deletedAt: 3 };
    expect((await s.store.roomHistory(room.id, { limit: 5 })).messages).toEqual([tombstone]);
    const page = await s.store.since(s.b.id, id - 1, 10);
    expect(page.messages).toEqual([tombstone]);
    expect(page.changes).toEqual([
      { type: 'edit', seq: seqOf(edited), id, text: '', editedAt: 2 }, // its text erased with the message's
      { type: 'delete', seq: deleted.ok ? deleted.entry!.id : 0, id },
    ]);
    expect(await s.store.readableMessage(id, s.b.id)).toEqual(tombstone);
    expect(await s.store.readableMessage(id, s.c.id)).toEqual(tombstone); // a public room: anyone may read it
  });

  test('a block hides the blocked sender\'s later private messages from the blocker for good; the sender sees them', async () => {
    const before = await s.store.appendPrivate({ sender: s.b, recipient: s.a, text: 'before the block', ts: 1 });
    await s.store.block(s.a.id, s.b.id, 2);
    await s.store.block(s.a.id, s.b.id, 2); // idempotent
    expect(await s.store.blockedBy(s.a.id)).toEqual(['b']);
    expect(await s.store.blockersOf(s.b.id)).toEqual([s.a.id]);
    const heard: Committed[] = [];
    s.store.onCommitted((c) => heard.push(c));
    const hidden = await s.store.appendPrivate({ sender: s.b, recipient: s.a, text: 'while blocked', ts: 3 });
    expect(heard).toEqual([expect.objectContaining({ kind: 'message', id: hidden.message.id, hidden: true })]);
    await s.store.unblock(s.a.id, s.b.id);
    const after = await s.store.appendPrivate({ sender: s.b, recipient: s.a, text: 'after the block', ts: 4 });
    const texts = (messages: Array<{ text: string }>) => messages.map((m) => m.text);
    expect(texts((await s.store.conversation(s.a.id, s.b.id, { limit: 10 })).messages)).toEqual(['before the block', 'after the block']);
    expect(texts((await s.store.conversation(s.b.id, s.a.id, { limit: 10 })).messages)).toEqual(['before the block', 'while blocked', 'after the block']);
    expect(texts((await s.store.since(s.a.id, 0, 10)).messages)).toEqual(['before the block', 'after the block']);
    expect((await s.store.undelivered(s.a.id, 0, 10)).map((m) => m.id)).toEqual([before.message.id, after.message.id]);
    expect(await s.store.readableMessage(hidden.message.id, s.a.id)).toBeUndefined();
    const [summary] = await s.store.summarize(s.a.id, [{ kind: 'user', peerId: s.b.id }]);
    expect(summary).toMatchObject({ unread: 2, last: { text: 'after the block' } });
    // Its edit stays hidden from the blocker too.
    expect(await edit(s.store, hidden.message.id, s.b, 'edited while hidden')).toMatchObject({ ok: true, entry: { scope: { hidden: true } } });
    expect((await s.store.since(s.a.id, after.message.id, 10)).changes).toEqual([]);
  });

  test('an invitation from someone the invitee blocked changes nothing', async () => {
    const room = await newRoom(s.store, s.b, 'trap', true);
    await s.store.block(s.a.id, s.b.id, 1);
    expect(await change(s.store, 'invite', room, s.b, s.a)).toEqual({ ok: true, room: expect.objectContaining({ memberCount: 1 }) });
    expect(await s.store.membership(room.id, s.a.id)).toBeUndefined();
  });

  test('bans: recorded with their reason, listed, lifted; a banned user is never replaced by a new claim of its name', async () => {
    await s.store.ban(s.a.id, 'spam', 5);
    await s.store.ban(s.b.id, undefined, 6);
    expect(await s.store.banOf(s.a.id)).toEqual({ user: 'a', userId: s.a.id, reason: 'spam', since: 5 });
    expect(await s.store.bans()).toEqual([
      { user: 'a', userId: s.a.id, reason: 'spam', since: 5 },
      { user: 'b', userId: s.b.id, reason: null, since: 6 },
    ]);
    const claim = { name: 'a', key: 'a', tokenHash: 'new', now: 100, provisional: false, replacing: { id: s.a.id, seenBefore: 50 } };
    expect(await s.store.createUser(claim)).toBeUndefined();
    expect(await s.store.unban(s.a.id)).toBe(true);
    expect(await s.store.unban(s.a.id)).toBe(false);
    expect(await s.store.banOf(s.a.id)).toBeUndefined();
    expect(await s.store.createUser(claim)).toMatchObject({ name: 'a' });
  });

  test('a report keeps the message as it was when reported, whatever happens to it afterwards', async () => {
    const sent = await s.store.appendPublic({ sender: s.a, text: 'something rude', ts: 1 });
    const message = (await s.store.readableMessage(sent.message.id, s.b.id))!;
    const first = await s.store.report({ message, reporter: s.b, reason: 'rude', ts: 2 });
    await edit(s.store, sent.message.id, s.a, 'something nice', 3);
    await s.store.deleteMessage({ id: sent.message.id, by: by(s.a), ts: 4 });
    const second = await s.store.report({ message: (await s.store.appendPrivate({ sender: s.a, recipient: s.c, text: 'psst', ts: 5 })).message, reporter: s.c, ts: 6 });
    const all = await s.store.reports({ limit: 10 });
    expect(all).toEqual({
      reports: [
        { id: second, reporter: 'c', reason: null, reportedAt: 6, message: { id: expect.any(Number), from: 'a', fromName: 'a', to: 'c', toName: 'c', text: 'psst', ts: 5 } },
        { id: first, reporter: 'b', reason: 'rude', reportedAt: 2, message: { id: sent.message.id, from: 'a', fromName: 'a', text: 'something rude', ts: 1 } },
      ],
      hasMore: false,
    });
    expect(await s.store.reports({ limit: 1, before: second })).toEqual({ reports: [all.reports[1]], hasMore: false });
  });
});

describe('a deleted text leaves the storage', () => {
  const tmp = tempDir('chat-erase-');
  afterAll(() => tmp.cleanup());

  test('SQLite: not in the database file nor in its WAL once the deletion is acked', async () => {
    const file = path.join(tmp.dir, 'erase.db');
    const store = SqliteStore.open(file);
    try {
      const a = await makeUser(store, 'a');
      const secret = `SECRET-${'x'.repeat(3000)}-${Date.now()}`; // long: an overflow page of its own
      const sent = await store.appendPublic({ sender: a, text: secret, ts: 1 });
      await store.editMessage({ id: sent.message.id, editor: a, text: `${secret}-edited`, ts: 2 });
      const bytes = () => Buffer.concat([file, `${file}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)));
      expect(bytes().includes(secret)).toBe(true); // the check can see it while it is there
      expect(await store.deleteMessage({ id: sent.message.id, by: { user: a }, ts: 3 })).toMatchObject({ ok: true });
      expect(bytes().includes(secret)).toBe(false);
    } finally {
      await store.close();
    }
  });

  describePostgres('PostgreSQL', () => {
    test('not in the table (the message\'s row nor its edits\') once the deletion is acked', async () => {
      const db = await createDatabase();
      const store = await PostgresStore.open(db.url, { poolSize: 2 });
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        const a = await makeUser(store, 'a');
        const sent = await store.appendPublic({ sender: a, text: 'SECRET-pg', ts: 1 });
        await store.editMessage({ id: sent.message.id, editor: a, text: 'SECRET-pg edited', ts: 2 });
        const rows = async () => (await client.query("SELECT count(*)::int AS n FROM messages WHERE body LIKE '%SECRET-pg%'")).rows[0].n;
        expect(await rows()).toBe(2);
        await store.deleteMessage({ id: sent.message.id, by: { admin: true }, ts: 3 });
        expect(await rows()).toBe(0);
      } finally {
        await client.end();
        await store.close();
        await db.drop();
      }
    });
  });
});
