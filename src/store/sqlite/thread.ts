import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SqliteSync } from '../../config';
import type { Committed } from '../store';
import { deserializeError, type FromWorker, type ToWorker } from './channel';

/**
 * What a store thread opens: the file, and its role: the writer (migrations and every write), a reader (the
 * calls that only read, on a read-only connection) or the checkpointer (no calls: checkpoints.ts).
 */
export interface ThreadOptions {
  file: string;
  synchronous: SqliteSync;
  role: 'writer' | 'reader' | 'checkpointer';
}

/**
 * One thread running an engine (worker.ts) on its own connection to the file, seen from the main thread:
 * calls go out as messages and their results come back on the same port, in the order the thread answers them.
 */
export class StoreThread {
  /** Resolves once the file is open (and, for the writer, migrated); rejects with the reason it could not be. */
  readonly ready: Promise<void>;
  /** Resolves once the thread has exited. */
  readonly exited: Promise<void>;
  readonly role: ThreadOptions['role'];
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (value: any) => void; reject: (err: Error) => void }>();
  private nextCall = 1;
  /** Set once the thread has opened its file. */
  private opened = false;
  /** Set once the thread cannot take calls any more: why (closed, failed to open, or died). */
  private stopped: Error | undefined;
  private settleReady!: (err?: Error) => void;

  constructor(
    options: ThreadOptions,
    /** Told each transaction's messages, before the results of its calls (the writer's only). */
    private readonly onCommitted: (committed: Committed[]) => void = () => undefined,
  ) {
    this.role = options.role;
    this.ready = new Promise<void>((resolve, reject) => (this.settleReady = (err) => (err ? reject(err) : resolve())));
    this.ready.catch(() => undefined); // a caller that never awaits it learns of the failure from its calls
    this.worker = new Worker(BOOT, { eval: true, workerData: { entry: WORKER_ENTRY, ...options } });
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
  }

  /** Whether it takes calls now: open, and neither closed nor dead. */
  get usable(): boolean {
    return this.opened && !this.stopped;
  }

  call(method: string, args: unknown[]): Promise<unknown> {
    if (this.stopped) return Promise.reject(this.stopped);
    const call = this.nextCall++;
    return new Promise((resolve, reject) => {
      this.pending.set(call, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      this.send({ call, method, args });
    });
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

  private send(message: ToWorker): void {
    this.worker.postMessage(message);
  }

  private receive(message: FromWorker): void {
    if ('committed' in message) {
      this.onCommitted(message.committed);
    } else if ('call' in message) {
      const waiter = this.pending.get(message.call);
      this.pending.delete(message.call);
      this.holdWhileBusy();
      if ('error' in message) waiter?.reject(deserializeError(message.error));
      else waiter?.resolve(message.value);
    } else if ('ready' in message) {
      this.opened = true;
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
