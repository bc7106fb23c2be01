/**
 * The orchestrator's handle on one server process under test (a node of the project, or the reference),
 * running in its own child process so that its CPU time and memory can be read apart from the load
 * generator's. CPU and RSS come from /proc/<pid> (Linux), which stays readable while the child's event loop
 * is saturated; garbage collection and profiling go over IPC. Every child started is recorded and killed by
 * pid if the orchestrator exits early, as is anything else registered with `killOnExit`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { FromChild, LoopDelayReport, MemoryReport, Operation, ToChild } from './child-control';
import { cpuMicros, memory, runQueueWaitMicros, writeSyscalls } from './proc';

/** The child programs: `<script>-server.ts`. */
export type ServerScript = 'project' | 'reference';

export interface ProcSample {
  /** User + system CPU time, microseconds. */
  cpuMicros: number;
  /** Time its main thread (the event loop) was runnable but waited for a CPU, microseconds. */
  waitMicros: number;
  rssBytes: number;
  /** Peak RSS so far (VmHWM). */
  peakRssBytes: number;
  /** write/writev/send system calls so far (syscw of /proc/<pid>/io): how well writes to sockets batch. */
  writeSyscalls: number;
}

const STARTUP_MS = 30_000;
const REQUEST_MS = 60_000;
const EXIT_MS = 5_000;

const live = new Set<ChildProcess>();
const otherKillers = new Set<() => void>();

/** Kills (SIGKILL, by pid) every server child still running, and what else was registered. Safe to call more than once. */
export function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
  for (const kill of otherKillers) kill();
  otherKillers.clear();
}

/** Has `killAll` call `kill` too (a redis-server the benchmark started); the returned function unregisters it. */
export function killOnExit(kill: () => void): () => void {
  otherKillers.add(kill);
  return () => otherKillers.delete(kill);
}

export class ServerProcess {
  private nextId = 0;
  private readonly replies = new Map<number, (message: Extract<FromChild, { type: 'reply' }>) => void>();

  private constructor(
    /** Names it in messages: "project", "cluster node 2". */
    readonly label: string,
    readonly port: number,
    private readonly child: ChildProcess,
    readonly logFile: string,
    private readonly wrapped: boolean,
  ) {
    child.on('message', (message: FromChild) => {
      if (message.type !== 'reply') return;
      this.replies.get(message.id)?.(message);
      this.replies.delete(message.id);
    });
  }

  /** The server's own process: the child, or, when it runs under a wrapper (strace), the wrapper's child. */
  get pid(): number {
    return (this.wrapped && childOf(this.child.pid!)) || this.child.pid!;
  }

  /**
   * Starts `dist-bench/bench/<script>-server.js` with its output in `workDir`/<label>.log. The child's
   * open-file limit is raised to the hard limit (through `sh -c ulimit`, which Node cannot do itself).
   */
  static async start(
    script: ServerScript,
    label: string,
    workDir: string,
    env: Record<string, string> = {},
    /** A command the server runs under (e.g. strace with fault injection); its pid is then the wrapper's. */
    wrapper: string[] = [],
  ): Promise<ServerProcess> {
    const file = path.join(__dirname, `${script}-server.js`);
    const logFile = path.join(workDir, `${label.replace(/\W+/g, '-')}.log`);
    const log = fs.openSync(logFile, 'a');
    const raise = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"';
    const child = spawn('/bin/sh', ['-c', raise, 'sh', ...wrapper, process.execPath, '--expose-gc', file], {
      stdio: ['ignore', log, log, 'ipc'],
      env: { ...process.env, ...env },
    });
    fs.closeSync(log);
    live.add(child);
    child.once('exit', () => live.delete(child));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => fail(`did not start within ${STARTUP_MS} ms`), STARTUP_MS);
      const fail = (why: string) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`${label} server ${why}; see ${logFile}:\n${tail(logFile)}`));
      };
      child.once('exit', (code, signal) => fail(`exited (${signal ?? code}) before it was ready`));
      child.on('message', (message: FromChild) => {
        if (message.type !== 'ready') return;
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.once('exit', () => live.delete(child));
        resolve(message.port);
      });
    });
    return new ServerProcess(label, port, child, logFile, wrapper.length > 0);
  }

  /** CPU time, RSS and write system calls of the child, read from /proc. */
  sample(): ProcSample {
    const pid = this.pid;
    return { cpuMicros: cpuMicros(pid) ?? NaN, waitMicros: runQueueWaitMicros(pid) ?? NaN, ...memory(pid), writeSyscalls: writeSyscalls(pid) };
  }

  /** Runs a full GC in the child and returns its memory figures. */
  gc(): Promise<MemoryReport> {
    return this.request('gc') as Promise<MemoryReport>;
  }

  profileStart(): Promise<unknown> {
    return this.request('profile-start');
  }

  /** How late the child's event loop was since the last call (and starts counting anew). */
  loopDelay(): Promise<LoopDelayReport> {
    return this.request('loop-delay') as Promise<LoopDelayReport>;
  }

  /** Has the child write a heap snapshot (after a full GC, which writing one implies) to `file`. */
  heapSnapshot(file: string): Promise<unknown> {
    return this.request('heap-snapshot', file);
  }

  /** Stops the profile and has the child write it to `file`. */
  profileStop(file: string): Promise<unknown> {
    return this.request('profile-stop', file);
  }

  /**
   * Stops the child at once (no graceful close: disconnecting thousands of clients one by one would cost
   * the project O(N²) leave notices and is not what is measured). SIGKILL if it has not exited in time.
   */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'exit' } satisfies ToChild, () => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), EXIT_MS);
    await exited;
    clearTimeout(timer);
  }

  private request(op: Operation, file?: string): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.replies.delete(id);
        reject(new Error(`${this.label} server: no answer to ${op} within ${REQUEST_MS} ms`));
      }, REQUEST_MS);
      this.replies.set(id, (reply) => {
        clearTimeout(timer);
        if (reply.error !== undefined) reject(new Error(`${this.label} server: ${op} failed: ${reply.error}`));
        else resolve(reply.result);
      });
      this.child.send({ type: 'request', id, op, file } satisfies ToChild);
    });
  }
}

/** The first child process of `pid` (Linux), if any. */
function childOf(pid: number): number | undefined {
  try {
    const first = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
    return first ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}

function tail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
