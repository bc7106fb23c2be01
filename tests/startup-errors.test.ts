/**
 * Start-up errors say what to do (issue 20, "The first hour"): the built server (dist/index.js) is started
 * with each mistake an operator makes, and what it prints is read back. On a terminal (a pseudo-terminal made
 * by util-linux's `script`) the problem and its hint are plain lines on stderr; otherwise, one JSON log line
 * on stdout with `msg` (the problem) and `hint`. No stack trace for any of these, and no password repeated.
 */
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { testConfig } from '../src/config';
import { startupFailure } from '../src/startup/failures';
import { plainText } from '../src/startup/report';
import { MIGRATIONS } from '../src/store/sqlite/schema';
import { within } from './helpers';
import { createDatabase, describePostgres, type TestDatabase } from './postgres';
import { ENTRY, PROCESS_START_MS, startProcess } from './process';
import { freePort } from './redis-server';
import { tempDir } from './tmpdir';

jest.setTimeout(60_000);

/**
 * Root ignores file permissions and may bind any port, so the tests that need a user without those privileges
 * run the server as nobody, when nobody can read the built server (its checkout may sit in a folder only root
 * may enter); otherwise as root without the capabilities that bypass file permissions and bind low ports.
 */
const asRoot = process.getuid?.() === 0;
const NOBODY = { uid: 65534, gid: 65534 };
const nobodyCanRun = asRoot && spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(ENTRY)})`], NOBODY).status === 0;
const DROPPED = 'dac_override,dac_read_search,net_bind_service'.split(',').map((cap) => `-${cap}`).join(',');
const unprivileged: Unprivileged = !asRoot
  ? { options: {}, prefix: [], name: os.userInfo().username }
  : nobodyCanRun
    ? { options: NOBODY, prefix: [], name: 'nobody' }
    : { options: {}, prefix: ['setpriv', `--inh-caps=${DROPPED}`, `--bounding-set=${DROPPED}`, '--'], name: 'root' };
const unprivilegedName = unprivileged.name;

interface Unprivileged {
  options: SpawnOptions;
  /** A command the server runs under. */
  prefix: string[];
  name: string;
}

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir('chat-startup-');
  fs.chmodSync(tmp.dir, 0o755); // the working directory of a server run as nobody
});
afterEach(() => tmp.cleanup());

interface Outcome {
  code: number | string;
  stdout: string;
  stderr: string;
}

/** Runs the server until it exits (bounded), on a terminal or with pipes, and returns what it printed. */
async function run(variables: Record<string, string>, { terminal = false, privileged = true, ms = PROCESS_START_MS } = {}): Promise<Outcome> {
  const env = { PATH: process.env.PATH ?? '', ...variables };
  const as = privileged ? { options: {}, prefix: [] } : unprivileged;
  const [file, ...args] = terminal
    ? ['script', '--quiet', '--return', '--command', `exec ${process.execPath} ${ENTRY}`, '/dev/null']
    : [...as.prefix, process.execPath, ENTRY];
  const child = spawn(file, args, { cwd: tmp.dir, env, stdio: ['ignore', 'pipe', 'pipe'], ...as.options });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const closed = new Promise<number | string>((resolve) => child.once('close', (code, signal) => resolve(signal ?? code ?? -1)));
  try {
    const code = await within(closed, 'the server exiting', ms);
    // A terminal ends lines with \r\n, and `script` passes the program's stderr through its own stdout.
    return { code, stdout: stdout.replaceAll('\r\n', '\n'), stderr };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); // it started after all
    await closed;
  }
}

/** The one JSON line a refused start prints when stdout is not a terminal. */
function jsonRefusal({ code, stdout, stderr }: Outcome): Record<string, unknown> {
  expect({ code, stderr }).toEqual({ code: 1, stderr: '' });
  const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  const fatal = lines.filter((l) => l.level === 60);
  expect(fatal).toHaveLength(1);
  expect(fatal[0]).not.toHaveProperty('err'); // no stack trace: nothing unexpected happened
  return fatal[0];
}

/** Listens on a free port of every interface until `close()`: the port the server is then told to use. */
async function occupiedPort(): Promise<{ port: number; close: () => Promise<void> }> {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, () => resolve()));
  return { port: (blocker.address() as net.AddressInfo).port, close: () => new Promise((resolve) => blocker.close(() => resolve())) };
}

describe('a port in use', () => {
  test('is one JSON line naming the port and PORT, without a stack trace', async () => {
    const taken = await occupiedPort();
    try {
      const refusal = jsonRefusal(await run({ PORT: String(taken.port), DATABASE_URL: ':memory:' }));
      expect(refusal).toMatchObject({ msg: `port ${taken.port} is in use`, hint: expect.stringMatching(/^set PORT to a free port/) });
    } finally {
      await taken.close();
    }
  });

  test('on a terminal: "port N is in use: set PORT …", one line, nothing else', async () => {
    const taken = await occupiedPort();
    try {
      const { code, stdout } = await run({ PORT: String(taken.port), HOST: '127.0.0.1', DATABASE_URL: ':memory:' }, { terminal: true });
      expect(code).toBe(1);
      expect(stdout).toBe(
        `port ${taken.port} is in use on 127.0.0.1: set PORT to a free port (PORT=${taken.port + 1} npm start), or stop the program using it (\`ss -ltnp 'sport = :${taken.port}'\` names it)\n`,
      );
    } finally {
      await taken.close();
    }
  });
});

