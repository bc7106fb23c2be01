import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SqliteSync } from '../../config';
import type { Committed } from '../store';
import type { ChatStore } from '../store';
import { deserializeError, type FromWorker, type ToWorker } from './channel';
import { ENGINE_CALLS, type EngineCalls } from './engine';

// Every call but the feed and `close` is forwarded to the store's thread: see the constructor.
export interface SqliteStore extends EngineCalls {}

/**
 * ChatStore on one SQLite file (better-sqlite3), run on a thread of its own (worker.ts, engine.ts).
 *
 * Why a thread (issue 18): better-sqlite3 is synchronous, so on the main thread every query and every commit's
 * fsync held the event loop, and with it every socket: a 20 ms fsync was 20 ms without any delivery. On its
 * own thread, group commit (writer.ts) forms itself: the calls that arrive while a commit is being fsynced wait
 * in the thread's queue and go out together in the next transaction, so a slower disk makes batches larger,
 * not the chat slower.
 *
 * Guarantees are ChatStore's (users.ts, messages.ts), kept as follows:
 * - Ordering and the feed: the thread owns the file and commits one transaction at a time, so ids are
 *   commit-ordered; it posts each transaction's messages (`committed`) before the results of its calls, and
 *   one message port keeps that order, so listeners here hear of every message, in id order, before its
 *   append resolves.
 * - Durability: WAL journal. With `synchronous = FULL` (the default) a commit is fsynced before its results
 *   are posted, so an acked message survives a process crash (SIGKILL) and a power loss. With `NORMAL` it
 *   survives a process crash; a power loss may take the last commits (SQLITE_SYNCHRONOUS in config.ts).
 *   `durability()` reads both settings back from the connection.
 */
export class SqliteStore implements ChatStore {
  /** Resolves once the file is open and migrated; rejects with the reason it could not be. */
  readonly ready: Promise<void>;
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (value: any) => void; reject: (err: Error) => void }>();
  private readonly listeners = new Set<(committed: Committed) => void>();
  private nextCall = 1;
  /** Set once the thread cannot take calls any more: why (closed, failed to open, or died). */
  private stopped: Error | undefined;
  private readonly exited: Promise<void>;
  private settleReady!: (err?: Error) => void;

  private constructor(file: string, synchronous: SqliteSync) {
    this.ready = new Promise<void>((resolve, reject) => (this.settleReady = (err) => (err ? reject(err) : resolve())));
    this.ready.catch(() => undefined); // a caller that never awaits it learns of the failure from its calls
    this.worker = new Worker(BOOT, { eval: true, workerData: { entry: WORKER_ENTRY, file, synchronous } });
    this.worker.on('message', (message: FromWorker) => this.receive(message));
    // The thread keeps the process alive only while something waits for it (opening, calls, closing), as a
    // socket does while it has work: an idle store left open does not hold a process (or a test run) forever.
    this.ready.then(() => this.holdWhileBusy(), () => undefined);
    this.worker.on('error', (err) => this.stop(err));
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', () => {
        this.stop(new Error('the SQLite store thread has exited'));
        resolve();
      }),
    );
    const calls = Object.keys(ENGINE_CALLS) as Array<keyof EngineCalls>;
    for (const method of calls) Object.assign(this, { [method]: (...args: unknown[]) => this.call(method, args) });
  }

  /** Opens `file` (or `:memory:`) on a thread of its own; calls made before it is ready wait for it. */
  static open(file: string, synchronous: SqliteSync = 'full'): SqliteStore {
    return new SqliteStore(file, synchronous);
  }

  onCommitted(listener: (committed: Committed) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Commits what is queued, closes the file and ends the thread. */
  async close(): Promise<void> {
    if (!this.stopped) {
      this.stopped = new Error('store is closed');
      this.worker.ref();
      this.send({ close: true });
    }
    await this.exited;
  }

  private call(method: string, args: unknown[]): Promise<unknown> {
    if (this.stopped) return Promise.reject(this.stopped);
    const call = this.nextCall++;
    return new Promise((resolve, reject) => {
      this.pending.set(call, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      this.send({ call, method, args });
    });
  }

  private send(message: ToWorker): void {
    this.worker.postMessage(message);
  }

  private receive(message: FromWorker): void {
    if ('committed' in message) {
      for (const record of message.committed) for (const listener of this.listeners) listener(record);
    } else if ('call' in message) {
      const waiter = this.pending.get(message.call);
      this.pending.delete(message.call);
      this.holdWhileBusy();
      if ('error' in message) waiter?.reject(deserializeError(message.error));
      else waiter?.resolve(message.value);
    } else if ('ready' in message) {
      this.settleReady();
    } else if ('failed' in message) {
      this.stop(deserializeError(message.failed));
    }
  }

  private holdWhileBusy(): void {
    if (this.pending.size === 0 && !this.stopped) this.worker.unref();
  }

  /** The thread takes no more calls: fails what waits (their outcome is unknown only if it died mid-commit). */
  private stop(reason: Error): void {
    this.stopped ??= reason;
    this.settleReady(reason);
    for (const waiter of this.pending.values()) waiter.reject(reason);
    this.pending.clear();
  }
}

/** The thread's module: the built worker.js, or, when this file runs from its TypeScript source (the tests), worker.ts. */
const WORKER_ENTRY = path.join(__dirname, __filename.endsWith('.ts') ? 'worker.ts' : 'worker.js');

/**
 * The thread's first code. Running from source, it compiles each TypeScript module as it is required (the
 * compiler is a development dependency; the built server never takes this path), and keeps what it compiled in
 * a cache keyed by the source's path, size and time, so that the tests' many stores do not each load the
 * compiler.
 */
const BOOT = `
const { workerData } = require('node:worker_threads');
if (workerData.entry.endsWith('.ts')) {
  const fs = require('node:fs');
  const path = require('node:path');
  const crypto = require('node:crypto');
  const cache = path.join(require('node:os').tmpdir(), 'chat-store-thread-' + process.getuid());
  fs.mkdirSync(cache, { recursive: true });
  let ts;
  require.extensions['.ts'] = (module, filename) => {
    const stat = fs.statSync(filename);
    const key = crypto.createHash('sha1').update(filename + ':' + stat.size + ':' + stat.mtimeMs).digest('hex');
    const cached = path.join(cache, key + '.js');
    let code;
    try {
      code = fs.readFileSync(cached, 'utf8');
    } catch {
      ts ??= require('typescript');
      const compilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true };
      code = ts.transpileModule(fs.readFileSync(filename, 'utf8'), { compilerOptions, fileName: filename }).outputText;
      const temporary = cached + '.' + process.pid + '.' + require('node:worker_threads').threadId;
      fs.writeFileSync(temporary, code);
      fs.renameSync(temporary, cached);
    }
    module._compile(code, filename);
  };
}
require(workerData.entry);
`;
