/**
 * The guarantees stated on the sessions part of ChatStore (src/store/sessions.ts) and on the users part's host
 * accounts and renames (src/store/users.ts), checked against every implementation (issue 21).
 */
import path from 'node:path';
import { MAX_LIVE_CODES, newSessionId } from '../src/store/sessions';
import { SqliteStore } from '../src/store/sqlite';
import type { ChatStore, UserRecord } from '../src/store/store';
import { postgresReason } from './postgres';
import { postgresFactory, type Factory } from './store-factories';
import { tempDir } from './tmpdir';

const tmp = tempDir('chat-sessions-');
afterAll(() => tmp.cleanup());

const factories: Array<[string, Factory]> = [
  ['sqlite', async () => ({ store: SqliteStore.open(path.join(tmp.dir, `${newSessionId()}.db`)) })],
];
if (postgresReason === undefined) factories.push(['postgres', postgresFactory]);

const phone = { address: '192.0.2.7', agent: 'Firefox 128 on Android' };
const laptop = { address: '198.51.100.2', agent: 'Chrome 140 on Linux' };

describe.each(factories)('%s', (_name, open) => {
  let store: ChatStore;
  let dispose: (() => Promise<void>) | undefined;
  let ann: UserRecord;
  let bob: UserRecord;
  beforeEach(async () => {
    ({ store, dispose } = await open());
    ann = (await store.createUser({ name: 'ann', key: 'ann', tokenHash: 'ann-1', session: { id: 'a1', device: laptop }, now: 10, provisional: false }))!;
    bob = (await store.createUser({ name: 'bob', key: 'bob', tokenHash: 'bob-1', now: 10, provisional: false }))!;
  });
  afterEach(async () => {
    await store.close();
    await dispose?.();
  });

  const redeem = (hash: string, now: number, tokenHash = `t-${newSessionId()}`) =>
    store.redeemSignInCode(hash, now, { id: newSessionId(), tokenHash, device: phone });

  test("a user's first session is made with it, and the token opens it", async () => {
    expect(ann).toMatchObject({ name: 'ann', displayName: 'ann', account: null });
    expect(await store.findSession('ann-1')).toEqual({
      session: { id: 'a1', userId: ann.id, createdAt: 10, lastSeenAt: 10, address: laptop.address, agent: laptop.agent },
      user: ann,
    });
    expect(await store.listSessions(bob.id)).toEqual([expect.objectContaining({ userId: bob.id, address: '', agent: '' })]);
    // A JWT user has none.
    const host = await store.createUser({ name: 'cat', key: 'cat', tokenHash: '', now: 10, provisional: false });
    expect(await store.listSessions(host!.id)).toEqual([]);
  });

  test('useSession records when and from where, moving last-seen forward only', async () => {
    expect(await store.useSession('a1', 50, phone)).toBe(true);
    expect(await store.useSession('a1', 40, laptop)).toBe(true);
    await store.seenSessions(['a1'], 45);
    expect(await store.listSessions(ann.id)).toEqual([{ id: 'a1', userId: ann.id, createdAt: 10, lastSeenAt: 50, address: laptop.address, agent: laptop.agent }]);
    expect(await store.useSession('no-such-session', 60, phone)).toBe(false);
  });

  test('a sign-in code opens one session, once; the code itself is never what is stored', async () => {
    expect(await store.addSignInCode({ hash: 'code-1', userId: ann.id, now: 100, expiresAt: 200 })).toBe(true);
    const opened = await redeem('code-1', 150, 'ann-2');
    expect(opened).toMatchObject({ user: { id: ann.id, name: 'ann' }, session: { userId: ann.id, createdAt: 150, lastSeenAt: 150, ...phone } });
    expect((await store.findSession('ann-2'))?.session.id).toBe(opened!.session.id);
    expect(await redeem('code-1', 151)).toBeUndefined(); // used
    expect(await redeem('never-made', 151)).toBeUndefined();
    const sessions = await store.listSessions(ann.id);
    expect(sessions.map((s) => s.id)).toEqual([opened!.session.id, 'a1']); // most recently used first
  });

  test('an expired code opens nothing, and is consumed all the same', async () => {
    await store.addSignInCode({ hash: 'late', userId: ann.id, now: 100, expiresAt: 200 });
    expect(await redeem('late', 200)).toBeUndefined();
    await store.addSignInCode({ hash: 'late', userId: ann.id, now: 300, expiresAt: 400 }); // gone: it can be made again
    expect(await redeem('late', 350)).toMatchObject({ user: { id: ann.id } });
  });

  test('codes redeemed at the same moment: exactly one opens a session', async () => {
    await store.addSignInCode({ hash: 'race', userId: bob.id, now: 100, expiresAt: 900 });
    const results = await Promise.all(Array.from({ length: 6 }, () => redeem('race', 150)));
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    expect(await store.listSessions(bob.id)).toHaveLength(2);
  });

  test(`a user has at most ${MAX_LIVE_CODES} live codes: the oldest goes; expired ones are dropped`, async () => {
    for (let i = 0; i <= MAX_LIVE_CODES; i++) await store.addSignInCode({ hash: `c${i}`, userId: ann.id, now: 100 + i, expiresAt: 1000 });
    expect(await redeem('c0', 500)).toBeUndefined();
    expect(await redeem('c1', 500)).toMatchObject({ user: { id: ann.id } });
    expect(await store.addSignInCode({ hash: 'b0', userId: bob.id, now: 100, expiresAt: 1000 })).toBe(true);
    expect(await redeem(`c${MAX_LIVE_CODES}`, 500)).toMatchObject({ user: { id: ann.id } }); // another user's codes do not push it out
  });

  test("a retired user's sessions and codes open nothing", async () => {
    await store.addSignInCode({ hash: 'doomed', userId: ann.id, now: 100, expiresAt: 900 });
    const successor = await store.createUser({ name: 'ann', key: 'ann', tokenHash: 'ann-new', now: 500, provisional: false, replacing: { id: ann.id, seenBefore: 400 } });
    expect(successor).toBeDefined();
    expect(await store.findSession('ann-1')).toBeUndefined();
    expect(await store.useSession('a1', 600, phone)).toBe(false);
    expect(await redeem('doomed', 600)).toBeUndefined();
    expect(await store.addSignInCode({ hash: 'later', userId: ann.id, now: 600, expiresAt: 900 })).toBe(false);
    expect((await store.findSession('ann-new'))?.user.id).toBe(successor!.id);
  });

  test('endSessions ends one session of its user, or every one but the current; ended tokens open nothing', async () => {
    const phoneSession = await addSession(ann, 'ann-phone');
    const tabletSession = await addSession(ann, 'ann-tablet');
    expect(await store.endSessions(bob.id, { id: phoneSession })).toEqual([]); // not bob's
    expect(await store.endSessions(ann.id, { id: phoneSession })).toEqual([phoneSession]);
    expect(await store.findSession('ann-phone')).toBeUndefined();
    expect(await store.useSession(phoneSession, 700, phone)).toBe(false);
    expect(await store.endSessions(ann.id, { id: phoneSession })).toEqual([]); // already ended
    expect(await store.endSessions(ann.id, { except: 'a1' })).toEqual([tabletSession]);
    expect((await store.findSession('ann-1'))?.user.id).toBe(ann.id);
    expect(await store.endSessions(ann.id, {})).toEqual(['a1']);
    expect(await store.listSessions(ann.id)).toEqual([]);
    expect(await store.listSessions(bob.id)).toHaveLength(1);
  });

  async function addSession(user: UserRecord, tokenHash: string): Promise<string> {
    await store.addSignInCode({ hash: `for-${tokenHash}`, userId: user.id, now: 100, expiresAt: 900 });
    return (await redeem(`for-${tokenHash}`, 200, tokenHash))!.session.id;
  }

  test('host accounts: one user per (issuer, subject); binding takes over an unbound user, once', async () => {
    const account = { issuer: 'https://app.example', subject: 'u-1' };
    const cat = await store.createUser({ name: 'cat', key: 'cat', displayName: 'Cat Stevens', tokenHash: '', now: 10, provisional: false, account, namesAt: 5 });
    expect(cat).toMatchObject({ displayName: 'Cat Stevens', account, namesAt: 5 });
    expect(await store.findUserByAccount(account)).toEqual(cat);
    expect(await store.findUserByAccount({ ...account, issuer: 'https://other.example' })).toBeUndefined();
    expect(await store.createUser({ name: 'cat2', key: 'cat2', tokenHash: '', now: 10, provisional: false, account })).toBeUndefined();
    expect(await store.bindAccount(ann.id, account)).toBe(false); // someone else's account
    const second = { issuer: account.issuer, subject: 'u-2' };
    expect(await store.bindAccount(ann.id, second)).toBe(true);
    expect(await store.bindAccount(ann.id, { ...second, subject: 'u-3' })).toBe(false); // bound for good
    expect((await store.findUserByAccount(second))?.id).toBe(ann.id);
  });

  test('a rename keeps the user, its sessions and its history, which reads with the new names', async () => {
    await store.appendPublic({ sender: ann, text: 'hello', ts: 1 });
    await store.appendPrivate({ sender: bob, recipient: ann, text: 'psst', ts: 2 });
    const renamed = await store.renameUser(ann.id, { name: 'anna', key: 'anna', displayName: 'Anna Lee', namesAt: 100 });
    expect(renamed).toEqual({ ok: true, user: { ...ann, name: 'anna', key: 'anna', displayName: 'Anna Lee', namesAt: 100 } });
    expect(await store.findUser('ann')).toBeUndefined();
    expect((await store.findSession('ann-1'))?.user.name).toBe('anna');
    const pub = await store.publicHistory({ limit: 5 });
    expect(pub.messages).toEqual([{ id: expect.any(Number), from: 'anna', fromName: 'Anna Lee', text: 'hello', ts: 1 }]);
    const conv = await store.conversation(ann.id, bob.id, { limit: 5 });
    expect(conv.messages).toEqual([expect.objectContaining({ from: 'bob', fromName: 'bob', to: 'anna', toName: 'Anna Lee', text: 'psst' })]);
    expect((await store.since(ann.id, 0, 5)).messages.map((m) => m.from)).toEqual(['anna', 'bob']);
    expect((await store.undelivered(ann.id, 0, 5)).map((m) => 'to' in m && m.toName)).toEqual(['Anna Lee']);
    expect((await store.listUsers({ limit: 10 })).users).toEqual([
      { id: ann.id, name: 'anna', displayName: 'Anna Lee' },
      { id: bob.id, name: 'bob', displayName: 'bob' },
    ]);
  });

  test('a rename is refused onto a held key, by an older token, and for a retired user', async () => {
    expect(await store.renameUser(ann.id, { name: 'bob', key: 'bob', displayName: 'Bob?' })).toEqual({ ok: false, reason: 'taken' });
    expect(await store.renameUser(ann.id, { name: 'ann', key: 'ann', displayName: 'Ann', namesAt: 100 })).toMatchObject({ ok: true });
    expect(await store.renameUser(ann.id, { name: 'ann', key: 'ann', displayName: 'Old Ann', namesAt: 99 })).toEqual({ ok: false, reason: 'stale' });
    expect((await store.findUser('ann'))?.displayName).toBe('Ann');
    await store.createUser({ name: 'bob', key: 'bob', tokenHash: 'bob-2', now: 500, provisional: false, replacing: { id: bob.id, seenBefore: 400 } });
    expect(await store.renameUser(bob.id, { name: 'bob', key: 'bob', displayName: 'Ghost' })).toEqual({ ok: false, reason: 'retired' });
    expect(await store.findUsers([bob.id, ann.id, 424242])).toEqual(expect.arrayContaining([expect.objectContaining({ id: bob.id }), expect.objectContaining({ id: ann.id })]));
  });

  test('an append answers with the names it was given; a duplicate with the current ones', async () => {
    const first = await store.appendPrivate({ sender: ann, recipient: { ...bob, displayName: 'Bobby' }, text: 'hi', ts: 1, clientId: 'k' });
    expect(first.message).toMatchObject({ from: 'ann', fromName: 'ann', to: 'bob', toName: 'Bobby' });
    await store.renameUser(ann.id, { name: 'ann', key: 'ann', displayName: 'Ann Smith' });
    const again = await store.appendPrivate({ sender: ann, recipient: bob, text: 'hi', ts: 2, clientId: 'k' });
    expect(again).toEqual({ duplicate: true, message: { ...first.message, fromName: 'Ann Smith', toName: 'bob' } });
  });
});
