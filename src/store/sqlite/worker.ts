/**
 * A SQLite store's thread (issue 18): it owns a connection, so its queries, commits and fsyncs run here and
 * never hold the main thread's event loop (and with it every socket). The writer's thread takes every write
 * and owns the commits; a reader's thread has a read-only connection for the calls that only read; the
 * checkpointer's thread only checkpoints (checkpoints.ts). The main
 * thread's SqliteStore (index.ts, thread.ts) forwards each call as a message; see there for the protocol.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openCheckpointer } from './checkpoints';
import { ENGINE_CALLS, openEngine, type EngineCalls } from './engine';
import { serializeError, type FromWorker, type ToWorker } from './channel';
import type { ThreadOptions } from './thread';

const port = parentPort!;
const { file, synchronous, role } = workerData as ThreadOptions;
const post = (message: FromWorker) => port.postMessage(message);

/** What this thread runs: an engine, or the checkpointer, which takes no calls. */
let engine: { calls?: EngineCalls; close(): void } | undefined;
try {
  engine =
    role === 'checkpointer'
      ? openCheckpointer(file)
      : openEngine(file, synchronous, (committed) => post({ committed }), { readonly: role === 'reader' });
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
  const known = Object.hasOwn(ENGINE_CALLS, method);
  if (closed || !known || !engine.calls) {
    const why = closed ? 'store is closed' : !known ? `no store call named ${method}` : `the SQLite ${role} thread takes no calls`;
    post({ call, error: serializeError(new Error(why)) });
    return;
  }
  const run = engine.calls[method as keyof EngineCalls] as (...a: unknown[]) => Promise<unknown>;
  run(...args).then(
    (value) => post({ call, value }),
    (err: unknown) => post({ call, error: serializeError(err) }),
  );
});
