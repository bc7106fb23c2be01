/**
 * Nothing the server writes is outside its JSON log (issue 11): clients that abort downloads (FIN or reset, as
 * page reloads and mobile networks do) used to make Koa print stack traces to stderr.
 */
import net from 'node:net';
import { startProcess } from './process';
import { tempDir } from './tmpdir';

jest.setTimeout(30_000);

/** Sends a GET and closes the connection right away: with a FIN (`end`) or a reset. */
function abortedGet(port: number, path: string, reset: boolean): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
      setImmediate(() => {
        if (reset) socket.resetAndDestroy();
        else socket.destroy();
      });
    });
    socket.once('close', () => resolve());
    socket.once('error', () => undefined); // a reset reports itself here too; the close follows
  });
}

test('aborted static downloads leave only JSON on stdout and nothing on stderr', async () => {
  const tmp = tempDir('chat-logs-');
  const server = await startProcess({ PORT: '0', DATABASE_URL: ':memory:', LOG_LEVEL: 'debug' }, tmp.dir);
  try {
    const paths = ['/', '/style.css', '/js/main.js', '/js/chat.js', '/favicon.svg'];
    for (let i = 0; i < 200; i++) await abortedGet(server.port, paths[i % paths.length], i % 2 === 1);
    const ok = await fetch(`${server.url}/healthz`); // still serving
    expect(ok.status).toBe(200);
    await ok.text();
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.stderr()).toBe('');
    expect(server.nonJson).toEqual([]);
    // The aborts were really seen, as debug lines.
    expect(server.logs.filter((l) => l.msg === 'client went away mid-response').length).toBeGreaterThan(0);
  } finally {
    server.child.kill('SIGKILL');
    await server.exited;
    tmp.cleanup();
  }
});
