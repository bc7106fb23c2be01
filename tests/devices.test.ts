/**
 * One person, several devices (issue 21): sessions per device, sign-in codes (from a signed-in device or an
 * admin), ending sessions, and log-out that keeps the account.
 */
import { io } from 'socket.io-client';
import type { SessionInfo } from '../src/protocol';
import { normalizeCode } from '../src/sign-in-codes';
import { ack, closeClient, disconnectSettled, flush, next, record, startServer, within, type Client, type TestServer } from './helpers';
import { useLimitedServer } from './limited-server';

const ADMIN_TOKEN = 'an-admin-token-for-tests';
const MINUTE = 60_000;

describe('open mode', () => {
  let server: TestServer;
  let clock = Date.UTC(2026, 0, 1);
  beforeEach(async () => {
    clock = Date.UTC(2026, 0, 1);
    server = await startServer({ adminToken: ADMIN_TOKEN }, { now: () => clock });
  });
  afterEach(() => server.close());

  const opened: Client[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map(closeClient));
  });

  /** A device connecting with handshake `auth`; resolves with its session event or rejects with the connect_error. */
  function device(auth: Record<string, unknown>, userAgent?: string): { client: Client; session: Promise<SessionInfo> } {
    const client: Client = io(server.url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      auth,
      ...(userAgent !== undefined && { extraHeaders: { 'user-agent': userAgent } }),
    });
    opened.push(client);
    const session = new Promise<SessionInfo>((resolve, reject) => {
      client.once('session', resolve);
      client.once('connect_error', reject);
    });
    return { client, session: within(session, 'the handshake') };
  }

  test('a code from a signed-in device opens a new session of the same user, with a token of its own, once', async () => {
    const { client: laptop, res: first } = await server.login('ann');
    const made = await ack(laptop, 'signInCode', {});
    expect(made).toEqual({ ok: true, code: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/), expiresAt: clock + 10 * MINUTE });
    const code = made.ok ? made.code : '';

    const phone = await server.connect();
    const opened = await ack(phone, 'login', { code: code.toLowerCase().replace('-', ' ') }); // as typed on a phone
    expect(opened).toEqual({ ok: true, user: { name: 'ann', displayName: 'ann' }, token: expect.any(String), sessionId: expect.any(String), online: ['ann'], onlineCount: 1, blocked: [] });
    if (!opened.ok || !first.token) throw new Error('unreachable');
    expect(opened.token).not.toBe(first.token);
    expect(opened.sessionId).not.toBe(first.sessionId);

    // Used: it opens nothing any more, on the event or in the handshake.
    expect(await ack(await server.connect(), 'login', { code })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    await expect(device({ code }).session).rejects.toMatchObject({ data: { code: 'unauthorized' } });

    // Each device's token opens the same user from now on: private messages reach both.
    const { session: again } = device({ token: opened.token });
    expect(await again).toMatchObject({ user: { name: 'ann' }, token: opened.token, sessionId: opened.sessionId });
    const { client: bob } = await server.login('bob');
    const atLaptop = next(laptop, 'privateMsg');
    const atPhone = next(phone, 'privateMsg');
    await ack(bob, 'privateMsg', { to: 'ann', text: 'on every device' });
    expect((await atLaptop).text).toBe('on every device');
    expect((await atPhone).text).toBe('on every device');
  });

  test('a code in the handshake, and typed with look-alike letters; a code expires', async () => {
    const { client: laptop } = await server.login('cy');
    const made = await ack(laptop, 'signInCode', {});
    if (!made.ok) throw new Error(made.error.code);
    const typed = made.code.replace(/0/g, 'O').replace(/1/g, 'l');
    expect(normalizeCode(typed)).toBe(made.code.replace('-', ''));
    expect(await device({ code: typed }).session).toMatchObject({ user: { name: 'cy' }, token: expect.any(String) });

    const late = await ack(laptop, 'signInCode', {});
    if (!late.ok) throw new Error(late.error.code);
    clock = late.expiresAt;
    expect(await ack(await server.connect(), 'login', { code: late.code })).toMatchObject({ ok: false, error: { code: 'unauthorized', message: expect.stringContaining('expired') } });
  });

  test('codes: not beside a name or a token, not on a logged-in connection, not made by a tutorial login that joined without the token', async () => {
    const { client: owner } = await server.login('dee');
    const made = await ack(owner, 'signInCode', {});
    if (!made.ok) throw new Error(made.error.code);
    const anon = await server.connect();
    expect(await ack(anon, 'login', { code: made.code, username: 'dee' })).toMatchObject({ ok: false, error: { code: 'invalid_payload' } });
    await expect(device({ code: made.code, token: 'x' }).session).rejects.toMatchObject({ data: { code: 'invalid_payload' } });
    expect(await ack(owner, 'login', { code: made.code })).toMatchObject({ ok: false, error: { code: 'already_logged_in' } });
    expect(await ack(anon, 'login', { code: made.code })).toMatchObject({ ok: true, user: { name: 'dee' } }); // not consumed above

    const creator = await server.connect();
    expect(await ack(creator, 'login', { id: 'tutor' })).toMatchObject({ ok: true, token: expect.any(String) });
    const joiner = await server.connect();
    expect(await ack(joiner, 'login', { id: 'tutor' })).toMatchObject({ ok: true });
    expect(await ack(joiner, 'signInCode', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await ack(creator, 'signInCode', {})).toMatchObject({ ok: true });
    expect(await ack(joiner, 'sessions', {})).toMatchObject({ ok: true, sessions: [{ current: false }] });
  });

  test('sessions lists each device with when and from where; endSession ends one at once, and its token opens nothing', async () => {
    const laptop = device({ username: 'eve' }, 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0');
    const first = await laptop.session;
    const made = await ack(laptop.client, 'signInCode', {});
    if (!made.ok) throw new Error(made.error.code);
    clock += MINUTE;
    const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
    const phone = device({ code: made.code }, iphone);
    const second = await phone.session;
    const phoneTab = device({ token: second.token! }, iphone);
    await phoneTab.session;

    const listed = await ack(laptop.client, 'sessions', {});
    expect(listed).toEqual({
      ok: true,
      sessions: [
        { id: second.sessionId, current: false, createdAt: clock, lastSeenAt: clock, address: '127.0.0.1', agent: 'Safari 17 on iOS' },
        { id: first.sessionId, current: true, createdAt: clock - MINUTE, lastSeenAt: clock - MINUTE, address: '127.0.0.1', agent: 'Firefox 128 on Linux' },
      ],
    });

    const notices = [phone.client, phoneTab.client].map((c) => next(c, 'msg1', (n) => n.type === 'error'));
    const gone = [phone.client, phoneTab.client].map((c) => new Promise<string>((resolve) => c.once('disconnect', resolve)));
    expect(await ack(laptop.client, 'endSession', { id: second.sessionId })).toEqual({ ok: true, ended: 1 });
    for (const notice of notices) expect(await notice).toMatchObject({ code: 'session_ended' });
    expect(await within(Promise.all(gone), 'the phone disconnected')).toEqual(['io server disconnect', 'io server disconnect']);
    await expect(device({ token: second.token! }).session).rejects.toMatchObject({ data: { code: 'unauthorized' } });
    expect(await ack(await server.connect(), 'login', { username: 'eve', token: second.token })).toMatchObject({ ok: false, error: { code: 'username_taken' } });
    expect(await ack(laptop.client, 'endSession', { id: second.sessionId })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    // The laptop is untouched.
    expect(await ack(laptop.client, 'sendMsg', { text: 'still here' })).toMatchObject({ ok: true });
  });

  test("endSession { others: true } signs every other device out; one's own id signs this one out after the answer", async () => {
    const { client: main, res } = await server.login('fay');
    const others = [];
    for (let i = 0; i < 3; i++) {
      const made = await ack(main, 'signInCode', {});
      if (!made.ok) throw new Error(made.error.code);
      others.push(device({ code: made.code }));
    }
    const tokens = (await Promise.all(others.map((o) => o.session))).map((s) => s.token!);
    const gone = others.map((o) => new Promise<void>((resolve) => o.client.once('disconnect', () => resolve())));
    expect(await ack(main, 'endSession', { others: true })).toEqual({ ok: true, ended: 3 });
    await within(Promise.all(gone), 'the other devices disconnected');
    for (const token of tokens) await expect(device({ token }).session).rejects.toMatchObject({ data: { code: 'unauthorized' } });
    expect(await ack(main, 'sessions', {})).toMatchObject({ ok: true, sessions: [{ id: res.sessionId, current: true }] });

    const mine = new Promise<string>((resolve) => main.once('disconnect', resolve));
    expect(await ack(main, 'endSession', { id: res.sessionId })).toEqual({ ok: true, ended: 1 });
    expect(await within(mine, 'this device signed out')).toBe('io server disconnect');
    await expect(device({ token: res.token }).session).rejects.toMatchObject({ data: { code: 'unauthorized' } });
  });

  test('a session ended while its login is being bound does not stay connected', async () => {
    const { client: main, res } = await server.login('gil');
    const made = await ack(main, 'signInCode', {});
    if (!made.ok) throw new Error(made.error.code);
    const other = await ack(await server.connect(), 'login', { code: made.code });
    if (!other.ok) throw new Error(other.error.code);
    // The store answers the token's lookup, then the session is ended before the login binds the socket.
    const { store } = server.app.services;
    const findSession = store.findSession.bind(store);
    let ended: Promise<unknown> | undefined;
    store.findSession = async (hash) => {
      const found = await findSession(hash);
      ended = store.endSessions(found!.user.id, { id: other.sessionId! });
      await ended;
      return found;
    };
    const late = await server.connect();
    const answer = await ack(late, 'login', { username: 'gil', token: other.token });
    store.findSession = findSession;
    expect(answer).toMatchObject({ ok: false, error: { code: 'session_ended' } });
    expect(await ack(late, 'sendMsg', { text: 'should not be sent' })).toMatchObject({ ok: false, error: { code: 'not_logged_in' } });
    expect(await ack(main, 'users', {})).toMatchObject({ ok: true });
    expect(res.token).toBeDefined();
  });

  test('logout without release keeps the name: the same token logs in as the same user, private conversation and all', async () => {
    const { client: hal, res } = await server.login('hal');
    const { client: ivy } = await server.login('ivy');
    await ack(ivy, 'privateMsg', { to: 'hal', text: 'remember me?' });
    await ack(hal, 'privateMsg', { to: 'ivy', text: 'of course' });
    expect(await ack(hal, 'logout', {})).toEqual({ ok: true });
    await disconnectSettled(server, hal);
    clock += 3 * 24 * 3600 * 1000; // days later, on the same device
    // Nobody else can take the name meanwhile…
    expect(await ack(await server.connect(), 'login', { username: 'hal' })).toMatchObject({ ok: false, error: { code: 'username_taken' } });
    // …and the device's token is still its session.
    const back = await server.connect();
    const again = await ack(back, 'login', { username: 'hal', token: res.token });
    expect(again).toMatchObject({ ok: true, token: res.token, sessionId: res.sessionId });
    const conversation = await ack(back, 'history', { with: 'ivy' });
    expect(conversation.ok && conversation.messages.map((m) => `${m.from}: ${m.text}`)).toEqual(['ivy: remember me?', 'hal: of course']);
  });

  test('an admin makes a code for a user who lost every device', async () => {
    const { client: lost } = await server.login('jo');
    const { client: friend } = await server.login('kim');
    await ack(friend, 'privateMsg', { to: 'jo', text: 'kept for you' });
    await flush(lost);
    await disconnectSettled(server, lost);
    const post = (name: string, auth?: string) =>
      fetch(`${server.url}/api/users/${encodeURIComponent(name)}/sign-in-code`, { method: 'POST', headers: auth === undefined ? {} : { authorization: `Bearer ${auth}` } });
    expect((await post('jo')).status).toBe(401);
    expect((await post('jo', 'wrong-admin-token-xx')).status).toBe(401);
    const missing = await post('nobody', ADMIN_TOKEN);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'unknown_user' } });
    const made = await post('JO', ADMIN_TOKEN); // any spelling that finds the user
    expect(made.status).toBe(200);
    const body = (await made.json()) as { code: string; expiresAt: number };
    expect(body).toEqual({ code: expect.stringMatching(/^\w{5}-\w{5}$/), expiresAt: clock + 10 * MINUTE });
    const { client: newPhone, session } = device({ code: body.code });
    expect(await session).toMatchObject({ user: { name: 'jo' }, token: expect.any(String) });
    const history = await ack(newPhone, 'history', { with: 'kim' });
    expect(history.ok && history.messages.map((m) => m.text)).toEqual(['kept for you']);
  });

  test('without ADMIN_TOKEN the endpoint does not exist', async () => {
    const plain = await startServer();
    try {
      const res = await fetch(`${plain.url}/api/users/x/sign-in-code`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(res.status).toBe(404);
    } finally {
      await plain.close();
    }
  });

  test('a retired name takes its sessions with it: a successor of the name gets none of them', async () => {
    const { client: old, res } = await server.login('lea');
    await disconnectSettled(server, old);
    clock += 31 * 24 * 3600 * 1000;
    const { client: successor } = await server.login('lea');
    expect(await ack(successor, 'sessions', {})).toMatchObject({ ok: true, sessions: [{ current: true }] });
    await expect(device({ token: res.token! }).session).rejects.toMatchObject({ data: { code: 'unauthorized' } });
    const seen = record(successor, 'msg1');
    await flush(successor);
    expect(seen).toEqual([]);
  });
});

describe('wrong codes are limited like wrong tokens', () => {
  const limited = useLimitedServer();

  test('an address that tried too many wrong codes is refused rate_limited, right code or not, until the window ends', async () => {
    await limited.start({ badTokensPerAddress: { points: 3, seconds: 600 } }, { trustProxy: true });
    const owner = await limited.connectFrom('198.51.100.1');
    await ack(owner, 'login', { username: 'mo' });
    const made = await ack(owner, 'signInCode', {});
    if (!made.ok) throw new Error(made.error.code);
    const guesser = await limited.connectFrom('203.0.113.9');
    for (const guess of ['AAAAA-AAAAA', 'BBBBB-BBBBB', 'not a code at all']) {
      expect(await ack(guesser, 'login', { code: guess })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    }
    expect(await ack(guesser, 'login', { code: made.code })).toMatchObject({ ok: false, error: { code: 'rate_limited', retryAfterMs: expect.any(Number) } });
    // The code was not consumed by the refused attempt: another address redeems it.
    const phone = await limited.connectFrom('192.0.2.44');
    expect(await ack(phone, 'login', { code: made.code })).toMatchObject({ ok: true, user: { name: 'mo' } });
  });
});
