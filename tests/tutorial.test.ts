/** The classic tutorial's client flow must keep working unchanged against this server. */
import { next, startServer, type TestServer } from './helpers';

let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.close());

test('connect, login {id}, sendMsg {newAccount} without acks: allmessage reaches every client, msg1 arrives', async () => {
  const a = await server.connect();
  const b = await server.connect();
  const welcome = next(a, 'msg1', (n) => n.type === 'welcome');
  const atA = next(a, 'allmessage');
  const atB = next(b, 'allmessage');

  // Exactly what the tutorial's page does: fire and forget, no acks, no waiting between events.
  a.emit('login', { id: 'tom' });
  a.emit('sendMsg', { newAccount: 'hello from the tutorial' });

  expect((await welcome).text).toContain('tom');
  for (const message of [await atA, await atB]) {
    expect(message).toEqual({ id: expect.any(Number), from: 'tom', text: 'hello from the tutorial', ts: expect.any(Number) });
  }
});

test('works over HTTP long-polling as well as WebSocket', async () => {
  const a = await server.connect({ transports: ['polling'] });
  const got = next(a, 'allmessage');
  a.emit('login', { id: 'poller' });
  a.emit('sendMsg', { newAccount: 'over polling' });
  expect((await got).text).toBe('over polling');
  expect(a.io.engine.transport.name).toBe('polling');
});
