/**
 * The built server (`dist/index.js`, what `npm start` runs) in a child process, configured by environment
 * variables only, as an operator runs it: listening on an ephemeral port of 127.0.0.1, its port read from its
 * own `listening` log line (bench/launcher.ts). Its log goes to a file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ENTRY, FileSink, launch } from './launcher';

const STARTUP_MS = 30_000;
const STOP_MS = 15_000;

export interface BuiltServer {
  url: string;
  /** SIGTERM (the graceful shutdown), SIGKILL if it has not exited in time; resolves once it has exited. */
  stop(): Promise<void>;
}

export async function startBuiltServer(env: Record<string, string>, logFile: string): Promise<BuiltServer> {
  if (!fs.existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run npm run build first`);
  const server = await launch({
    cwd: path.dirname(logFile), // no .env of the project's is read
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    sink: new FileSink(logFile),
    startupMs: STARTUP_MS,
  });
  return {
    url: server.url,
    async stop() {
      await server.stop(STOP_MS);
    },
  };
}
