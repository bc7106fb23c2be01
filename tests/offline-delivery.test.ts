/**
 * Private messages to a recipient whose connections come and go while they are sent (issue 8, point 3): each
 * must reach a socket of the recipient, live or at a later login, whatever its ack said about `delivered`.
 */
import type { PrivateMessage } from '../src/protocol';
import { FAST_HEARTBEAT, ack, startServer, within, type Client, type TestServer } from './helpers';

const MESSAGES = 600;
const IN_FLIGHT = 8;

let server: TestServer;
beforeEach(async () => {
  server = await startServer({}, { heartbeat: FAST_HEARTBEAT });
});
afterEach(() => server.close());

test('a recipient logging in and out while private messages flow receives every one of them', async () => {
  const { client: first, res: login } = await server.login('rcpt');
  first.disconnect();
  const { client: sender } = await server.login('sender');

  const received = new Set<number>();
  let whenAll: (() => void) | undefined;
  const expected = new Set<number>();
  const checkAll = () => {
    if (whenAll && [...expected].every((id) => received.has(id))) whenAll();
  };
  const note = (message: PrivateMessage) => {
    received.add(message.id);
    checkAll();
  };
  let sending = true;
  let sendingDone!: () => void;
  const doneSending = new Promise<void>((resolve) => (sendingDone = resolve));

  // The recipient's connections: each logs in, stays for 0 to 3 messages, and leaves.
  const churn = (async () => {
    for (let round = 0; sending; round++) {
      const client = await server.connect();
      let seen = 0;
      const stay = round % 4;
      const leave = new Promise<void>((resolve) => {
        client.on('privateMsg', (message: PrivateMessage) => {
          note(message);
          if (++seen >= stay) resolve();
        });
        if (stay === 0) resolve();
      });
      await ack(client, 'login', { username: 'rcpt', token: login.token });
      await within(Promise.race([leave, doneSending]), 'a message for the churning recipient');
      client.disconnect();
    }
  })();

  let delivered = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < MESSAGES) {
        const i = next++;
        const res = await ack(sender, 'privateMsg', { to: 'rcpt', text: `m${i}`, clientId: `m${i}` });
        if (!res.ok) throw new Error(`send ${i} failed: ${res.error.code}`);
        expected.add(res.message.id);
        if (res.delivered) delivered++;
      }
    }),
  );
  sending = false;
  sendingDone();
  await churn;
  expect(delivered).toBeGreaterThan(0); // the recipient really was online for some of them

  // A last login gets whatever never reached a socket that proved it received it.
  const all = new Promise<void>((resolve) => (whenAll = resolve));
  checkAll(); // perhaps every one arrived already, and nothing more will
  const last: Client = await server.connect();
  last.on('privateMsg', note);
  await ack(last, 'login', { username: 'rcpt', token: login.token });
  await within(all, `all ${MESSAGES} messages at the recipient (has ${received.size})`, 10_000).catch(() => undefined);
  expect([...expected].filter((id) => !received.has(id))).toEqual([]);
  expect(expected.size).toBe(MESSAGES);
}, 60_000);
