/**
 * One socket's messages overlap (issue 18): the next starts once the one before has queued its write in the
 * store, not once it has committed, and they are still stored in the order sent. Other events keep waiting for
 * everything before them. Commits are held here by a store whose appends reach the real store at once (so
 * the real store's call order decides the ids) but answer only when the test lets them.
 */
import { SqliteStore } from '../src/store/sqlite';
import type { ChatStore } from '../src/store/store';
import { ack, startServer, within, type TestServer } from './helpers';

const APPENDS = new Set(['appendPublic', 'appendPrivate', 'appendRoom']);

/** `inner`, with every append's answer held until `open()`; `issued(n)` resolves once n appends reached it. */
function heldAnswers(inner: ChatStore) {
  let issued = 0;
  let onIssue = () => undefined as void;
  let opened = false;
  const held: Array<() => void> = [];
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || !APPENDS.has(String(prop))) return value;
      return async (...args: unknown[]) => {
        const answer = value.apply(target, args);
        issued++;
        onIssue();
        if (!opened) await new Promise<void>((resolve) => held.push(resolve));
        return answer;
      };
    },
  });
  return {
    store,
    /** Whether the answers are still held. */
    get holding() {
      return !opened;
    },
    issued(count: number): Promise<void> {
      const reached = new Promise<void>((resolve) => {
        onIssue = () => (issued >= count ? resolve() : undefined);
        onIssue();
      });
      return within(reached, `${count} appends issued`);
    },
    open() {
      opened = true;
      for (const resolve of held.splice(0)) resolve();
    },
  };
}

let server: TestServer;
let held: ReturnType<typeof heldAnswers>;
beforeEach(async () => {
  held = heldAnswers(SqliteStore.open(':memory:'));
  server = await startServer({}, { store: held.store });
});
afterEach(() => server.close());

test("a sender's messages reach the store before the first is answered, and are stored in the order sent", async () => {
  const { client } = await server.login('alice');
  await server.login('bob');
  const acks = [
    ack(client, 'sendMsg', { text: 'one' }),
    ack(client, 'privateMsg', { to: 'bob', text: 'two' }),
    ack(client, 'sendMsg', { text: 'three' }),
  ];
  await held.issued(3); // with each message waiting for the commit before it, the second never comes
  held.open();
  const answers = await Promise.all(acks);
  const ids = answers.map((res) => (res.ok ? res.message.id : NaN));
  expect(answers.map((res) => (res.ok ? res.message.text : res.error.code))).toEqual(['one', 'two', 'three']);
  expect(ids).toEqual([...ids].sort((x, y) => x - y));
  expect(new Set(ids).size).toBe(3);
});

test('an event that is not a message waits until the messages before it are answered', async () => {
  const { client } = await server.login('alice');
  const { client: bob } = await server.login('bob');
  const readWhileHeld: boolean[] = [];
  const publicHistory = held.store.publicHistory.bind(held.store);
  held.store.publicHistory = (...args) => (readWhileHeld.push(held.holding), publicHistory(...args));
  const order: string[] = [];
  const sent = ack(client, 'sendMsg', { text: 'before the history' }).then((res) => (order.push('sendMsg'), res));
  const history = ack(client, 'history', {}).then((res) => (order.push('history'), res));
  await held.issued(1);
  // Another client's read through the store: had alice's `history` not waited, it would have been read by now.
  expect((await ack(bob, 'history', {})).ok).toBe(true);
  held.open();
  const [, page] = await Promise.all([sent, history]);
  expect(order).toEqual(['sendMsg', 'history']);
  expect(readWhileHeld).toEqual([true, false]); // bob's, then alice's once the message was answered
  expect(page.ok && page.messages.map((m) => m.text)).toEqual(['before the history']);
});
