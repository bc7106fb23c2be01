import type { StorageConfig } from '../config';
import { PostgresStore } from './postgres';
import { SqliteStore } from './sqlite';
import type { ChatStore } from './store';

export type { ChatStore } from './store';

/** Opens the store the configuration names; PostgreSQL connects and migrates first. */
export async function openStore(config: StorageConfig, options: { onError?: (err: Error) => void } = {}): Promise<ChatStore> {
  switch (config.kind) {
    case 'sqlite':
      return SqliteStore.open(config.path, config.synchronous);
    case 'postgres':
      return PostgresStore.open(config.url, { ...config, onError: options.onError });
  }
}

/** Opens a SQLite store synchronously, for callers that cannot wait; PostgreSQL needs `openStore`. */
export function openSqliteStore(config: StorageConfig): ChatStore {
  if (config.kind !== 'sqlite') {
    throw new Error(`${config.kind} storage must be opened with \`await openStore(config.storage)\` and passed in as deps.store`);
  }
  return SqliteStore.open(config.path, config.synchronous);
}