test('a port below 1024 without the privilege for it says how to do without', async () => {
  const unprivilegedStart = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
  if (unprivilegedStart <= 1) {
    console.warn('skipping the privileged-port test: every port is open to every user here (net.ipv4.ip_unprivileged_port_start)');
    return;
  }
  const port = await freePrivilegedPort(Math.min(unprivilegedStart, 1024));
  const refusal = jsonRefusal(await run({ PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: ':memory:' }, { privileged: false }));
  expect(refusal).toMatchObject({
    msg: `port ${port} on 127.0.0.1 needs privileges that user ${unprivilegedName} lacks`,
    hint: expect.stringContaining('set PORT to 1024 or above (3000) with nginx in front'),
  });
});

test('HOST that is not an address of this machine', async () => {
  const refusal = jsonRefusal(await run({ PORT: '0', HOST: '192.0.2.1', DATABASE_URL: ':memory:' }));
  expect(refusal).toMatchObject({ msg: 'HOST=192.0.2.1 is not an address of this machine', hint: expect.stringContaining('set HOST to one of its addresses') });
});

describe('a bad configuration', () => {
  const bad = { PORT: 'eighty', LOG_LEVEL: 'loud', DATABASE_URL: ':memory:' };
  const problems = [
    'PORT: Invalid input: expected number, received NaN',
    'LOG_LEVEL: Invalid option: expected one of "fatal"|"error"|"warn"|"info"|"debug"|"trace"|"silent"',
  ];

  test('is one JSON line with every problem and the hint, exit status 2', async () => {
    const { code, stdout, stderr } = await run(bad);
    expect({ code, stderr }).toEqual({ code: 2, stderr: '' });
    expect(stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ level: 60, msg: 'the configuration has 2 problems', problems, hint: expect.stringContaining('.env.example') }),
    ]);
  });

  test('on a terminal: one problem a line, readable, then what to do', async () => {
    const { code, stdout } = await run(bad, { terminal: true });
    expect(code).toBe(2);
    expect(stdout).toBe(
      [
        'the configuration has 2 problems:',
        ...problems.map((p) => `  ${p}`),
        'set these variables in the environment or in .env (.env.example describes each) and start again',
        '',
      ].join('\n'),
    );
  });
});

describe('a SQLite database the server cannot use', () => {
  test('in a directory it may not write (created or not): says which user needs what, or to set DATABASE_URL', async () => {
    const locked = path.join(tmp.dir, 'locked');
    fs.mkdirSync(locked, { mode: 0o555 });
    fs.chmodSync(locked, 0o555);
    for (const file of [path.join(locked, 'chat.db'), path.join(locked, 'data', 'chat.db')]) {
      const refusal = jsonRefusal(await run({ PORT: '0', DATABASE_URL: file }, { privileged: false }));
      expect(refusal).toMatchObject({
        msg: expect.stringMatching(new RegExp(`^cannot open the SQLite database ${file}: (permission denied|unable to open database file)$`)),
        hint: `user ${unprivilegedName} must be able to write to ${path.dirname(file)} (the database and its -wal and -shm files live there): set DATABASE_URL to a path it may write, or give it that directory (chown)`,
      });
    }
  });

  test('a file that is not a database', async () => {
    const file = path.join(tmp.dir, 'notes.txt');
    fs.writeFileSync(file, 'these are my notes, not a database\n'.repeat(200));
    const refusal = jsonRefusal(await run({ PORT: '0', DATABASE_URL: file }));
    expect(refusal).toMatchObject({ msg: `${file} is not a SQLite database, or is damaged`, hint: expect.stringContaining('check that DATABASE_URL names') });
  });

  test('a database migrated by a newer release (an upgrade rolled back without its backup)', async () => {
    const file = path.join(tmp.dir, 'chat.db');
    const db = new Database(file);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    const refusal = jsonRefusal(await run({ PORT: '0', DATABASE_URL: file }));
    expect(refusal).toMatchObject({
      msg: `the database was upgraded by a newer release of the chat (schema version ${MIGRATIONS.length + 1}; this release knows up to ${MIGRATIONS.length})`,
      hint: expect.stringContaining('restore the backup taken before the upgrade'),
    });
  });
});

