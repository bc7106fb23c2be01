/** The guarantees stated on ReadStore (src/store/reads.ts), checked against every implementation. */
import { UNREAD_COUNT_LIMIT } from '../src/protocol';
import { change, newRoom, storeFactories, useStore } from './store-factories';

describe.each(storeFactories())('%s', (_name, open) => {
  const s = useStore(open);
  const pub = { kind: 'public' } as const;

  test('a mark only rises, and never past the head of the log', async () => {
    const m1 = await s.store.appendPublic({ sender: s.b, text: 'one', ts: 1 });
    const m2 = await s.store.appendPublic({ sender: s.b, text: 'two', ts: 2 });
    expect(await s.store.markRead(s.a.id, pub, m2.message.id)).toBe(m2.message.id);
    expect(await s.store.markRead(s.a.id, pub, m1.message.id)).toBe(m2.message.id);
    expect(await s.store.markRead(s.a.id, { kind: 'user', peerId: s.b.id }, 10 ** 12)).toBe(m2.message.id);
    const m3 = await s.store.appendPublic({ sender: s.b, text: 'three', ts: 3 });
    const [summary] = await s.store.summarize(s.a.id, [pub]);
    expect(summary).toEqual({ key: pub, activity: m3.message.id, unread: 1, last: m3.message, readUpTo: m2.message.id });
  });

  test('unread counts messages from others after the mark: public, one-to-one, room (from the joining on)', async () => {
    await s.store.appendPublic({ sender: s.a, text: 'mine', ts: 1 });
    await s.store.appendPublic({ sender: s.b, text: 'theirs', ts: 2 });
    await s.store.appendPrivate({ sender: s.b, recipient: s.a, text: 'b to a', ts: 3 });
    const toB = await s.store.appendPrivate({ sender: s.a, recipient: s.b, text: 'a to b', ts: 4 });
    await s.store.appendPrivate({ sender: s.b, recipient: s.c, text: 'b to c', ts: 5 });
    const room = await newRoom(s.store, s.b, 'room');
    await s.store.appendRoom({ sender: s.b, room, text: 'before a joined', ts: 6 });
    await change(s.store, 'join', room, s.a);
    await s.store.appendRoom({ sender: s.b, room, text: 'after', ts: 7 });
    await s.store.appendRoom({ sender: s.a, room, text: 'own', ts: 8 });
    const summaries = await s.store.summarize(s.a.id, [pub, { kind: 'user', peerId: s.b.id }, { kind: 'room', roomId: room.id }]);
    expect(summaries.map((x) => [x.name, x.unread, x.last?.text])).toEqual([
      [undefined, 1, 'theirs'], // not its own; no mark yet: from the start (the server marks it at a user's creation)
      ['b', 1, 'a to b'],
      ['room', 1, 'own'],
    ]);
    await s.store.markRead(s.a.id, { kind: 'user', peerId: s.b.id }, toB.message.id);
    expect((await s.store.summarize(s.a.id, [{ kind: 'user', peerId: s.b.id }]))[0].unread).toBe(0);
  });

  test(`counting stops at ${UNREAD_COUNT_LIMIT}`, async () => {
    await Promise.all(Array.from({ length: UNREAD_COUNT_LIMIT + 5 }, (_, i) => s.store.appendPublic({ sender: s.b, text: `m${i}`, ts: i })));
    expect((await s.store.summarize(s.a.id, [pub]))[0].unread).toBe(UNREAD_COUNT_LIMIT);
  });

  test('conversations: public, every one-to-one with a message, every room one is in; newest activity first, paged', async () => {
    const room = await newRoom(s.store, s.a, 'quiet'); // no message: its activity is the joining
    await s.store.appendPrivate({ sender: s.c, recipient: s.a, text: 'from c', ts: 1 });
    await s.store.appendPublic({ sender: s.b, text: 'public', ts: 2 });
    const last = await s.store.appendPrivate({ sender: s.a, recipient: s.b, text: 'to b', ts: 3 });
    const other = await newRoom(s.store, s.b, 'not mine');
    await s.store.appendRoom({ sender: s.b, room: other, text: 'elsewhere', ts: 4 });
    const all = await s.store.conversations(s.a.id, { limit: 10 });
    expect(all.conversations.map((c) => [c.key.kind, c.name ?? null, c.last?.text ?? null])).toEqual([
      ['user', 'b', 'to b'],
      ['public', null, 'public'],
      ['user', 'c', 'from c'],
      ['room', 'quiet', null],
    ]);
    expect(all.conversations[0]).toMatchObject({ activity: last.message.id, unread: 0 });
    expect(all.hasMore).toBe(false);
    const first = await s.store.conversations(s.a.id, { limit: 2 });
    expect(first.hasMore).toBe(true);
    const rest = await s.store.conversations(s.a.id, { limit: 2, before: first.conversations[1].activity });
    expect(rest.conversations.map((c) => c.name ?? null)).toEqual(['c', 'quiet']);
    expect(rest.hasMore).toBe(false);
    await change(s.store, 'leave', room, s.a);
    expect((await s.store.conversations(s.a.id, { limit: 10 })).conversations.map((c) => c.name ?? null)).toEqual(['b', null, 'c']);
  });
});
