/**
 * Bugs the fuzz suites found (issue 11), each pinned by a regular test.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { createApp } from '../../src/app';
import { loadConfig, testConfig } from '../../src/config';
import { ack, startServer, within, type Client } from '../helpers';

/** Calls the function registered with an object once that object has been garbage-collected. */
const finalizations = new FinalizationRegistry<() => void>((done) => done());

/**
 * The long fuzz run (a fresh app per run, 20,000 of them) grew to several GB: every app, closed or not,
 * stayed reachable through prom-client's default collectors (a GC observer and an event-loop monitor per
 * call of collectDefaultMetrics, which nothing can stop), and each kept its histogram of ~370 kB.
 */
test('a closed app is garbage: nothing in the process keeps it alive', async () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  let app: ReturnType<typeof createApp> | undefined = createApp(testConfig());
  await app.listen();
  const collected = new Promise<void>((resolve) => finalizations.register(app!.koa, resolve));
  await app.close();
  app = undefined;
  // Handles closed by close() are released in libuv's close phase, which follows the check phase
  // (setImmediate) of the same loop iteration: after two setImmediate turns, it has run.
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
  gc();
  await within(collected, 'the closed app being garbage-collected');
});

/**
 * zod's length bounds also ran on values of the wrong type that have a `length`, and threw when that `length`
 * had no primitive value: `internal_error` (and an error log line) for anyone who sent it.
 */
describe('a `length` that is not a number is invalid_payload, not internal_error', () => {
  const badLength = { length: { toString: '' } };
  const ADMIN = 'an-admin-token-for-tests';

  test('in socket events and in the handshake', async () => {
    const server = await startServer();
    try {
      const { client } = await server.login('lena');
      expect(await ack(client, 'received', { ids: badLength })).toEqual({ ok: false, error: { code: 'invalid_payload', message: expect.any(String) } });
      const anonymous = await server.connect();
      expect(await ack(anonymous, 'login', { username: 'max', token: badLength })).toMatchObject({ ok: false, error: { code: 'invalid_payload' } });
      const refused = server.connect({ auth: { username: 'max', token: badLength } });
      await expect(refused).rejects.toMatchObject({ data: { code: 'invalid_payload' } });
    } finally {
      await server.close();
    }
  });

  test('in the body of POST /api/push', async () => {
    const server = await startServer({ adminToken: ADMIN });
    try {
      const res = await fetch(`${server.url}/api/push`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ text: badLength }),
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'invalid_message' } });
    } finally {
      await server.close();
    }
  });
});

/**
 * JWT mode's login payload had a looser second shape, there to tell a name apart, through which a token
 * passed with unknown keys beside it, or beyond its length bound, or beside an own `__proto__` key (lost when
 * the loose shape copied the payload); and its length check threw on a `length` trap. Found by
 * tests/fuzz/jwt-login.test.ts.
 */
describe('JWT mode: a login payload is exactly { token }', () => {
  const withProto = JSON.parse('{"token":"a.b.c","__proto__":0}') as object;
  const cases: Array<[string, unknown]> = [
    ['an unknown key', { token: 'a.b.c', extra: 1 }],
    ['an own __proto__ key', withProto],
    ['a token beyond 8192 characters', { token: 'x'.repeat(8193) }],
    ['a length trap', { token: { length: { toString: '' } } }],
  ];

  test.each(cases)('%s is invalid_payload, in the login event and in the handshake', async (_what, payload) => {
    const server = await startServer({ auth: loadConfig({ AUTH_MODE: 'jwt', JWT_SECRET: 'a-secret-for-the-regression-tests-0123', JWT_ISSUER: 'https://host.example', JWT_AUDIENCE: 'chat' }).auth });
    try {
      const client = await server.connect();
      expect(await ack(client, 'login', payload)).toEqual({ ok: false, error: { code: 'invalid_payload', message: expect.any(String) } });
      await expect(server.connect({ auth: payload as object })).rejects.toMatchObject({ data: { code: 'invalid_payload' } });
    } finally {
      await server.close();
    }
  });
});
