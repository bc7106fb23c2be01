/**
 * Launches the built server (`dist/index.js`, what `npm start` runs) as a real child process configured by
 * environment variables, and resolves once it logs `listening`, with the port read from that line. The tests
 * (tests/process.ts) keep its output in memory; the benchmark (bench/built-server.ts) writes it to a file: one
 * launcher, a log sink each. Every child started is killed, by pid, if this process exits first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

/** The project's root: the nearest folder above this file with a package.json (from bench/ or dist-bench/bench/). */
export const PROJECT_ROOT = findRoot(__dirname);
export const ENTRY = path.join(PROJECT_ROOT, 'dist', 'index.js');

/** Where a launched process's output goes. */
export interface LogSink {
  /** One line of stdout, as printed (the server prints JSON lines). */
  line(text: string): void;
  /** A chunk of stderr (the server should print nothing there). */
  stderr(chunk: string): void;
  /** The process has exited and its output is complete. */
  end(): void;
  /** Where to look when the start failed: the output itself or the file holding it. */
  describe(): string;
}

/** Keeps the output in memory: each stdout line parsed (or kept aside when it is not JSON), stderr as text. */
export class MemorySink implements LogSink {
  readonly logs: Array<Record<string, unknown>> = [];
  readonly nonJson: string[] = [];
  private err = '';
  line(text: string): void {
    const entry = parseLine(text);
    if (entry === undefined) this.nonJson.push(text);
    else this.logs.push(entry);
  }
  stderr(chunk: string): void {
    this.err += chunk;
  }
  end(): void {}
  stderrText(): string {
    return this.err;
  }
  describe(): string {
    return [this.err, ...this.nonJson].join('\n');
  }
}

/** Appends stdout lines and stderr to `file`. */
export class FileSink implements LogSink {
  private readonly out: fs.WriteStream;
  constructor(readonly file: string) {
    this.out = fs.createWriteStream(file);
  }
  line(text: string): void {
    this.out.write(`${text}\n`);
  }
  stderr(chunk: string): void {
    this.out.write(chunk);
  }
  end(): void {
    this.out.end();
  }
  describe(): string {
    return `see ${this.file}`;
  }
}

export interface LaunchOptions {
  env: Record<string, string>;
  cwd: string;
  sink: LogSink;
  /** What to run; by default `node dist/index.js`. `['npm', 'start']` runs it the way the README says. */
  command?: [string, ...string[]];
  /** How long it may take to log `listening` before it is killed and the launch fails. */
  startupMs: number;
  /** Give it a stdin pipe (`child.stdin`) instead of none: typing into a terminal it runs in. */
  input?: boolean;
}

export interface Launched {
  child: ChildProcess;
  port: number;
  url: string;
  /** Resolves with the exit code (or signal name) once the process has exited and its output is complete. */
  exited: Promise<number | string>;
  /** SIGTERM (the graceful shutdown), SIGKILL if it has not exited within `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<number | string>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export function launch({ env, cwd, sink, command = [process.execPath, ENTRY], startupMs, input = false }: LaunchOptions): Promise<Launched> {
  const [file, ...args] = command;
  const child = spawn(file, args, { cwd, env, stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  live.add(child);
  // 'close', not 'exit': the output is complete (and a process that inherited the pipes has let go of them too).
  const exited = new Promise<number | string>((resolve) =>
    child.once('close', (code, signal) => {
      live.delete(child);
      sink.end();
      resolve(signal ?? code ?? -1);
    }),
  );
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => sink.stderr(chunk));
  const stop = async (graceMs = 15_000) => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not start within ${startupMs} ms: ${sink.describe()}`));
    }, startupMs);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before listening: ${sink.describe()}`));
    });
    // Lines reach the sink before any 'data' listener attached later by a caller sees their chunk.
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      sink.line(line);
      const entry = parseLine(line);
      if (entry?.msg !== 'listening' || typeof entry.port !== 'number') return;
      clearTimeout(timer);
      resolve({ child, port: entry.port, url: `http://127.0.0.1:${entry.port}`, exited, stop });
    });
  });
}

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}
