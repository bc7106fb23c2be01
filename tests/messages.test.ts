import type { PrivateMessage } from '../src/protocol';
import { FAST_HEARTBEAT, ack, disconnectSettled, flush, next, onceApp, record, startServer, type TestServer } from './helpers';

let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.close());

test('sendMsg: stored, broadcast to every client including the sender, acked with the message', async () => {
  const { client: alice } = await server.login('alice');
  const anonymous = await server.connect();
  const atAlice = next(alice, 'allmessage');
  const atAnon = next(anonymous, 'allmessage');
  const res = await ack(alice, 'sendMsg', { text: '  hello world  ' });
  expect(res).toEqual({ ok: true, message: { id: expect.any(Number), from: 'alice', fromName: 'alice', text: 'hello world', ts: expect.any(Number) } });
  const message = res.ok ? res.message : undefined;
  expect(await atAlice).toEqual(message);
  expect(await atAnon).toEqual(message);
  expect(await ack(anonymous, 'history', {})).toEqual({ ok: true, messages: [message], hasMore: false });
});

test('message ids increase; a sender\'s messages are stored in the order sent', async () => {
  const { client } = await server.login('ordered');
  const acks = await Promise.all(Array.from({ length: 20 }, (_, i) => ack(client, 'sendMsg', { text: `m${i}` })));
  const ids = acks.map((r) => (r.ok ? r.message.id : NaN));
  expect(ids).toEqual([...ids].sort((a, b) => a - b));
  expect(new Set(ids).size).toBe(20);
  const history = await ack(client, 'history', { limit: 100 });
  expect(history.ok && history.messages.map((m) => m.text)).toEqual(acks.map((_, i) => `m${i}`));
});

test('private message reaches both tabs of the recipient and the sender\'s other tab, never a third user', async () => {
  const { client: bobTab1, res: bob } = await server.login('bob');
  const bobTab2 = await server.connect();
  await ack(bobTab2, 'login', { username: 'bob', token: bob.token });
  const { client: aliceTab1, res: alice } = await server.login('alice');
  const aliceTab2 = await server.connect();
  await ack(aliceTab2, 'login', { username: 'alice', token: alice.token });
  const { client: eve } = await server.login('eve');
  const eveSaw = record(eve, 'privateMsg');
  const aliceTab1Saw = record(aliceTab1, 'privateMsg');

  const arrivals = [next(bobTab1, 'privateMsg'), next(bobTab2, 'privateMsg'), next(aliceTab2, 'privateMsg')];
  const res = await ack(aliceTab1, 'privateMsg', { to: 'BOB', text: 'secret' });
  expect(res).toEqual({
    ok: true,
    delivered: true,
    message: { id: expect.any(Number), from: 'alice', fromName: 'alice', to: 'bob', toName: 'bob', text: 'secret', ts: expect.any(Number) },
  });
  for (const got of await Promise.all(arrivals)) expect(got).toEqual(res.ok && res.message);

  await flush(eve);
  await flush(aliceTab1);
  expect(eveSaw).toEqual([]);
  expect(aliceTab1Saw).toEqual([]); // the sending tab has it from the ack
  expect(await ack(eve, 'history', { with: 'alice' })).toEqual({ ok: true, messages: [], hasMore: false });
  expect(await ack(eve, 'history', {})).toEqual({ ok: true, messages: [], hasMore: false });
  const bobView = await ack(bobTab1, 'history', { with: 'alice' });
  expect(bobView.ok && bobView.messages.map((m) => m.text)).toEqual(['secret']);
});

