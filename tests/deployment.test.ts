/**
 * The commands the docs tell people to run (issue 20: "every link and command checked by a test"). Every shell
 * block of README.md, docs/ and bench/README.md names only npm scripts and repository files that exist. The
 * blocks marked `<!-- tested: NAME -->` are run here, line by line as written, against a real server: only
 * /var/lib/chat and /var/backups/chat are moved into a temporary folder, `systemctl stop|start chat` stops and
 * starts the server process, `apt-get install -y PKG` checks that PKG's command is there, and `chown` (for a
 * user `chat` this machine does not have) is passed over.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { io } from 'socket.io-client';
import { PROJECT_ROOT } from '../bench/launcher';
import { loadConfig } from '../src/config';
import { docFiles, shellBlocks, type ShellBlock } from './docs';
import { closeClient, type Client } from './helpers';
import { createDatabase, describePostgres } from './postgres';
import { startProcess, type ServerProcess } from './process';
import { tempDir } from './tmpdir';

jest.setTimeout(90_000);

const blocks = docFiles().flatMap(shellBlocks);
const SCENARIOS = ['systemd-verify', 'sqlite-backup', 'sqlite-restore', 'postgres-backup', 'postgres-restore'];

/** The one block marked `<!-- tested: name -->`. */
function blockNamed(name: string): ShellBlock {
  const found = blocks.filter((b) => b.tested === name);
  if (found.length !== 1) throw new Error(`${found.length} blocks are marked "tested: ${name}"`);
  return found[0];
}

