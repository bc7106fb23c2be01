import type { StorageConfig } from '../config';
import { SqliteStore } from './sqlite';
import type { ChatStore } from './store';

export type { ChatStore } from './store';

/** Opens the store the configuration names. */
export function openStore(config: StorageConfig): ChatStore {
  switch (config.kind) {
    case 'sqlite':
      return SqliteStore.open(config.path, config.synchronous);
  }
}
