/**
 * The built server (`dist/index.js`, what `npm start` runs) in a child process, configured by environment
 * variables only, as an operator runs it: listening on an ephemeral port of 127.0.0.1, its port read from its
 * own `listening` log line. Its log goes to a file. Every child started is killed, by pid, if this process
 * exits first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

const ENTRY = path.resolve(__dirname, '..', '..', 'dist', 'index.js');
const STARTUP_MS = 30_000;
const STOP_MS = 15_000;

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface BuiltServer {
  url: string;
  /** SIGTERM (the graceful shutdown), SIGKILL if it has not exited in time; resolves once it has exited. */
  stop(): Promise<void>;
}

export async function startBuiltServer(env: Record<string, string>, logFile: string): Promise<BuiltServer> {
  if (!fs.existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run npm run build first`);
  const child = spawn(process.execPath, [ENTRY], {
    cwd: path.dirname(logFile), // no .env of the project's is read
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => live.delete(child));
  const log = fs.createWriteStream(logFile);
  child.stderr.pipe(log);
  const lines = readline.createInterface({ input: child.stdout });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start within ${STARTUP_MS} ms; see ${logFile}`)), STARTUP_MS);
    void exited.then(() => reject(new Error(`the server exited before listening; see ${logFile}`)));
    lines.on('line', (line) => {
      log.write(`${line}\n`);
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === 'listening' && entry.port !== undefined) {
          clearTimeout(timer);
          resolve(entry.port);
        }
      } catch {
        // not JSON: kept in the log file, where the server's output is checked by tests/logs.test.ts
      }
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_MS);
      await exited;
      clearTimeout(timer);
      log.end();
    },
  };
}
