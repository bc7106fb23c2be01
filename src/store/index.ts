import type { StorageConfig } from '../config';
import { PostgresStore } from './postgres';
import { SqliteStore } from './sqlite';
import type { ChatStore } from './store';

export type { ChatStore } from './store';

/** Opens the store the configuration names, once it is open and migrated (or rejects with why it cannot be). */
export async function openStore(config: StorageConfig, options: { onError?: (err: Error) => void } = {}): Promise<ChatStore> {
  switch (config.kind) {
    case 'sqlite': {
      const store = SqliteStore.open(config.path, config.synchronous);
      await store.ready.catch(async (err) => {
        await store.close();
        throw err;
      });
      return store;
    }
    case 'postgres':
      return PostgresStore.open(config.url, { ...config, onError: options.onError });
  }
}

/**
 * Opens a SQLite store without waiting, for callers that cannot wait (its calls wait for it, and fail if it
 * cannot open); PostgreSQL needs `openStore`.
 */
export function openSqliteStore(config: StorageConfig): ChatStore {
  if (config.kind !== 'sqlite') {
    throw new Error(`${config.kind} storage must be opened with \`await openStore(config.storage)\` and passed in as deps.store`);
  }
  return SqliteStore.open(config.path, config.synchronous);
}
