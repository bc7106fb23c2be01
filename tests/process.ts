/** Runs the built server (dist/index.js, made by `npm run build`) as a real child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

export const ENTRY = path.resolve(__dirname, '..', 'dist', 'index.js');

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  url: string;
  /** Every log line the process printed, parsed. */
  logs: Array<Record<string, unknown>>;
  /** Lines on stdout that were not JSON (the server should print none). */
  nonJson: string[];
  /** Everything the process wrote to stderr so far (the server should write nothing there). */
  stderr(): string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
}

/** Starts the server with `env` and resolves once it logs that it is listening (bounded wait). */
export function startProcess(env: Record<string, string>, cwd: string): Promise<ServerProcess> {
  const child = spawn(process.execPath, [ENTRY], {
    cwd,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const nonJson: string[] = [];
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code ?? -1)));
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within 15 s: ${stderr}`));
    }, 15_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before listening: ${stderr}`));
    });
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line);
      } catch {
        nonJson.push(line);
        return;
      }
      logs.push(entry);
      if (entry.msg === 'listening') {
        clearTimeout(timer);
        const port = entry.port as number;
        resolve({ child, port, url: `http://127.0.0.1:${port}`, logs, nonJson, stderr: () => stderr, exited });
      }
    });
  });
}
