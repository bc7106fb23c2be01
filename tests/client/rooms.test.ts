/**
 * The client library with rooms and moderation (issues 17, 19): a room's messages, its membership changes,
 * edits and deletions reach the application once each, live or from the catch-up after a reconnection, in log
 * order; read marks reach the user's other devices; and the bot of examples/time-bot.mjs answers in a room.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { PROJECT_ROOT } from '../../bench/launcher';
import { memoryStore } from '../../client/index';
import { within } from '../helpers';
import { Clients, eachProxiedServer, repeats, texts, until, type Recorded } from './harness';

const clients = new Clients();
const env = eachProxiedServer(clients);

/** Each change's position, kind and subject, as the application saw them. */
const changes = (r: Recorded) => r.changes.map((c) => (c.type === 'member' ? `${c.seq} member ${c.action} ${c.user}` : `${c.seq} ${c.type} #${c.id}`));

function ok<T extends { ok: boolean }>(res: T): Extract<T, { ok: true }> {
  if (!res.ok) throw new Error(`refused: ${JSON.stringify(res)}`);
  return res as Extract<T, { ok: true }>;
}

test("a room's messages, membership changes, edits and deletions reach the application once each, live or after a reconnection", async () => {
  const alice = await clients.user(env.server.url, 'alice');
  const bob = await clients.user(env.via, 'bob');
  await env.server.login('carol');

  ok(await alice.client.createRoom({ name: 'team', private: true }));
  const invited = ok(await alice.client.invite('team', 'bob'));
  const first = ok(await alice.client.sendToRoom('team', 'first')).message;
  await until(bob, () => bob.messages.length === 1, 'bob got the first message');
  expect(bob.messages[0]).toMatchObject({ kind: 'room', room: 'team', from: 'alice', text: 'first', mine: false });
  expect(changes(bob)).toEqual([`${invited.seq} member invite bob`]);

  // Bob is away while a message is sent and deleted, the first one edited, and carol invited.
  env.proxy.block();
  await env.proxy.cut();
  const gone = ok(await alice.client.sendToRoom('team', 'soon gone')).message;
  const edited = ok(await alice.client.editMessage(first.id, 'first, edited'));
  ok(await alice.client.deleteMessage(gone.id));
  const carol = ok(await alice.client.invite('team', 'carol'));
  env.proxy.heal();
  await until(bob, () => bob.client.caughtUp && bob.changes.length === 4, 'bob caught up');
  // The catch-up gives messages as they are now (the deleted one a tombstone) and the changes, in log order.
  expect(bob.messages[1]).toMatchObject({ id: gone.id, kind: 'room', text: '', deletedAt: expect.any(Number) });
  expect(changes(bob).slice(1)).toEqual([expect.stringMatching(/^\d+ edit #\d+$/), expect.stringMatching(/^\d+ delete #\d+$/), `${carol.seq} member invite carol`]);
  expect(bob.changes[1]).toMatchObject({ type: 'edit', id: first.id, text: 'first, edited', editedAt: edited.message.editedAt });
  expect(bob.changes[2]).toMatchObject({ type: 'delete', id: gone.id });

  // Live again: an edit and a removal arrive once, and a reconnection hands nothing over twice.
  ok(await alice.client.editMessage(first.id, 'first, again'));
  await until(bob, () => bob.changes.length === 5, 'the live edit');
  env.server.app.io.in(bob.client.socket.id!).disconnectSockets(true);
  await until(bob, () => bob.synced === 3, 'bob back after the server let go');
  ok(await alice.client.removeMember('team', 'bob'));
  await until(bob, () => bob.changes.length === 6, 'the removal');
  expect(bob.changes[5]).toMatchObject({ type: 'member', action: 'remove', user: 'bob', room: 'team' });
  const positions = bob.changes.map((c) => c.seq);
  expect(new Set(positions).size).toBe(positions.length);
  expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  expect(repeats(bob)).toEqual([]);
  expect(texts(bob)).toEqual(['first', '']);
  // Removed, bob reads nothing more of the room.
  ok(await alice.client.sendToRoom('team', 'after bob left'));
  const history = await bob.client.history({ room: 'team' });
  expect(history).toMatchObject({ ok: false, error: { code: 'unknown_room' } });
});

test("a read mark made on one device reaches the user's other devices; conversations count what is unread", async () => {
  const alice = await clients.user(env.server.url, 'alice');
  const sessionStore = memoryStore();
  const phone = await clients.user(env.server.url, 'bob', { sessionStore });
  const laptop = await clients.user(env.server.url, 'bob', { sessionStore }); // the kept token: the same user
  ok(await alice.client.createRoom({ name: 'news' }));
  ok(await phone.client.joinRoom('news'));
  await until(laptop, () => laptop.changes.some((c) => c.type === 'member' && c.action === 'join'), 'the laptop saw the join');
  const sent = [];
  for (const text of ['one', 'two', 'three']) sent.push(ok(await alice.client.sendToRoom('news', text)).message);
  await until(laptop, () => laptop.messages.length === 3, 'the laptop got the three');

  const unread = () => laptop.client.conversations().then((res) => ok(res).conversations.find((c) => c.room === 'news'));
  expect(await unread()).toMatchObject({ unread: 3 });
  const marks: unknown[] = [];
  laptop.client.on('read', (mark) => marks.push(mark));
  ok(await phone.client.markRead({ room: 'news', upTo: sent[1].id }));
  await until(laptop, () => marks.length === 1, 'the mark on the laptop');
  expect(marks).toEqual([{ room: 'news', upTo: sent[1].id }]);
  expect(await unread()).toMatchObject({ unread: 1, readUpTo: sent[1].id });
});

test("a client with no cursor starts at the newest message of the user's conversations, a room's included", async () => {
  const sessionStore = memoryStore();
  const first = await clients.user(env.server.url, 'alice', { sessionStore });
  ok(await first.client.createRoom({ name: 'quiet' }));
  let last = 0;
  for (const text of ['one', 'two']) last = ok(await first.client.sendToRoom('quiet', text)).message.id;
  const later = await clients.user(env.server.url, 'alice', { sessionStore });
  expect(later.client.cursor).toBe(last);
  expect(later.messages).toEqual([]);
  const fromStart = await clients.user(env.server.url, 'alice', { sessionStore, start: 'beginning' });
  expect(texts(fromStart)).toEqual(['one', 'two']);
});

test('the bot of examples/time-bot.mjs answers each !time in its room once, also one made while it was cut off, but not a stale one; it stops on SIGTERM', async () => {
  // A server whose clock the test can set back, to date a request two minutes ago.
  let skew = 0;
  await env.restart({}, { now: () => Date.now() + skew });
  const asker = await clients.user(env.server.url, 'asker');
  ok(await asker.client.createRoom({ name: 'lobby' }));

  const bot = spawn(process.execPath, ['examples/time-bot.mjs'], { cwd: PROJECT_ROOT, env: { PATH: process.env.PATH ?? '', CHAT_URL: env.via, BOT_ROOM: 'lobby' } });
  let stdout = '';
  let stderr = '';
  bot.stdout.on('data', (chunk) => (stdout += chunk));
  bot.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = once(bot, 'close');
  const answers = () => asker.messages.filter((m) => m.from === 'time-bot');
  try {
    await until(asker, () => asker.changes.some((c) => c.type === 'member' && c.user === 'time-bot' && c.action === 'join'), 'the bot joined');
    const before = Date.now();
    ok(await asker.client.sendToRoom('lobby', '!time'));
    ok(await asker.client.sendToRoom('lobby', 'what time is it?'));
    await until(asker, () => answers().length === 1, 'the answer');
    expect(answers()[0]).toMatchObject({ kind: 'room', room: 'lobby', text: expect.stringMatching(/^asker: it is \d{4}-\d\d-\d\dT[\d:.]+Z$/) });
    const told = Date.parse(answers()[0].text.slice('asker: it is '.length));
    expect(told).toBeGreaterThanOrEqual(before - 1000);
    expect(told).toBeLessThanOrEqual(Date.now() + 1000);

    // Cut off, the bot misses a request: it comes with the bot's catch-up, and is answered then.
    env.proxy.block();
    await env.proxy.cut();
    ok(await asker.client.sendToRoom('lobby', '!time'));
    env.proxy.heal();
    await until(asker, () => answers().length === 2, 'the answer after the bot came back');

    // A request dated two minutes ago is stale: left unanswered. The next one, from someone else, is answered,
    // after the stale one would have been.
    skew = -120_000;
    ok(await asker.client.sendToRoom('lobby', '!time'));
    skew = 0;
    const late = await clients.user(env.server.url, 'late');
    ok(await late.client.joinRoom('lobby'));
    ok(await late.client.sendToRoom('lobby', '!time'));
    await until(asker, () => answers().some((m) => m.text.startsWith('late: ')), 'the answer to the fresh request');
    expect(answers().map((m) => m.text.split(':')[0])).toEqual(['asker', 'asker', 'late']);
  } finally {
    bot.kill('SIGTERM');
  }
  const [code] = await within(exited, 'the bot stopping by itself after SIGTERM', 10_000);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(stdout).toBe('answering !time in lobby\n');
  // Three answers to four requests, each stored once.
  const history = ok(await asker.client.history({ room: 'lobby' }));
  expect(history.messages.filter((m) => m.from === 'time-bot')).toHaveLength(3);
  expect(repeats(asker)).toEqual([]);
});
