/**
 * Every event a limit counts, refused by its own limit (issue 22): within the limit each is answered `ok`; the
 * next is refused `rate_limited` with its `retryAfterMs` and leaves nothing behind (nothing stored, delivered or
 * relayed, no user created, no store query run for a refused read); after the wait it is allowed again. A flood of one event proving nothing about
 * another (privateMsg once went unlimited while every flood test sent `sendMsg`), the table below must list
 * every route whose pipeline counts a limit, and the events counted elsewhere (login, in sign-in.ts).
 * What the limits do beyond one event: rate-limits.test.ts, login-limits.test.ts, connection-limits.test.ts.
 */
import type { RateLimitConfig } from '../src/limits/rate-limits';
import type { ClientEvent } from '../src/protocol';
import { routesFor } from '../src/realtime/routes';
import { isLimiting } from '../src/realtime/middleware';
import { legacyKey, nameKey } from '../src/names';
import type { ChatStore } from '../src/store/store';
import { ack, flush, record, type Client, type TestServer } from './helpers';
import { retryAfter, useLimitedServer, waitOut } from './limited-server';

const limited = useLimitedServer();

/** Two per two seconds: short enough to wait out, long enough that a slow machine stays inside one window. */
const TWO = { points: 2, seconds: 2 };

interface Scene {
  /** Sends the event for the `i`-th time; resolves with its ack. */
  send(i: number): Promise<{ ok: boolean; error?: { code: string; retryAfterMs?: number } }>;
  /** What the accepted sends left behind so far, counted where it shows (after a round trip). */
  effects(): Promise<number>;
}

interface Row {
  limits: Partial<RateLimitConfig>;
  setUp(server: TestServer): Promise<Scene>;
}

/** A sender and a recipient, logged in; the recipient's `event` arrivals are the effects. */
async function pair(server: TestServer, event: 'allmessage' | 'privateMsg' | 'typing') {
  const { client: sender } = await server.login('sender');
  const { client: recipient } = await server.login('recipient');
  const seen = record(recipient, event);
  const effects = async () => {
    await flush(recipient);
    return seen.length;
  };
  return { sender, effects };
}

/** A sender and a recipient logged in, the store, and users by name as the store gives them. */
async function people(server: TestServer) {
  const { client: sender, res } = await server.login('sender');
  const { client: recipient } = await server.login('recipient');
  const store = server.app.services.store;
  const senderToken = res.token;
  const user = async (name: string) => {
    const found = (await store.findUser(nameKey(name)))!;
    return { id: found.id, name: found.name, displayName: found.displayName };
  };
  return { sender, senderToken, recipient, store, user };
}

/** `people`, and four public messages of the sender's stored directly (no limit counts them): their ids. */
async function withMessages(server: TestServer) {
  const scene = await people(server);
  const me = await scene.user('sender');
  const ids: number[] = [];
  for (let i = 0; i < 4; i++) ids.push((await scene.store.appendPublic({ sender: me, text: `message ${i}`, ts: Date.now() })).message.id);
  return { ...scene, ids };
}

/** How many of `seen` arrived at `client`, after a round trip. */
function seenBy(client: Client, seen: unknown[]) {
  return async () => {
    await flush(client);
    return seen.length;
  };
}

/** How many times the server's store was asked `methods` since (a refused read asks nothing). */
function counting(server: TestServer, methods: string[]) {
  let asked = 0;
  const store = server.app.services.store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const method of methods) {
    const original = store[method].bind(store);
    store[method] = (...args) => (asked++, original(...args));
  }
  return async () => asked;
}

const LIMITS = { maxRoomsPerUser: 100, maxMembersPerRoom: 100 };

async function newRoom(store: ChatStore, owner: { id: number; name: string }, name: string, isPrivate = false) {
  const outcome = await store.createRoom({ name, key: nameKey(name), sortKey: legacyKey(name), private: isPrivate, owner, ts: 1 }, LIMITS);
  if (!outcome.ok) throw new Error(`createRoom ${name}: ${outcome.refused}`);
  return outcome.room;
}

async function join(store: ChatStore, room: { id: number }, member: { id: number; name: string }) {
  const outcome = await store.changeMembership({ action: 'join', roomId: room.id, actor: member, user: member, ts: 1 }, LIMITS);
  if (!outcome.ok) throw new Error(`join: ${outcome.refused}`);
}

async function memberOf(store: ChatStore, rooms: Array<{ id: number }>, userId: number): Promise<number> {
  const states = await Promise.all(rooms.map((room) => store.membership(room.id, userId)));
  return states.filter((m) => m?.member).length;
}

async function memberCount(store: ChatStore, room: { id: number }): Promise<number> {
  return (await store.members(room.id, undefined, 100)).members.length;
}

