/**
 * The delivery test's traffic (tests/fault.test.ts, tests/client/network.test.ts): four users each send 40
 * messages, a third of them private, every one twice at once with one clientId (a double click, a retry racing
 * the first try), while faults strike after given numbers of acks. Then every user must hold exactly the
 * messages it may read, each handed to its application once, and no connection may have been sent an id twice.
 */
import type { ChatMessage } from '../../src/protocol';
import { within } from '../helpers';
import { repeats, until, type Recorded } from './harness';

export const USERS = ['ann', 'bo', 'cy', 'di'];
export const MESSAGES_PER_USER = 40;

export interface Participant extends Recorded {
  name: string;
  /**
   * Public messages sent live twice on one connection: a server bug (the library would hide it from the
   * application). A private message may come twice on a connection that is logging in as it is committed: resent
   * as unconfirmed by the login, and delivered live (docs/protocol.md, "Receipts": at least once).
   */
  liveTwice: number;
}

/** Counts the public messages the server sends each connection of `recorded` live, to catch one sent twice. */
export function participant(name: string, recorded: Recorded): Participant {
  const p: Participant = Object.assign(recorded, { name, liveTwice: 0 }); // the same object: record() counts on it
  let live = new Set<number>();
  const { socket } = recorded.client;
  socket.on('connect', () => (live = new Set()));
  socket.on('allmessage', (m: ChatMessage) => {
    if (live.has(m.id)) p.liveTwice++;
    live.add(m.id);
  });
  return p;
}

/**
 * Sends the traffic; `faults[n]` runs once n messages have been acked (the traffic goes on meanwhile). Resolves
 * with every acked message by clientId, once the faults are over.
 */
export async function sendTraffic(participants: Participant[], faults: Record<number, () => Promise<void>>, ms = 60_000): Promise<Map<string, ChatMessage>> {
  const acked = new Map<string, ChatMessage>();
  const struck: Array<Promise<void>> = [];
  const traffic = Promise.all(
    participants.map(async (p, u) => {
      for (let i = 0; i < MESSAGES_PER_USER; i++) {
        const clientId = `${p.name}-${i}`;
        const to = i % 3 === 2 ? USERS[(u + 1 + (i % (USERS.length - 1))) % USERS.length] : undefined;
        const text = `${clientId} ${to ? `to ${to}` : 'public'}`;
        const send = () => (to === undefined ? p.client.send(text, { clientId }) : p.client.sendPrivate(to, text, { clientId }));
        const [first, twin] = await Promise.all([send(), send()]);
        if (!first.ok) throw new Error(`${clientId} refused: ${first.error.code}`);
        // The twin stored nothing and got the original (a private ack's `delivered` is said anew each time).
        expect(twin.ok && twin.message).toEqual(first.message);
        acked.set(clientId, first.message);
        const fault = faults[acked.size];
        if (fault) struck.push(fault());
      }
    }),
  );
  await within(traffic, 'every message acked', ms);
  await Promise.all(struck);
  expect(struck).toHaveLength(Object.keys(faults).length);
  return acked;
}

/**
 * Every participant ends up holding exactly `entitled(name)` (ids, ascending), each handed over once, without a
 * reset; and it went through at least `connections` connections.
 */
export async function expectExactlyOnce(participants: Participant[], entitled: (name: string) => number[], connections: number): Promise<void> {
  for (const p of participants) {
    const ids = entitled(p.name);
    const done = () => p.times.size >= ids.length && p.synced >= connections && p.client.caughtUp;
    await until(p, done, `${p.name} caught up, holding ${ids.length} messages`, 15_000).catch(() => undefined); // the assertions say what is missing
    expect([...p.times.keys()].sort((a, b) => a - b)).toEqual(ids);
    expect(repeats(p)).toEqual([]);
    for (const m of p.messages) if (m.kind === 'private') expect([m.from, m.to]).toContain(p.name);
    expect(p.liveTwice).toBe(0);
    expect(p.resets).toBe(0);
    expect(p.synced).toBeGreaterThanOrEqual(connections); // it really went through the faults
  }
}