test('an unreadable .env', async () => {
  fs.writeFileSync(path.join(tmp.dir, '.env'), 'PORT=0\n');
  fs.chmodSync(path.join(tmp.dir, '.env'), 0o000);
  const refusal = jsonRefusal(await run({ DATABASE_URL: ':memory:' }, { privileged: false }));
  expect(refusal).toMatchObject({ msg: `cannot read .env in ${tmp.dir}: permission denied`, hint: expect.stringContaining('make it readable') });
});

test('PostgreSQL that does not answer: where it was looked for, never the password', async () => {
  const port = await freePort();
  const outcome = await run({ PORT: '0', DATABASE_URL: `postgres://chat:pa55word@127.0.0.1:${port}/chat` });
  expect(jsonRefusal(outcome)).toMatchObject({
    msg: `cannot reach PostgreSQL at 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    hint: expect.stringContaining('is PostgreSQL running and listening there'),
  });
  expect(outcome.stdout).not.toContain('pa55word');
});

describePostgres('with PostgreSQL running', () => {
  let db: TestDatabase;
  beforeAll(async () => (db = await createDatabase()));
  afterAll(async () => db?.drop());

  test('a database that does not exist: how to create it', async () => {
    const url = new URL(db.url);
    url.pathname = '/no_such_chat_database';
    const refusal = jsonRefusal(await run({ PORT: '0', DATABASE_URL: url.href }));
    expect(refusal).toMatchObject({
      msg: `database "no_such_chat_database" does not exist on ${url.hostname}:${url.port || 5432}`,
      hint: expect.stringMatching(/^create it \(createdb -O \S+ no_such_chat_database\)/),
    });
  });

  test('Redis that does not answer (cluster mode): the node starts without it (issue 16), says where it looked, never the password', async () => {
    const port = await freePort();
    const server = await startProcess({ PORT: '0', DATABASE_URL: db.url, REDIS_URL: `redis://:r3dispass@127.0.0.1:${port}` }, tmp.dir);
    try {
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      const said = JSON.stringify(server.logs);
      expect(server.logs).toContainEqual(expect.objectContaining({ level: 40, msg: 'redis connection trouble', err: expect.stringContaining(`127.0.0.1:${port}`) }));
      expect(server.logs).toContainEqual(expect.objectContaining({ level: 40, msg: expect.stringMatching(/^presence: starting without Redis/) }));
      expect(said).not.toContain('r3dispass');
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });
});

/** A port below `below` that nothing listens on (probed as root, or by whoever runs the tests). */
async function freePrivilegedPort(below: number): Promise<number> {
  for (let port = below - 1; port > 0; port--) {
    const free = await new Promise<boolean>((resolve) => {
      const probe = net.createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    // Not root: binding fails for every low port, and the server will be refused the same way.
    if (free || !asRoot) return port;
  }
  throw new Error(`no free port below ${below}`);
}

test('anything unexpected keeps its error and stack trace, for a bug report', () => {
  const err = new TypeError('cannot read properties of undefined');
  const failure = startupFailure('start', err);
  expect(failure).toEqual({
    problem: 'the server could not start: cannot read properties of undefined',
    hint: 'this is unexpected; please report it with this output (the stack trace shows where it happened)',
    err,
    exitCode: 1,
  });
  expect(plainText(failure)).toBe(`${failure.problem}: ${failure.hint}\n\n${err.stack}\n`);
  // An error of a known kind at a step where it is not expected is unexpected too.
  expect(startupFailure('listen', Object.assign(new Error('disk full'), { code: 'ENOSPC' }), testConfig()).err).toBeDefined();
});