/** The command lines of a block, without comments and blank lines. */
function commands(block: ShellBlock): string[] {
  return block.text
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

test('every block marked as tested is run here, and every scenario here runs a block of the docs', () => {
  expect(blocks.filter((b) => b.tested !== undefined).map((b) => b.tested).sort()).toEqual([...SCENARIOS].sort());
});

test('every command in the docs names npm scripts and repository files that exist', () => {
  const { scripts } = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const named: string[] = [];
  const missing: string[] = [];
  for (const block of blocks) {
    for (const line of commands(block)) {
      const where = `${block.file}:${block.line}: ${line}`;
      for (const [, script] of line.matchAll(/\bnpm (?:run(?:-script)? )?([\w:-]+)/g)) {
        if (['ci', 'install', 'prune', 'run'].includes(script)) continue; // npm's own commands
        named.push(script);
        if (!(script in scripts)) missing.push(`${where} (no npm script "${script}")`);
      }
      for (const word of line.split(/\s+/).map((w) => w.replace(/^['"]|['",;]$/g, ''))) {
        if (!/^(docs|scripts|bench|src|static|tests|examples|\.ci)\/|^\.env\.example$/.test(word)) continue;
        named.push(word);
        if (!fs.existsSync(path.join(PROJECT_ROOT, word))) missing.push(`${where} (no file ${word})`);
      }
    }
  }
  expect(named).toEqual(expect.arrayContaining(['start', 'test', 'cluster', 'docs/systemd/chat.service', 'docs/nginx/chat-tls.conf']));
  expect(missing).toEqual([]);
});

interface Machine {
  tmp: string;
  env: Record<string, string>;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** Runs the block's lines one by one (see the file's comment); returns what each printed. */
async function runBlock(name: string, machine: Machine, cwd = machine.tmp): Promise<string[]> {
  const printed: string[] = [];
  for (const line of commands(blockNamed(name))) {
    const install = /^apt-get install -y (.+)$/.exec(line);
    if (install) {
      for (const pkg of install[1].split(/\s+/)) expect({ pkg, installed: onPath(pkg) }).toEqual({ pkg, installed: true });
      continue;
    }
    if (line === 'systemctl stop chat') await machine.stop();
    else if (line === 'systemctl start chat') await machine.start();
    else if (!line.startsWith('chown ')) {
      const moved = line.replaceAll('/var/lib/chat', path.join(machine.tmp, 'var/lib/chat')).replaceAll('/var/backups/chat', path.join(machine.tmp, 'var/backups/chat'));
      // stdin from /dev/null: on a socket (Node's pipes are), bash takes itself for a remote shell and reads bashrc.
      const env = { PATH: process.env.PATH ?? '', ...machine.env };
      const run = spawnSync('bash', ['-euo', 'pipefail', '-c', moved], { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect({ line, status: run.status, stderr: run.stderr }).toEqual({ line, status: 0, stderr: '' });
      printed.push(run.stdout);
    }
  }
  return printed;
}

function onPath(command: string): boolean {
  return spawnSync('bash', ['-c', `command -v ${command}`]).status === 0;
}

const requireTool = (command: string, pkg: string) => {
  if (onPath(command)) return true;
  if (process.env.CI === 'true') throw new Error(`${command} is required under CI (apt-get install -y ${pkg})`);
  console.warn(`skipping a docs command test: ${command} is not installed (apt-get install -y ${pkg})`);
  return false;
};

test('the systemd unit passes systemd-analyze verify without a warning, and its settings are a configuration the server accepts', async () => {
  if (requireTool('systemd-analyze', 'systemd')) await runBlock('systemd-verify', { tmp: PROJECT_ROOT, env: {}, stop: noop, start: noop }, PROJECT_ROOT);
  const unit = fs.readFileSync(path.join(PROJECT_ROOT, 'docs', 'systemd', 'chat.service'), 'utf8');
  const environment = Object.fromEntries(
    [...unit.matchAll(/^Environment=(.*)$/gm)].flatMap(([, assignments]) => assignments.split(/\s+/).map((a) => a.split('=', 2) as [string, string])),
  );
  // What the docs write to /etc/chat/chat.env (EnvironmentFile=) comes on top.
  const siteFile = /printf '([^']*)\\n' > \/etc\/chat\/chat\.env/.exec(blocks.map((b) => b.text).join('\n'));
  expect(siteFile).not.toBeNull();
  const site = Object.fromEntries(siteFile![1].split('\\n').map((l) => l.split('=', 2) as [string, string]));
  expect(loadConfig({ ...environment, ...site })).toMatchObject({
    port: 3000,
    host: '127.0.0.1',
    trustProxy: true,
    storage: { kind: 'sqlite', path: '/var/lib/chat/chat.db' },
    publicOrigins: ['https://chat.example.com'],
  });
});

const noop = async () => undefined;

/** An ack from a server process that just started, on a loaded machine. */
const SLOW_MS = 20_000;

/** A server of its own on `databaseUrl`, and a way to chat with it and read its history. */
function serverOn(databaseUrl: string, dir: string) {
  let server: ServerProcess | undefined;
  let senders = 0;
  return {
    start: async () => void (server = await startProcess({ PORT: '0', HOST: '127.0.0.1', DATABASE_URL: databaseUrl, RATE_LIMITS: 'off' }, dir)),
    stop: async () => {
      expect(await server!.stop()).toBe(0);
      server = undefined;
    },
    kill: async () => {
      if (server) await server.stop(0);
    },
    async send(texts: string[]) {
      const client: Client = io(server!.url, { transports: ['websocket'], forceNew: true, reconnection: false });
      // A server process just started, on a loaded machine: its first connection and fsyncs can be slow.
      const acked = (event: 'login' | 'sendMsg', payload: object) => client.timeout(SLOW_MS).emitWithAck(event, payload as never);
      try {
        expect(await acked('login', { username: `keeper${++senders}` })).toMatchObject({ ok: true });
        for (const text of texts) expect(await acked('sendMsg', { text })).toMatchObject({ ok: true });
      } finally {
        await closeClient(client);
      }
    },
    async history(): Promise<string[]> {
      const res = await fetch(`${server!.url}/api/messages?limit=100`);
      return ((await res.json()) as { messages: Array<{ text: string }> }).messages.map((m) => m.text);
    },
  };
}

test('SQLite: the backup taken while the server runs holds every acked message, WAL included, and restores', async () => {
  if (!requireTool('sqlite3', 'sqlite3')) return;
  const tmp = tempDir('chat-backup-');
  const file = path.join(tmp.dir, 'var/lib/chat/chat.db');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const server = serverOn(file, tmp.dir);
  const machine = { tmp: tmp.dir, env: {}, start: server.start, stop: server.stop };
  try {
    await server.start();
    const before = ['one', 'two', 'three', 'four', 'five'];
    await server.send(before);
    expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(0); // the backup has a WAL to take into account

    const printed = await runBlock('sqlite-backup', machine);
    expect(printed.at(-1)).toBe('ok\n');
    const copy = new Database(path.join(tmp.dir, 'var/backups/chat/chat.db'), { readonly: true });
    expect((copy.prepare('SELECT body FROM messages ORDER BY id').all() as Array<{ body: string }>).map((r) => r.body)).toEqual(before);
    copy.close();

    await server.send(['after the backup']);
    await runBlock('sqlite-restore', machine);
    expect(await server.history()).toEqual(before);
  } finally {
    await server.kill();
    tmp.cleanup();
  }
});

describePostgres('PostgreSQL, as docs/deployment.md says', () => {
  test('pg_dump while the server runs, pg_restore into an empty database: the history is back', async () => {
    if (!requireTool('pg_dump', 'postgresql-client') || !requireTool('pg_restore', 'postgresql-client')) return;
    const tmp = tempDir('chat-pg-backup-');
    const [original, restored] = await Promise.all([createDatabase(), createDatabase()]);
    const first = serverOn(original.url, tmp.dir);
    const second = serverOn(restored.url, tmp.dir);
    try {
      await first.start();
      const sent = ['alpha', 'beta', 'gamma'];
      await first.send(sent);
      await runBlock('postgres-backup', { tmp: tmp.dir, env: { DATABASE_URL: original.url }, start: noop, stop: noop });
      await first.stop();
      await runBlock('postgres-restore', { tmp: tmp.dir, env: { DATABASE_URL: restored.url }, start: noop, stop: noop });
      await second.start();
      expect(await second.history()).toEqual(sent);
    } finally {
      await first.kill();
      await second.kill();
      await Promise.all([original.drop(), restored.drop()]);
      tmp.cleanup();
    }
  });
});
