/**
 * The durability settings in force, read back from the storage itself (issue 22): a SIGKILL test cannot tell
 * `synchronous=FULL` from `NORMAL` (the OS page cache survives a process kill), so these read the setting.
 */
import path from 'node:path';
import { PostgresStore } from '../src/store/postgres';
import { SqliteStore } from '../src/store/sqlite';
import { startProcess } from './process';
import { createDatabase, describePostgres } from './postgres';
import { tempDir } from './tmpdir';

const tmp = tempDir('chat-durability-');
afterAll(() => tmp.cleanup());

/** The `storage` field of the built server's `listening` line, for this environment. */
async function storageLogged(env: Record<string, string>): Promise<unknown> {
  const server = await startProcess({ PORT: '0', ...env }, tmp.dir);
  try {
    return server.logs.find((line) => line.msg === 'listening')?.storage;
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
}

test('the server says at start-up that SQLite commits are fsynced (WAL, synchronous=full) by default', async () => {
  expect(await storageLogged({ DATABASE_URL: path.join(tmp.dir, 'default.db') })).toEqual({
    engine: 'sqlite',
    settings: { journal_mode: 'wal', synchronous: 'full' },
  });
});

test('SQLITE_SYNCHRONOUS=normal is what the connection runs with, and the log says so', async () => {
  expect(await storageLogged({ DATABASE_URL: path.join(tmp.dir, 'normal.db'), SQLITE_SYNCHRONOUS: 'normal' })).toEqual({
    engine: 'sqlite',
    settings: { journal_mode: 'wal', synchronous: 'normal' },
  });
});

test('SqliteStore.durability reads the connection, for each setting', async () => {
  for (const [setting, expected] of [[undefined, 'full'], ['full', 'full'], ['normal', 'normal']] as const) {
    const store = SqliteStore.open(path.join(tmp.dir, `store-${setting}.db`), setting);
    try {
      expect(await store.durability()).toEqual({ engine: 'sqlite', settings: { journal_mode: 'wal', synchronous: expected } });
    } finally {
      await store.close();
    }
  }
});

describePostgres('PostgreSQL', () => {
  test('PostgresStore.durability reports the server’s synchronous_commit and fsync', async () => {
    const db = await createDatabase();
    const store = await PostgresStore.open(db.url, { poolSize: 1 });
    try {
      expect(await store.durability()).toEqual({ engine: 'postgres', settings: { fsync: 'on', synchronous_commit: 'on' } });
    } finally {
      await store.close();
      await db.drop();
    }
  });
});
