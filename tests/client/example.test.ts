/**
 * The example of docs/client.md, as written, run by Node against a real server: the built library (what
 * `npm run build` made in static/js/lib/chat-client/) works outside the browser with socket.io-client, and a
 * program that closes its client ends by itself.
 */
import { spawn } from 'node:child_process';
import { PROJECT_ROOT } from '../../bench/launcher';
import { scriptBlocks } from '../docs';
import { ack, startServer, within, type TestServer } from '../helpers';

let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.close());

/** Runs `code` as an ES module from the project's root; resolves with its exit code and output. */
function runModule(code: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--input-type=module', '--eval', code], { cwd: PROJECT_ROOT, env: { PATH: process.env.PATH ?? '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return within(exited, 'the example ending by itself', 15_000).catch((err: Error) => {
    child.kill('SIGKILL');
    throw err;
  });
}

test('the Node example of docs/client.md runs as written: it signs in, is handed its own message once, and ends', async () => {
  const blocks = scriptBlocks('docs/client.md').filter((b) => b.tested === 'node-example');
  expect(blocks).toHaveLength(1);
  const { code, stdout, stderr } = await runModule(blocks[0].text, { CHAT_URL: server.url });
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const history = await ack(await server.connect(), 'history', {});
  const id = history.ok ? history.messages[0].id : 0;
  expect(stdout).toBe(`public node-example: hello from Node\nstored as #${id}\n`);
});
