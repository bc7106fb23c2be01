/**
 * The delivery guarantee through network faults: the traffic of tests/fault.test.ts (four library clients, 160
 * messages, every one sent twice at once) while each client's connection runs through a TCP proxy that cuts it,
 * then lets it vanish without a word (a Wi-Fi switch: both ends find out by the heartbeat), then partitions it for
 * a while. Every acked message is stored once; every application gets exactly its messages, each once.
 */
import { nameKey } from '../../src/names';
import { FAST_HEARTBEAT, startServer, within, type TestServer } from '../helpers';
import { TcpProxy } from '../tcp-proxy';
import { Clients, until } from './harness';
import { expectExactlyOnce, participant, sendTraffic, USERS, MESSAGES_PER_USER, type Participant } from './traffic';

jest.setTimeout(90_000);

const clients = new Clients();
let server: TestServer;
const proxies: TcpProxy[] = [];
beforeEach(async () => {
  server = await startServer({}, { heartbeat: FAST_HEARTBEAT });
});
afterEach(async () => {
  await clients.closeAll();
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  await server.close();
});

test('cut, vanished and partitioned connections mid-stream: every acked message stored once, every client holds exactly its messages, each once', async () => {
  const participants: Participant[] = [];
  for (const name of USERS) {
    const proxy = await TcpProxy.start(Number(new URL(server.url).port));
    proxies.push(proxy);
    participants.push(participant(name, await clients.user(`http://127.0.0.1:${proxy.port}`, name)));
  }
  const acked = await sendTraffic(participants, {
    40: async () => {
      await Promise.all(proxies.map((p) => p.cut()));
    },
    80: async () => {
      for (const p of proxies) p.silence();
    },
    120: async () => {
      for (const p of proxies) p.block();
      await Promise.all(proxies.map((p) => p.cut()));
      // Healed once every client has had a reconnection refused.
      await Promise.all(participants.map((p) => until(p, () => (p.client.status.attempt ?? 0) >= 1, `${p.name} refused while partitioned`)));
      for (const p of proxies) p.heal();
    },
  });
  expect(acked.size).toBe(USERS.length * MESSAGES_PER_USER);

  // What each user may read, as the server says: stored once each, with the ids the acks carried.
  const { store } = server.app.services;
  const views = new Map<string, number[]>();
  for (const name of USERS) {
    const user = await store.findUser(nameKey(name));
    const page = await store.since(user!.id, 0, 500);
    views.set(name, page.messages.map((m) => m.id));
  }
  const stored = new Set([...views.values()].flat());
  expect(stored.size).toBe(acked.size);
  for (const message of acked.values()) expect(stored.has(message.id)).toBe(true);

  await expectExactlyOnce(participants, (name) => views.get(name)!, 4);
});
