/**
 * The SQLite store's own thread (issue 18): it owns the connection, so every query, commit and fsync runs
 * here and never holds the main thread's event loop (and with it every socket). The main thread's SqliteStore
 * (index.ts) forwards each call as a message; see there for the protocol.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SqliteSync } from '../../config';
import { ENGINE_CALLS, openEngine, type Engine, type EngineCalls } from './engine';
import { serializeError, type FromWorker, type ToWorker } from './channel';

const port = parentPort!;
const { file, synchronous } = workerData as { file: string; synchronous: SqliteSync };
const post = (message: FromWorker) => port.postMessage(message);

let engine: Engine | undefined;
try {
  engine = openEngine(file, synchronous, (committed) => post({ committed }));
  post({ ready: true });
} catch (err) {
  post({ failed: serializeError(err) });
  port.close();
}

let closed = false;
port.on('message', (message: ToWorker) => {
  if (!engine) return;
  if ('close' in message) {
    if (closed) return;
    closed = true;
    engine.close(); // commits what is queued: its results are posted by the microtasks that run next
    setImmediate(() => {
      post({ closed: true });
      port.close();
    });
    return;
  }
  const { call, method, args } = message;
  if (closed || !Object.hasOwn(ENGINE_CALLS, method)) {
    post({ call, error: serializeError(new Error(closed ? 'store is closed' : `no store call named ${method}`)) });
    return;
  }
  const run = engine.calls[method as keyof EngineCalls] as (...a: unknown[]) => Promise<unknown>;
  run(...args).then(
    (value) => post({ call, value }),
    (err: unknown) => post({ call, error: serializeError(err) }),
  );
});
