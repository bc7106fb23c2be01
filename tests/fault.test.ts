/**
 * The delivery guarantee under a crash: several clients send a steady stream of public and private messages
 * while the server process is killed with SIGKILL and started again on the same data.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import type { ChatMessage } from '../src/protocol';
import { startProcess, type ServerProcess } from './process';
import { ResumingClient } from './resuming-client';
import { tempDir } from './tmpdir';

const USERS = ['ann', 'bo', 'cy', 'di'];
const MESSAGES_PER_USER = 40;
const KILL_AFTER_ACKS = 50;

jest.setTimeout(90_000);

test('SIGKILL mid-stream: every acked message is stored once and every client ends with exactly its messages', async () => {
  const tmp = tempDir('chat-fault-');
  // A delivery test under load, not a test of the limits (rate-limits.test.ts): they are off, as for benchmarks.
  const env = { DATABASE_URL: path.join(tmp.dir, 'chat.db'), LOG_LEVEL: 'warn', RATE_LIMITS: 'off' };
  let server: ServerProcess | undefined;
  const clients: ResumingClient[] = [];
  try {
    server = await startProcess({ ...env, PORT: '0', LOG_LEVEL: 'info' }, tmp.dir);
    const port = String(server.port);
    for (const name of USERS) clients.push(new ResumingClient(server.url, name));
    await Promise.all(clients.map((c) => c.whenReady()));

    const deadline = Date.now() + 60_000;
    const acked = new Map<string, ChatMessage>();
    let killed = false;
    const restart = async () => {
      killed = true;
      server!.child.kill('SIGKILL');
      expect(await server!.exited).toBe('SIGKILL');
      server = await startProcess({ ...env, PORT: port, LOG_LEVEL: 'info' }, tmp.dir);
    };
    let restarting: Promise<void> | undefined;

    await Promise.all(
      clients.map(async (client, u) => {
        for (let i = 0; i < MESSAGES_PER_USER; i++) {
          const clientId = `${client.name}-${i}`;
          const to = i % 3 === 2 ? USERS[(u + 1 + (i % (USERS.length - 1))) % USERS.length] : undefined;
          const payload = { to, text: `${clientId} ${to ? `to ${to}` : 'public'}`, clientId };
          // Every message is sent twice at once (a double click, a retry racing the first try), so the
          // idempotency of sends is exercised on every run, not only when the kill happens to lose an ack.
          const [message, twin] = await Promise.all([client.send(payload, deadline), client.send(payload, deadline)]);
          expect(twin).toEqual(message);
          acked.set(clientId, message);
          if (!killed && acked.size >= KILL_AFTER_ACKS) restarting = restart();
        }
      }),
    );
    await restarting;
    expect(killed).toBe(true);
    expect(acked.size).toBe(USERS.length * MESSAGES_PER_USER);

    // Storage: every acked clientId exactly once, with the id its ack carried.
    const db = new Database(env.DATABASE_URL, { readonly: true });
    const rows = db
      .prepare(
        `SELECT m.id, m.client_id AS clientId, m.sender_name AS "from", m.recipient_name AS "to", m.body AS text
         FROM messages m ORDER BY id`,
      )
      .all() as Array<{ id: number; clientId: string; from: string; to: string | null; text: string }>;
    db.close();
    expect(rows).toHaveLength(acked.size);
    for (const row of rows) expect(acked.get(row.clientId)?.id).toBe(row.id);

    // Every client: exactly the messages it is entitled to: all public ones and its own private ones.
    for (const client of clients) {
      const entitled = rows.filter((r) => r.to === null || r.to === client.name || r.from === client.name).map((r) => r.id);
      await client.whenHolding(entitled.length, 15_000).catch(() => undefined); // the assertion below says what is missing
      const held = [...client.held.keys()].sort((a, b) => a - b);
      expect(held).toEqual(entitled);
      for (const m of client.held.values()) {
        if ('to' in m) expect([m.from, m.to]).toContain(client.name);
      }
      expect(client.duplicates).toBe(0); // no id twice on one connection, nor within one resume
      expect(client.connects).toBeGreaterThanOrEqual(2); // it really went through the crash
      expect(client.resets).toBe(0);
    }
  } finally {
    for (const c of clients) c.close();
    if (server) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    tmp.cleanup();
  }
});