const TABLE: Partial<Record<ClientEvent, Row>> = {
  sendMsg: {
    limits: { messagesBurst: TWO },
    async setUp(server) {
      const { sender, effects } = await pair(server, 'allmessage');
      return { send: (i) => ack(sender, 'sendMsg', { text: `public ${i}` }), effects };
    },
  },
  privateMsg: {
    limits: { messagesBurst: TWO },
    async setUp(server) {
      const { sender, effects } = await pair(server, 'privateMsg');
      return { send: (i) => ack(sender, 'privateMsg', { to: 'recipient', text: `private ${i}` }), effects };
    },
  },
  typing: {
    limits: { typing: TWO },
    async setUp(server) {
      const { sender, effects } = await pair(server, 'typing');
      return { send: () => ack(sender, 'typing', { to: 'recipient' }), effects };
    },
  },
  ...Object.fromEntries(
    (
      [
        ['users', {}],
        ['history', {}],
        ['sync', { after: 0 }],
      ] as const
    ).map(([event, payload]): [ClientEvent, Row] => [
      event,
      {
        // Counted per socket and per address (read-limits.test.ts); here the socket's limit refuses.
        limits: { readsPerSocket: TWO },
        async setUp(server) {
          const reader = await server.connect();
          // A read leaves nothing behind: what shows is the store, which must not have been asked.
          let asked = 0;
          const store = server.app.services.store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
          for (const method of ['listUsers', 'publicHistory', 'since']) {
            const original = store[method].bind(store);
            store[method] = (...args) => (asked++, original(...args));
          }
          return { send: () => ack(reader, event, payload), effects: async () => asked };
        },
      },
    ]),
  ),
  // Issues 17, 19 and 21: what a message costs.
  roomMsg: {
    limits: { messagesBurst: TWO },
    async setUp(server) {
      const { sender, recipient, store, user } = await people(server);
      const room = await newRoom(store, await user('sender'), 'talk');
      await join(store, room, await user('recipient'));
      const seen = record(recipient, 'roomMsg');
      return { send: (i) => ack(sender, 'roomMsg', { room: 'talk', text: `room ${i}` }), effects: seenBy(recipient, seen) };
    },
  },
  editMsg: {
    limits: { messagesBurst: TWO },
    async setUp(server) {
      const { sender, recipient, ids } = await withMessages(server);
      const seen = record(recipient, 'messageEdited');
      return { send: (i) => ack(sender, 'editMsg', { id: ids[i], text: `edited ${i}` }), effects: seenBy(recipient, seen) };
    },
  },
  deleteMsg: {
    limits: { messagesBurst: TWO },
    async setUp(server) {
      const { sender, recipient, ids } = await withMessages(server);
      const seen = record(recipient, 'messageDeleted');
      return { send: (i) => ack(sender, 'deleteMsg', { id: ids[i] }), effects: seenBy(recipient, seen) };
    },
  },
  signInCode: {
    limits: { messagesBurst: TWO },
    async setUp(server) {
      const { sender } = await people(server);
      const made = counting(server, ['addSignInCode']);
      return { send: () => ack(sender, 'signInCode', {}), effects: made };
    },
  },
  profile: {
    limits: { messagesBurst: TWO },
    async setUp(server) {
      const { sender, recipient } = await people(server);
      const seen = record(recipient, 'profileChanged');
      return { send: (i) => ack(sender, 'profile', { displayName: `Sender ${i}` }), effects: seenBy(recipient, seen) };
    },
  },
  // Issue 17: room changes, each its own kind of change.
  createRoom: {
    limits: { roomChanges: TWO },
    async setUp(server) {
      const { sender, store, user } = await people(server);
      const me = await user('sender');
      return {
        send: (i) => ack(sender, 'createRoom', { name: `made${i}` }),
        effects: async () => (await store.listRooms(me.id, { mine: true, limit: 100 })).rooms.length,
      };
    },
  },
  joinRoom: {
    limits: { roomChanges: TWO },
    async setUp(server) {
      const { sender, store, user } = await people(server);
      const owner = await user('recipient');
      const rooms = await Promise.all([0, 1, 2, 3].map((i) => newRoom(store, owner, `open${i}`)));
      const me = await user('sender');
      return { send: (i) => ack(sender, 'joinRoom', { room: `open${i}` }), effects: () => memberOf(store, rooms, me.id) };
    },
  },
  leaveRoom: {
    limits: { roomChanges: TWO },
    async setUp(server) {
      const { sender, store, user } = await people(server);
      const owner = await user('recipient');
      const me = await user('sender');
      const rooms = await Promise.all([0, 1, 2, 3].map((i) => newRoom(store, owner, `open${i}`)));
      for (const room of rooms) await join(store, room, me);
      return { send: (i) => ack(sender, 'leaveRoom', { room: `open${i}` }), effects: async () => rooms.length - (await memberOf(store, rooms, me.id)) };
    },
  },
  invite: {
    limits: { roomChanges: TWO },
    async setUp(server) {
      const { sender, store, user } = await people(server);
      const room = await newRoom(store, await user('sender'), 'hideout', true);
      for (let i = 0; i < 4; i++) await server.login(`guest${i}`);
      return { send: (i) => ack(sender, 'invite', { room: 'hideout', user: `guest${i}` }), effects: async () => (await memberCount(store, room)) - 1 };
    },
  },
  removeMember: {
    limits: { roomChanges: TWO },
    async setUp(server) {
      const { sender, store, user } = await people(server);
      const room = await newRoom(store, await user('sender'), 'club');
      for (let i = 0; i < 4; i++) {
        await server.login(`guest${i}`);
        await join(store, room, await user(`guest${i}`));
      }
      return { send: (i) => ack(sender, 'removeMember', { room: 'club', user: `guest${i}` }), effects: async () => 5 - (await memberCount(store, room)) };
    },
  },
  // Issue 17: the lists are reads like `users`; read marks have a limit of their own.
  ...Object.fromEntries(
    (
      [
        ['rooms', {}, 'listRooms'],
        ['members', { room: 'talk' }, 'members'],
        ['conversations', {}, 'conversations'],
      ] as const
    ).map(([event, payload, method]): [ClientEvent, Row] => [
      event,
      {
        limits: { readsPerSocket: TWO },
        async setUp(server) {
          const { sender, store, user } = await people(server);
          await newRoom(store, await user('sender'), 'talk');
          return { send: () => ack(sender, event, payload), effects: counting(server, [method]) };
        },
      },
    ]),
  ),
  read: {
    limits: { readMarks: TWO },
    async setUp(server) {
      const { sender, senderToken } = await people(server);
      const otherTab = (await server.login('sender', senderToken)).client;
      const seen = record(otherTab, 'read');
      return { send: (i) => ack(sender, 'read', { upTo: i + 1 }), effects: seenBy(otherTab, seen) };
    },
  },
  // Issue 19: blocking and reporting.
  block: {
    limits: { moderation: TWO },
    async setUp(server) {
      const { sender, store, user } = await people(server);
      for (let i = 0; i < 4; i++) await server.login(`pest${i}`);
      const me = await user('sender');
      return { send: (i) => ack(sender, 'block', { user: `pest${i}` }), effects: async () => (await store.blockedBy(me.id)).length };
    },
  },
  unblock: {
    limits: { moderation: TWO },
    async setUp(server) {
      const { sender, store, user } = await people(server);
      const me = await user('sender');
      for (let i = 0; i < 4; i++) {
        await server.login(`pest${i}`);
        await store.block(me.id, (await user(`pest${i}`)).id, 1);
      }
      return { send: (i) => ack(sender, 'unblock', { user: `pest${i}` }), effects: async () => 4 - (await store.blockedBy(me.id)).length };
    },
  },
  report: {
    limits: { moderation: TWO },
    async setUp(server) {
      const { ids, store } = await withMessages(server);
      const reader = (await server.login('reader')).client;
      return { send: (i) => ack(reader, 'report', { id: ids[i] }), effects: async () => (await store.reports({ limit: 100 })).reports.length };
    },
  },
  login: {
    limits: { loginsPerAddress: TWO },
    async setUp(server) {
      return {
        // A connection per login: what a login counts against is its address, whatever the connection.
        send: async (i) => ack(await server.connect(), 'login', { username: `person${i}` }),
        effects: async () => (await server.app.services.store.listUsers({ limit: 1000 })).users.length,
      };
    },
  },
};

test('the table lists every event a limit counts', () => {
  const counted = Object.entries(routesFor('open'))
    .filter(([, route]) => route.middleware.some(isLimiting))
    .map(([event]) => event);
  // Counted outside its pipeline: every login, by event or handshake, in sign-in.ts (claim).
  const elsewhere = ['login'];
  expect(Object.keys(TABLE).sort()).toEqual([...counted, ...elsewhere].sort());
});

describe.each(Object.entries(TABLE))('%s', (event, row) => {
  test('allowed within its limit, refused beyond it with nothing left behind, allowed again after the wait', async () => {
    const server = await limited.start(row!.limits);
    const scene = await row!.setUp(server);
    const before = await scene.effects();
    for (let i = 0; i < TWO.points; i++) expect({ event, i, answer: await scene.send(i) }).toMatchObject({ answer: { ok: true } });
    const wait = retryAfter(await scene.send(TWO.points));
    expect(wait).toBeLessThanOrEqual(TWO.seconds * 1000);
    expect(await scene.effects()).toBe(before + TWO.points);
    await waitOut(wait);
    expect(await scene.send(TWO.points + 1)).toMatchObject({ ok: true });
    expect(await scene.effects()).toBe(before + TWO.points + 1);
  });
});
