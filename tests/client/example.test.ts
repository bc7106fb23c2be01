/**
 * The client examples of the docs, as written, run by Node against a real server: docs/client.md's and the
 * README's two (the tutorial's events, and the library). The built library (what `npm run build` made in
 * static/js/lib/chat-client/) works outside the browser with socket.io-client, and a program that closes its
 * client ends by itself. Every JavaScript block marked `<!-- tested: NAME -->` is one of these.
 */
import { spawn } from 'node:child_process';
import { PROJECT_ROOT } from '../../bench/launcher';
import { docFiles, scriptBlocks } from '../docs';
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

/** The one JavaScript block of `file` marked `<!-- tested: name -->`. */
function example(file: string, name: string): string {
  const blocks = scriptBlocks(file).filter((b) => b.tested === name);
  expect(blocks).toHaveLength(1);
  return blocks[0].text;
}

/** The id of the newest public message. */
async function newestId(): Promise<number> {
  const history = await ack(await server.connect(), 'history', {});
  return history.ok ? history.messages[0].id : 0;
}

test('the Node example of docs/client.md runs as written: it signs in, is handed its own message once, and ends', async () => {
  const { code, stdout, stderr } = await runModule(example('docs/client.md', 'node-example'), { CHAT_URL: server.url });
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(stdout).toBe(`public node-example: hello from Node\nstored as #${await newestId()}\n`);
});

test("the README's tutorial example runs as written: logged in, welcomed, its message broadcast back to it, and it ends", async () => {
  const { code, stdout, stderr } = await runModule(example('README.md', 'readme-tutorial'), { CHAT_URL: server.url });
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(stdout).toBe('notice: Welcome, tutorial-fan!\ntutorial-fan: hello, tutorial style\n');
  expect(await newestId()).toBeGreaterThan(0);
});

test("the README's library example runs as written: it signs in, is handed its own message once, and ends", async () => {
  const { code, stdout, stderr } = await runModule(example('README.md', 'readme-library'), { CHAT_URL: server.url });
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(stdout).toBe('library-fan: hello from the library\n');
});

test('every JavaScript block marked as tested in the docs is run here', () => {
  const marked = docFiles().flatMap((file) => scriptBlocks(file).filter((b) => b.tested !== undefined).map((b) => `${file}:${b.tested}`));
  expect(marked.sort()).toEqual(['README.md:readme-library', 'README.md:readme-tutorial', 'docs/client.md:node-example']);
});
