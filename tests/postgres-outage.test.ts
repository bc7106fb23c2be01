/**
 * A PostgreSQL that stops answering without closing anything (issue 16): a TCP proxy between the server and a
 * database of the test's own swallows everything, both ways, on open and new connections alike. Every event
 * a socket sends is still answered, within the query timeout, and the server still shuts down; once the
 * database answers again, messages flow again. Real server, real PostgreSQL, real sockets; short timeouts.
 */
import { PostgresStore } from '../src/store/postgres';
import { ack, startServer, within, type TestServer } from './helpers';
import { createDatabase, describePostgres, type TestDatabase } from './postgres';
import { TcpProxy } from './tcp-proxy';

jest.setTimeout(60_000);

/** Short enough for a test, long enough for a loaded machine's healthy database. */
const TIMEOUTS = { connectTimeoutMs: 1500, queryTimeoutMs: 1500, idleTimeoutMs: 30_000 };

describePostgres('a database that stops answering', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let server: TestServer | undefined;
  beforeEach(async () => {
    db = await createDatabase();
    const target = new URL(db.url);
    proxy = await TcpProxy.start(Number(target.port || 5432));
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await proxy.close();
    await db.drop();
  });

  /** The database's URL, through the proxy. */
  const throughProxy = () => {
    const url = new URL(db.url);
    url.host = `127.0.0.1:${proxy.port}`;
    return url.toString();
  };

  test("answers every socket's events within the query timeout, shuts down, and recovers when it answers again", async () => {
    const store = await PostgresStore.open(throughProxy(), { poolSize: 2, checkIntervalMs: 500, ...TIMEOUTS, onError: () => undefined });
    server = await startServer({}, { store });
    const { client } = await server.login('steady');
    expect(await ack(client, 'sendMsg', { text: 'before' })).toMatchObject({ ok: true });

    proxy.blackhole();
    // Each event is answered, one after the other on the socket's queue: nothing waits for the database forever.
    const started = Date.now();
    for (const text of ['during 1', 'during 2']) {
      expect(await within(ack(client, 'sendMsg', { text }), `the ack of "${text}"`, 10_000)).toMatchObject({ ok: false, error: { code: 'internal_error' } });
    }
    expect(await within(ack(client, 'history', {}), 'the ack of history', 10_000)).toMatchObject({ ok: false, error: { code: 'internal_error' } });
    expect(Date.now() - started).toBeLessThan(3 * TIMEOUTS.queryTimeoutMs + 5000);

    proxy.heal();
    // The pool replaced the connections it gave up on: the next send goes through.
    let answer = await ack(client, 'sendMsg', { text: 'after', clientId: 'after-1' });
    for (let i = 0; i < 5 && !answer.ok; i++) answer = await ack(client, 'sendMsg', { text: 'after', clientId: 'after-1' });
    expect(answer).toMatchObject({ ok: true });
  });

  test('the server shuts down while the database is not answering', async () => {
    const store = await PostgresStore.open(throughProxy(), { poolSize: 2, ...TIMEOUTS, onError: () => undefined });
    server = await startServer({}, { store });
    const { client } = await server.login('leaving');
    expect(await ack(client, 'sendMsg', { text: 'before' })).toMatchObject({ ok: true });
    proxy.blackhole();
    client.emit('sendMsg', { text: 'in flight when the database went quiet' });
    const closing = server.close();
    server = undefined;
    await within(closing, 'the server shutting down', 20_000);
  });
});
