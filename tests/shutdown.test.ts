/** Graceful shutdown of the real process: SIGTERM finishes in-flight writes and lets clients reconnect. */
import path from 'node:path';
import Database from 'better-sqlite3';
import { io } from 'socket.io-client';
import type { Client } from './helpers';
import { startProcess } from './process';
import { tempDir } from './tmpdir';

jest.setTimeout(30_000);

test('SIGTERM: in-flight messages are committed, clients are dropped so they reconnect, exit 0 in time', async () => {
  const tmp = tempDir('chat-shutdown-');
  const db = path.join(tmp.dir, 'chat.db');
  const server = await startProcess({ PORT: '0', DATABASE_URL: db }, tmp.dir);
  const client: Client = io(server.url, { transports: ['websocket'], forceNew: true, reconnection: false });
  try {
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    const login = await client.timeout(5000).emitWithAck('login', { username: 'leaver' });
    expect(login.ok).toBe(true);
    const reason = new Promise<string>((resolve) => client.once('disconnect', (r) => resolve(r)));

    // A burst the server is still working through when the signal arrives.
    for (let i = 0; i < 200; i++) client.emit('sendMsg', { text: `burst ${i}`, clientId: `b${i}` });
    const started = Date.now();
    server.child.kill('SIGTERM');

    // "transport close" is a drop the Socket.IO client reconnects after (unlike "io server disconnect").
    expect(await reason).toBe('transport close');
    expect(await server.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(server.logs.some((l) => l.msg === 'shutting down')).toBe(true);

    const rows = new Database(db, { readonly: true });
    const stored = rows.prepare('SELECT client_id AS clientId FROM messages ORDER BY id').all() as Array<{ clientId: string }>;
    rows.close();
    // Whatever the server had received was committed, in order, with nothing half-written.
    expect(stored.map((r) => r.clientId)).toEqual(stored.map((_, i) => `b${i}`));
  } finally {
    client.disconnect();
    server.child.kill('SIGKILL');
    await server.exited;
    tmp.cleanup();
  }
});