test('an offline recipient gets the message at its next login; once a socket proved it got it, never again', async () => {
  const quick = await startServer({}, { heartbeat: FAST_HEARTBEAT });
  try {
    const { client: zoe, res: zoeLogin } = await quick.login('zoe');
    await disconnectSettled(quick, zoe);
    const { client: yan } = await quick.login('yan');
    const sent = await ack(yan, 'privateMsg', { to: 'zoe', text: 'while you were away' });
    expect(sent).toMatchObject({ ok: true, delivered: false });

    const back = await quick.connect();
    const received: PrivateMessage[] = record(back, 'privateMsg');
    const arrived = next(back, 'privateMsg');
    const confirmed = onceApp(quick, 'delivered');
    await ack(back, 'login', { username: 'zoe', token: zoeLogin.token });
    expect(await arrived).toMatchObject({ from: 'yan', to: 'zoe', text: 'while you were away' });
    // The next heartbeat round trip of zoe's socket proves it got the message.
    expect(await confirmed).toEqual([expect.any(Number), [sent.ok && sent.message.id]]);

    const again = await quick.connect();
    const receivedAgain = record(again, 'privateMsg');
    await ack(again, 'login', { username: 'zoe', token: zoeLogin.token });
    await flush(again);
    await flush(back);
    expect(received).toHaveLength(1);
    expect(receivedAgain).toEqual([]);
  } finally {
    await quick.close();
  }
});

test('a message sent to a socket that never proved receipt is sent again at the next login', async () => {
  // Socket.IO's default heartbeat (25 s): no confirmation happens within this test.
  const { client: zoe, res: zoeLogin } = await server.login('zoe');
  const { client: yan } = await server.login('yan');
  const live = next(zoe, 'privateMsg');
  const sent = await ack(yan, 'privateMsg', { to: 'zoe', text: 'sent live, never confirmed' });
  expect(sent).toMatchObject({ ok: true, delivered: true });
  await live;
  await disconnectSettled(server, zoe);
  const back = await server.connect();
  const again = next(back, 'privateMsg');
  await ack(back, 'login', { username: 'zoe', token: zoeLogin.token });
  expect(await again).toEqual(sent.ok && sent.message);
});

test('a client that confirms receipt is not sent the message again', async () => {
  const { client: zoe, res: zoeLogin } = await server.login('zoe');
  const { client: yan } = await server.login('yan');
  const arrived = next(zoe, 'privateMsg');
  const sent = await ack(yan, 'privateMsg', { to: 'zoe', text: 'confirmed by the client' });
  const message = await arrived;
  expect(await ack(zoe, 'received', { ids: [message.id] })).toEqual({ ok: true });
  await disconnectSettled(server, zoe);
  const back = await server.connect();
  const pushed = record(back, 'privateMsg');
  await ack(back, 'login', { username: 'zoe', token: zoeLogin.token });
  await flush(back);
  expect(pushed).toEqual([]);
});

test('every queued private message is delivered at the next login, beyond one page', async () => {
  const { client: far, res } = await server.login('far');
  await disconnectSettled(server, far);
  const { client: near } = await server.login('near');
  const sent = [];
  for (let i = 0; i < 520; i += 40) {
    // 40 at a time: within the per-connection limit of 64 events waiting.
    sent.push(...(await Promise.all(Array.from({ length: 40 }, (_, j) => ack(near, 'privateMsg', { to: 'far', text: `q${i + j}` })))));
  }
  expect(sent.every((r) => r.ok)).toBe(true);
  const back = await server.connect();
  const pushed = record(back, 'privateMsg');
  await ack(back, 'login', { username: 'far', token: res.token });
  await flush(back);
  expect(pushed.map((m) => m.id)).toEqual(sent.map((r) => r.ok && r.message.id));
});

test('privateMsg to an unknown name is unknown_user; history with an unknown user too', async () => {
  const { client } = await server.login('solo');
  expect(await ack(client, 'privateMsg', { to: 'nobody', text: 'hi' })).toMatchObject({ ok: false, error: { code: 'unknown_user' } });
  expect(await ack(client, 'history', { with: 'nobody' })).toMatchObject({ ok: false, error: { code: 'unknown_user' } });
});

