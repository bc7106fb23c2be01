/**
 * What only several nodes on one PostgreSQL database can break about rooms: a membership change made on one
 * node (a job in its lane, jobs.ts) reaches every node's feed in id order with its room's privacy, and
 * membership at commit decides a room message sent on another node (chat_append checks it under the same
 * lock). The guarantees every store gives are checked in store-rooms.test.ts.
 */
import { PostgresStore } from '../src/store/postgres';
import type { CommittedMember } from '../src/store/store';
import { recordFeed } from './feed-recorder';
import { createDatabase, describePostgres, type TestDatabase } from './postgres';
import { change, makeUser, newRoom } from './store-factories';

jest.setTimeout(60_000);

describePostgres('PostgresStore rooms, two nodes on one database', () => {
  let db: TestDatabase;
  let a: PostgresStore;
  let b: PostgresStore;
  beforeEach(async () => {
    db = await createDatabase();
    a = await PostgresStore.open(db.url, { poolSize: 3, applicationName: 'node-a' });
    b = await PostgresStore.open(db.url, { poolSize: 3, applicationName: 'node-b' });
  });
  afterEach(async () => {
    await Promise.all([a.close(), b.close()]);
    await db.drop();
  });

  test("one node's membership changes reach the other's feed once, in id order, between the messages around them", async () => {
    const owner = await makeUser(a, 'owner');
    const guest = await makeUser(a, 'guest');
    const feedB = recordFeed(b, 'node-b');
    const room = await newRoom(a, owner, 'hideout', true);
    const before = await b.appendRoom({ sender: owner, room, text: 'before', ts: 1 });
    const invited = await change(a, 'invite', room, owner, guest);
    const after = await b.appendRoom({ sender: guest, room, text: 'after', ts: 2 });
    const removed = await change(a, 'remove', room, owner, guest);
    expect('message' in before && 'message' in after).toBe(true);
    const last = removed.ok ? removed.entry!.id : 0;
    await feedB.until((heard) => heard.some((c) => c.id === last));
    expect(feedB.heard.map((c) => [c.id, c.kind === 'member' ? c.action : c.kind === 'message' ? c.message.text : c.kind])).toEqual([
      [last - 4, 'create'],
      [last - 3, 'before'],
      [last - 2, 'invite'],
      [last - 1, 'after'],
      [last, 'remove'],
    ]);
    const removal = feedB.heard.at(-1) as CommittedMember;
    expect(removal).toEqual({ kind: 'member', id: last, room: { id: room.id, name: 'hideout', private: true }, user: { id: guest.id, name: guest.name }, by: { id: owner.id, name: owner.name }, action: 'remove', ts: 2 });
    expect(await b.appendRoom({ sender: guest, room, text: 'too late', ts: 3 })).toEqual({ refused: 'not_member' });
  });

  test('a removal on one node racing messages on the other: every stored message has a lower id than the removal', async () => {
    const owner = await makeUser(a, 'owner');
    const guest = await makeUser(a, 'guest');
    const room = await newRoom(a, owner, 'race');
    for (let round = 0; round < 5; round++) {
      await change(a, 'invite', room, owner, guest);
      const sends = Array.from({ length: 20 }, (_, i) => b.appendRoom({ sender: guest, room, text: `r${round}-${i}`, ts: i }));
      const removal = change(a, 'remove', room, owner, guest);
      const [removed, ...sent] = await Promise.all([removal, ...sends]);
      const removedId = removed.ok ? removed.entry!.id : 0;
      for (const s of sent) if ('message' in s) expect(s.message.id).toBeLessThan(removedId);
    }
    const snapshotA = await a.memberships();
    const snapshotB = await b.memberships();
    expect(snapshotB).toEqual(snapshotA);
    expect(snapshotA.pairs).toEqual([[room.id, owner.id]]);
  });
});
