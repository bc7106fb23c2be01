/**
 * Where the library keeps what must outlive a connection: the session token (so that a reconnection, a reload
 * or a restart is the same user) and, if asked, the outbox of unsent messages. A store is synchronous and holds
 * strings; `memoryStore` lasts as long as the process or page, `webStore` wraps localStorage (every tab of the
 * origin, across restarts of the browser) or sessionStorage (this tab, across reloads).
 */
export interface KeyValueStore {
  get(key: string): string | null;
  set(key: string, value: string): void;
  remove(key: string): void;
}

export function memoryStore(): KeyValueStore {
  const values = new Map<string, string>();
  return {
    get: (key) => values.get(key) ?? null,
    set: (key, value) => void values.set(key, value),
    remove: (key) => void values.delete(key),
  };
}

/** The part of the Web Storage API the library uses (localStorage, sessionStorage). */
export interface WebStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * A store over Web Storage, its keys prefixed. Storage can be disabled (privacy settings) or full: then values
 * are kept in memory for this page's life instead, and the first failure is reported once in the console.
 */
export function webStore(storage: WebStorage, prefix = 'chat.'): KeyValueStore {
  const fallback = memoryStore();
  let failed = false;
  const attempt = <T>(action: () => T, instead: () => T): T => {
    if (!failed) {
      try {
        return action();
      } catch (err) {
        failed = true;
        console.warn('chat client: web storage is unavailable; keeping the session in memory only', err);
      }
    }
    return instead();
  };
  return {
    get: (key) => attempt(() => storage.getItem(prefix + key), () => fallback.get(key)),
    set: (key, value) => attempt(() => storage.setItem(prefix + key, value), () => fallback.set(key, value)),
    remove: (key) => attempt(() => storage.removeItem(prefix + key), () => fallback.remove(key)),
  };
}

/** localStorage where there is one (a browser), else memory (Node). */
export function defaultStore(): KeyValueStore {
  let storage: WebStorage | undefined;
  try {
    storage = (globalThis as { localStorage?: WebStorage }).localStorage;
  } catch {
    storage = undefined; // reading it throws where storage is blocked
  }
  return storage ? webStore(storage) : memoryStore();
}

/** The JSON value at `key` if `valid` accepts it; anything else (absent, not JSON, another shape) is undefined. */
export function readJson<T>(store: KeyValueStore, key: string, valid: (value: unknown) => value is T): T | undefined {
  const raw = store.get(key);
  if (raw === null) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    return valid(value) ? value : undefined;
  } catch {
    return undefined; // written by something else: treated as absent
  }
}

export function writeJson(store: KeyValueStore, key: string, value: unknown): void {
  store.set(key, JSON.stringify(value));
}