test('history pages backwards with before/limit, oldest first within a page, limit capped at 100', async () => {
  const { client } = await server.login('pager');
  for (let i = 0; i < 130; i++) await ack(client, 'sendMsg', { text: `n${i}` });
  const first = await ack(client, 'history', { limit: 1000 });
  if (!first.ok) throw new Error('history failed');
  expect(first.messages).toHaveLength(100);
  expect(first.hasMore).toBe(true);
  expect(first.messages[0].text).toBe('n30');
  expect(first.messages[99].text).toBe('n129');
  const second = await ack(client, 'history', { before: first.messages[0].id, limit: 100 });
  expect(second.ok && second.messages.map((m) => m.text)).toEqual(Array.from({ length: 30 }, (_, i) => `n${i}`));
  expect(second.ok && second.hasMore).toBe(false);
  const small = await ack(client, 'history', { limit: 5 });
  expect(small.ok && small.messages.map((m) => m.text)).toEqual(['n125', 'n126', 'n127', 'n128', 'n129']);
});

test('private history pages through one conversation only', async () => {
  const { client: a } = await server.login('pa');
  const { client: b } = await server.login('pb');
  await server.login('pc');
  for (let i = 0; i < 7; i++) {
    await ack(a, 'privateMsg', { to: 'pb', text: `ab${i}` });
    await ack(b, 'privateMsg', { to: 'pa', text: `ba${i}` });
    await ack(a, 'privateMsg', { to: 'pc', text: `ac${i}` });
  }
  const page1 = await ack(a, 'history', { with: 'pb', limit: 10 });
  if (!page1.ok) throw new Error('history failed');
  expect(page1.messages.every((m) => 'to' in m && [m.from, m.to].sort().join() === 'pa,pb')).toBe(true);
  const page2 = await ack(a, 'history', { with: 'pb', limit: 10, before: page1.messages[0].id });
  expect(page2.ok && page2.messages.length).toBe(4);
  expect(page2.ok && page2.hasMore).toBe(false);
});

test('users lists known users with online state; history of a conversation needs login', async () => {
  const { client: u1 } = await server.login('u1');
  const { client: u2 } = await server.login('u2');
  await disconnectSettled(server, u2);
  expect(await ack(u1, 'users', {})).toEqual({ ok: true, users: [{ name: 'u1', displayName: 'u1', online: true }, { name: 'u2', displayName: 'u2', online: false }], hasMore: false });
  const anon = await server.connect();
  expect(await ack(anon, 'history', { with: 'u1' })).toMatchObject({ ok: false, error: { code: 'not_logged_in' } });
});

test('typing is relayed to everyone else, or only to the named user', async () => {
  const { client: t1 } = await server.login('t1');
  const { client: t2 } = await server.login('t2');
  const { client: t3 } = await server.login('t3');
  const t1Saw = record(t1, 'typing');
  const atT2 = next(t2, 'typing');
  const atT3 = next(t3, 'typing');
  expect(await ack(t1, 'typing', {})).toEqual({ ok: true });
  expect(await atT2).toEqual({ from: 't1', fromName: 't1' });
  expect(await atT3).toEqual({ from: 't1', fromName: 't1' });
  const t3Saw = record(t3, 'typing');
  const privately = next(t2, 'typing');
  await ack(t1, 'typing', { to: 't2' });
  expect(await privately).toEqual({ from: 't1', fromName: 't1', to: 't2' });
  await flush(t3);
  await flush(t1);
  expect(t3Saw).toEqual([]);
  expect(t1Saw).toEqual([]);
});

test('events that need a login answer not_logged_in when none comes, and store nothing', async () => {
  const impatient = await startServer({}, { preLoginWaitMs: 100 });
  try {
    const anon = await impatient.connect();
    // Sent at once, they wait for a login (see tutorial.test.ts); none comes, so they are refused in order.
    const answers = [
      ack(anon, 'sendMsg', { text: 'x' }),
      ack(anon, 'privateMsg', { to: 'a', text: 'x' }),
      ack(anon, 'typing', {}),
      ack(anon, 'received', { ids: [1] }),
      ack(anon, 'logout', {}),
    ];
    for (const answer of await Promise.all(answers)) expect(answer).toMatchObject({ ok: false, error: { code: 'not_logged_in' } });
    expect(await ack(anon, 'history', {})).toEqual({ ok: true, messages: [], hasMore: false });
  } finally {
    await impatient.close();
  }
});
