/**
 * `npm start`, run the way the README says (issue 20, "The first hour"): a signal to npm stops the server it
 * started, gracefully, and frees its port, and Ctrl+C in a terminal does the same. npm 11 runs a script with
 * `sh -c`, which does not pass signals on: npm forwarded SIGTERM to the shell, the shell died and
 * `node dist/index.js` kept running. The start script now `exec`s node, so npm's child is the server itself.
 * Each test spawns the real process tree (npm, and the server under it) and reads it from /proc.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PROJECT_ROOT } from '../bench/launcher';
import { within } from './helpers';
import { startProcess, type ServerProcess } from './process';
import { tempDir } from './tmpdir';

/** npm itself takes a second or two to start; `prestart` compiles first if dist/ is not current (scripts/build.mjs). */
const NPM_START_MS = 90_000;
/** The server's graceful shutdown is bounded by 10 s (src/index.ts); npm exits right after it. */
const STOP_MS = 15_000;

jest.setTimeout(NPM_START_MS + 2 * STOP_MS);

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir('chat-npm-start-')));
afterEach(() => tmp.cleanup());

/** What a person has: HOME and PATH; the server on a free port of loopback with its database in a temp folder. */
function variables(): Record<string, string> {
  return {
    HOME: process.env.HOME ?? tmp.dir,
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: path.join(tmp.dir, 'chat.db'),
    // npm's spinner writes escape codes in front of the server's first line on a terminal.
    npm_config_progress: 'false',
    npm_config_update_notifier: 'false',
  };
}

test.each(['SIGTERM', 'SIGINT'] as const)('%s to npm start stops the server too, gracefully, and frees its port', async (signal) => {
  const npm = await startProcess(variables(), PROJECT_ROOT, { command: ['npm', 'start'], startupMs: NPM_START_MS });
  const servers = serversUnder(npm.child.pid!);
  try {
    expect(servers).toHaveLength(1);
    npm.child.kill(signal);
    // `exited` waits for every holder of npm's stdout, the server included (it inherited the pipe).
    expect(await within(npm.exited, `npm start and the server exiting after ${signal}`, STOP_MS)).toBe(0);
    expect(servers.filter(running)).toEqual([]);
    expect(npm.logs.filter((l) => l.msg === 'shutting down')).toEqual([expect.objectContaining({ signal })]);
    expect(npm.logs.some((l) => l.msg === 'stopped')).toBe(true);
    expect(await portFree(npm.port)).toBe(true);
  } finally {
    await stopAll(npm, servers);
  }
});

test('Ctrl+C in the terminal running npm start: one graceful shutdown, though npm forwards a second SIGINT', async () => {
  // A terminal's Ctrl+C signals its whole foreground process group, npm and the server alike, and npm passes its
  // own SIGINT on as well. `script` (util-linux) runs npm in a pseudo-terminal; ^C typed into it is that Ctrl+C
  // (not echoed, so that the terminal prints no "^C" in front of the server's next log line).
  const npm = await startProcess(variables(), PROJECT_ROOT, {
    command: ['script', '--quiet', '--return', '--flush', '--command', 'stty -echo && exec npm start', '/dev/null'],
    startupMs: NPM_START_MS,
    input: true,
  });
  const servers = serversUnder(npm.child.pid!);
  try {
    expect(servers).toHaveLength(1);
    npm.child.stdin!.write('\x03');
    expect(await within(npm.exited, 'npm start and the server exiting after Ctrl+C', STOP_MS)).toBe(0);
    expect(servers.filter(running)).toEqual([]);
    expect(npm.logs.filter((l) => l.msg === 'shutting down')).toEqual([expect.objectContaining({ signal: 'SIGINT' })]);
    expect(npm.logs.some((l) => l.msg === 'stopped')).toBe(true);
    expect(await portFree(npm.port)).toBe(true);
  } finally {
    await stopAll(npm, servers);
  }
});

/** The pids of the `node dist/index.js` processes below `pid` (children, grandchildren…), from /proc. */
function serversUnder(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = read(`/proc/${entry}/stat`);
    if (stat === undefined) continue;
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
  }
  const below: number[] = [];
  for (let todo = [pid]; todo.length > 0; ) {
    const children = todo.flatMap((p) => parents.get(p) ?? []);
    below.push(...children);
    todo = children;
  }
  return below.filter((p) => read(`/proc/${p}/cmdline`)?.split('\0').includes('dist/index.js'));
}

/** Alive: its /proc entry exists and it is not a zombie waiting to be reaped. */
function running(pid: number): boolean {
  const stat = read(`/proc/${pid}/stat`);
  return stat !== undefined && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** Kills, by pid, whatever of the tree a failed test left running, and waits for npm's output to end. */
async function stopAll(npm: ServerProcess, servers: number[]): Promise<void> {
  npm.child.kill('SIGKILL');
  for (const pid of servers.filter(running)) process.kill(pid, 'SIGKILL');
  await npm.exited;
}
