/**
 * The delivery guarantee under a crash: four clients of the client library (client/, docs/client.md) send a
 * steady stream of public and private messages while the server process is killed with SIGKILL and started again
 * on the same data. Every acked message is stored once, and every client's application gets exactly the messages
 * it may read, each once.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { startProcess, type ServerProcess } from './process';
import { tempDir } from './tmpdir';
import { Clients } from './client/harness';
import { expectExactlyOnce, participant, sendTraffic, USERS, MESSAGES_PER_USER, type Participant } from './client/traffic';

const KILL_AFTER_ACKS = 50;

jest.setTimeout(90_000);

test('SIGKILL mid-stream: every acked message is stored once and every client ends with exactly its messages, each once', async () => {
  const tmp = tempDir('chat-fault-');
  // A delivery test under load, not a test of the limits (rate-limits.test.ts): they are off, as for benchmarks.
  const env = { DATABASE_URL: path.join(tmp.dir, 'chat.db'), LOG_LEVEL: 'warn', RATE_LIMITS: 'off' };
  let server: ServerProcess | undefined;
  const clients = new Clients();
  try {
    server = await startProcess({ ...env, PORT: '0', LOG_LEVEL: 'info' }, tmp.dir);
    const port = String(server.port);
    const participants: Participant[] = [];
    for (const name of USERS) participants.push(participant(name, await clients.user(server.url, name)));

    const restart = async () => {
      server!.child.kill('SIGKILL');
      expect(await server!.exited).toBe('SIGKILL');
      server = await startProcess({ ...env, PORT: port, LOG_LEVEL: 'info' }, tmp.dir);
    };
    const acked = await sendTraffic(participants, { [KILL_AFTER_ACKS]: restart });
    expect(acked.size).toBe(USERS.length * MESSAGES_PER_USER);

    // Storage: every acked clientId exactly once, with the id its ack carried.
    const db = new Database(env.DATABASE_URL, { readonly: true });
    const rows = db
      .prepare(`SELECT m.id, m.client_id AS clientId, m.sender_name AS "from", m.recipient_name AS "to" FROM messages m ORDER BY id`)
      .all() as Array<{ id: number; clientId: string; from: string; to: string | null }>;
    db.close();
    expect(rows).toHaveLength(acked.size);
    for (const row of rows) expect(acked.get(row.clientId)?.id).toBe(row.id);

    // Every client: all public messages and its own private ones, through the crash.
    const entitled = (name: string) => rows.filter((r) => r.to === null || r.to === name || r.from === name).map((r) => r.id);
    await expectExactlyOnce(participants, entitled, 2);
  } finally {
    await clients.closeAll();
    if (server) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    tmp.cleanup();
  }
});
