/** Graceful shutdown of the real process: SIGTERM finishes in-flight writes and lets clients reconnect. */
import path from 'node:path';
import Database from 'better-sqlite3';
import { io } from 'socket.io-client';
import { MAX_PENDING_EVENTS } from '../src/realtime/connection';
import { within, type Client } from './helpers';
import { startProcess } from './process';
import { tempDir } from './tmpdir';

jest.setTimeout(30_000);

/** Within the per-connection queue, so the queue refuses none of it. */
const BURST = MAX_PENDING_EVENTS - 4;

test('SIGTERM: in-flight messages are committed, clients are dropped so they reconnect, exit 0 in time', async () => {
  const tmp = tempDir('chat-shutdown-');
  const db = path.join(tmp.dir, 'chat.db');
  const server = await startProcess({ PORT: '0', DATABASE_URL: db, RATE_LIMITS: 'off' }, tmp.dir); // a burst, on purpose
  const client: Client = io(server.url, { transports: ['websocket'], forceNew: true, reconnection: false });
  try {
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    const login = await client.timeout(5000).emitWithAck('login', { username: 'leaver' });
    expect(login.ok).toBe(true);
    const reason = new Promise<string>((resolve) => client.once('disconnect', (r) => resolve(r)));

    // A burst the server is still working through when the signal arrives (sent once 20 were acked). It
    // stays within the per-connection queue (MAX_PENDING_EVENTS waiting), so no event of it is refused and what is stored
    // can only be a prefix of it.
    const acked: string[] = [];
    const refused: unknown[] = [];
    let twentyAcked!: () => void;
    const twenty = new Promise<void>((resolve) => (twentyAcked = resolve));
    for (let i = 0; i < BURST; i++) {
      client.emit('sendMsg', { text: `burst ${i}`, clientId: `b${i}` }, (res) => {
        if (res.ok) acked.push(`b${i}`);
        else refused.push(res.error);
        if (acked.length === 20) twentyAcked();
      });
    }
    await within(twenty, 'twenty acks');
    const started = Date.now();
    server.child.kill('SIGTERM');

    // "transport close" is a drop the Socket.IO client reconnects after (unlike "io server disconnect").
    expect(await reason).toBe('transport close');
    expect(await server.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(server.logs.some((l) => l.msg === 'shutting down')).toBe(true);

    const rows = new Database(db, { readonly: true });
    const stored = (rows.prepare('SELECT client_id AS clientId FROM messages ORDER BY id').all() as Array<{ clientId: string }>).map(
      (r) => r.clientId,
    );
    rows.close();
    // Every acked message was committed; what was committed is a prefix of the burst, in order. Events still
    // waiting when the connection closed were not run (no ack can reach their sender, who will resend them).
    expect(refused).toEqual([]);
    expect(acked.length).toBeGreaterThanOrEqual(20);
    expect(stored.slice(0, acked.length)).toEqual(acked);
    expect(stored).toEqual(stored.map((_, i) => `b${i}`));
  } finally {
    client.disconnect();
    server.child.kill('SIGKILL');
    await server.exited;
    tmp.cleanup();
  }
});

test('SIGTERM stops the server even once nothing reads its log (`npm start | pino-pretty`, the pipe stopped first)', async () => {
  const tmp = tempDir('chat-shutdown-');
  const server = await startProcess({ PORT: '0', DATABASE_URL: ':memory:' }, tmp.dir);
  try {
    // The reading end closes: the server's next log line (`shutting down`) meets EPIPE.
    server.child.stdout!.destroy();
    server.child.kill('SIGTERM');
    expect(await within(server.exited, 'the server exiting', 10_000)).toBe(0);
    expect(server.stderr()).toBe('');
  } finally {
    server.child.kill('SIGKILL');
    await server.exited;
    tmp.cleanup();
  }
});
