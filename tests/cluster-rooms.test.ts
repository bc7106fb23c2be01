/**
 * Rooms in cluster mode (issue 17), with real processes: two nodes (dist/index.js) on one PostgreSQL and a
 * redis-server, nginx in front. A member on one node receives a room message sent on the other; membership
 * changes made on one node take effect for the user's connections on every node (each node follows the
 * store's ordered commit feed); read marks clear the other tabs across nodes; nothing of a private room reaches
 * an outsider's connection, nor anything committed after a removal the removed member's tab on the other node.
 */
import { describeCluster, startCluster, type TestCluster } from './cluster-harness';
import { arrives, Clients } from './cluster-clients';
import { ack, flush, record, type Client } from './helpers';
import type { SessionInfo } from '../src/protocol';

jest.setTimeout(120_000);

/** These clients send as fast as acks come: the message limits, meant for people, are raised. */
const CHATTY = { RATE_LIMIT_MESSAGES_BURST: '1000/10', RATE_LIMIT_MESSAGES: '5000/60' };

describeCluster('rooms on two nodes', () => {
  let cluster: TestCluster;
  const clients = new Clients();
  beforeAll(async () => {
    cluster = await startCluster(2, CHATTY);
  });
  afterAll(async () => {
    await clients.closeAll();
    await cluster?.close();
  });

  const url = (i: number) => cluster.nodes[i].url;
  const login = async (i: number, auth: Record<string, unknown>): Promise<[Client, SessionInfo]> => {
    const { client, session } = await clients.login(url(i), auth);
    return [client, session];
  };

  test('messages, invitations, removals and read marks cross nodes; an outsider on either node sees nothing of it', async () => {
    const [owner] = await login(0, { username: 'owner' });
    const [guest0, guestSession] = await login(0, { username: 'guest' });
    const [guest1] = await login(1, { token: guestSession.token });
    const [outsider] = await login(1, { username: 'outsider' });
    const outsiderSaw: unknown[] = [];
    outsider.onAny((event, ...args) => outsiderSaw.push([event, ...args]));

    expect(await ack(owner, 'createRoom', { name: 'Backroom', private: true })).toMatchObject({ ok: true });
    const invitedThere = arrives(guest1, 'roomMember', (c) => c.action === 'invite', 'the invitation on node 1');
    expect(await ack(owner, 'invite', { room: 'backroom', user: 'guest' })).toMatchObject({ ok: true });
    expect(await invitedThere).toMatchObject({ room: 'Backroom', private: true, user: 'guest', by: 'owner' });

    // Node 0 → node 1, and back.
    const there = arrives(guest1, 'roomMsg', (m) => m.text === 'from node 0', 'a room message on node 1');
    const sent = await ack(owner, 'roomMsg', { room: 'backroom', text: 'from node 0' });
    expect(await there).toEqual(sent.ok && sent.message);
    const back = arrives(owner, 'roomMsg', (m) => m.text === 'from node 1', 'a room message on node 0');
    const guest0Got = arrives(guest0, 'roomMsg', (m) => m.text === 'from node 1', "the sender's other tab, on node 0");
    await ack(guest1, 'roomMsg', { room: 'backroom', text: 'from node 1' });
    await Promise.all([back, guest0Got]);

    // A read mark made on node 0 clears the tab on node 1.
    const marked = arrives(guest1, 'read', (r) => r.room === 'Backroom', 'the read mark on node 1');
    const upTo = sent.ok ? sent.message.id : 0;
    expect(await ack(guest0, 'read', { room: 'backroom', upTo })).toEqual({ ok: true, upTo });
    expect(await marked).toEqual({ upTo, room: 'Backroom' });

    // Removed on node 0: the tab on node 1 is told, and gets nothing committed afterwards, live or by sync.
    const removedThere = arrives(guest1, 'roomMember', (c) => c.action === 'remove', 'the removal on node 1');
    const removal = await ack(owner, 'removeMember', { room: 'backroom', user: 'guest' });
    expect(await removedThere).toMatchObject({ seq: removal.ok && removal.seq, user: 'guest' });
    const afterwards = [record(guest0, 'roomMsg'), record(guest1, 'roomMsg')];
    const late = await ack(owner, 'roomMsg', { room: 'backroom', text: 'after the removal' });
    // The same node's feed delivers in id order: a public message sent after it arriving proves it was not sent.
    const fence = [arrives(guest0, 'allmessage', (m) => m.text === 'fence', 'the fence on node 0'), arrives(guest1, 'allmessage', (m) => m.text === 'fence', 'the fence on node 1')];
    await ack(owner, 'sendMsg', { text: 'fence' });
    await Promise.all(fence);
    expect(afterwards).toEqual([[], []]);
    const synced = await ack(guest1, 'sync', { after: upTo });
    expect(synced.ok && synced.messages.map((m) => m.text)).toEqual(['from node 1', 'fence']);
    expect(synced.ok && synced.changes.map((c) => c.type === 'member' && c.action)).toEqual(['remove']);
    expect(late.ok && synced.ok && synced.messages.some((m) => m.id === late.message.id)).toBe(false);

    await flush(outsider);
    expect(JSON.stringify(outsiderSaw).toLowerCase()).not.toContain('backroom');
    expect(await ack(outsider, 'members', { room: 'backroom' })).toMatchObject({ ok: false, error: { code: 'unknown_room' } });
  });

  test('joining and leaving on one node takes effect for the same user on the other node', async () => {
    const [host] = await login(0, { username: 'host' });
    const [walker1, walkerSession] = await login(1, { username: 'walker' });
    const [walker0] = await login(0, { token: walkerSession.token });
    await ack(host, 'createRoom', { name: 'plaza' });
    const joinedHere = arrives(walker0, 'roomMember', (c) => c.action === 'join', 'the join on node 0');
    await ack(walker1, 'joinRoom', { room: 'plaza' });
    await joinedHere;
    const both = [arrives(walker0, 'roomMsg', (m) => m.text === 'welcome', 'node 0'), arrives(walker1, 'roomMsg', (m) => m.text === 'welcome', 'node 1')];
    await ack(host, 'roomMsg', { room: 'plaza', text: 'welcome' });
    await Promise.all(both);

    const leftHere = arrives(walker0, 'roomMember', (c) => c.action === 'leave', 'the leave on node 0');
    await ack(walker1, 'leaveRoom', { room: 'plaza' });
    await leftHere;
    const gone = [record(walker0, 'roomMsg'), record(walker1, 'roomMsg')];
    await ack(host, 'roomMsg', { room: 'plaza', text: 'after the leave' });
    const fence = [arrives(walker0, 'allmessage', (m) => m.text === 'plaza fence', 'node 0'), arrives(walker1, 'allmessage', (m) => m.text === 'plaza fence', 'node 1')];
    await ack(host, 'sendMsg', { text: 'plaza fence' });
    await Promise.all(fence);
    expect(gone).toEqual([[], []]);
  });

  test('a removal on one node racing messages sent on the other: nothing committed after it reaches the removed member', async () => {
    const [boss] = await login(0, { username: 'boss' });
    const [chatter] = await login(1, { username: 'chatter' });
    const [talker1, talkerSession] = await login(1, { username: 'talker' });
    const [talker0] = await login(0, { token: talkerSession.token });
    await ack(boss, 'createRoom', { name: 'race', private: true });
    await ack(boss, 'invite', { room: 'race', user: 'talker' });
    await ack(boss, 'invite', { room: 'race', user: 'chatter' });
    const seen = [record(talker0, 'roomMsg'), record(talker1, 'roomMsg')];
    const removedSeen = [arrives(talker0, 'roomMember', (c) => c.action === 'remove', 'node 0'), arrives(talker1, 'roomMember', (c) => c.action === 'remove', 'node 1')];
    // The chatter's and the talker's sends on node 1 race the boss's removal on node 0; more follow it.
    const burst = (from: number) =>
      Array.from({ length: 20 }, (_, i) => ack(i % 4 === 0 ? talker1 : chatter, 'roomMsg', { room: 'race', text: `r${from + i}` }));
    const during = burst(0);
    const removed = await ack(boss, 'removeMember', { room: 'race', user: 'talker' });
    const acks = [...(await Promise.all(during)), ...(await Promise.all(burst(20)))];
    const seq = removed.ok ? removed.seq! : 0;
    await Promise.all(removedSeen);
    const fence = [arrives(talker0, 'allmessage', (m) => m.text === 'race fence', 'node 0'), arrives(talker1, 'allmessage', (m) => m.text === 'race fence', 'node 1')];
    await ack(boss, 'sendMsg', { text: 'race fence' });
    await Promise.all(fence);
    const stored = acks.flatMap((a) => (a.ok ? [a.message.id] : []));
    expect(stored.filter((id) => id > seq).length).toBeGreaterThan(0);
    for (const got of seen) {
      expect(got.filter((m) => m.id > seq)).toEqual([]);
      expect(new Set(got.map((m) => m.id)).size).toBe(got.length); // at most once
    }
    const beforeRemoval = stored.filter((id) => id < seq && !acks.some((a) => a.ok && a.message.id === id && a.message.from === 'talker'));
    for (const id of beforeRemoval) expect(seen[0].some((m) => m.id === id)).toBe(true); // node 0's tab got everyone else's before it
    // The talker's own sends after the removal were refused (for a private room, as a room nobody has).
    for (const a of acks) if (!a.ok) expect(a.error.code).toBe('unknown_room');
  });
});
