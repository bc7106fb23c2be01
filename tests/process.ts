/** Runs the built server (dist/index.js, made by `npm run build`) as a real child process, its output kept in memory. */
import { ENTRY, launch, MemorySink, type Launched } from '../bench/launcher';

export { ENTRY };

/** How long a server process may take to log `listening` (loading its modules takes seconds on a loaded machine). */
export const PROCESS_START_MS = 15_000;

export interface ServerProcess extends Launched {
  /** Every log line the process printed, parsed. */
  logs: Array<Record<string, unknown>>;
  /** Lines on stdout that were not JSON (the server should print none). */
  nonJson: string[];
  /** Everything the process wrote to stderr so far (the server should write nothing there). */
  stderr(): string;
}

/** Starts the server with `env` and resolves once it logs that it is listening (bounded wait). */
export async function startProcess(
  env: Record<string, string>,
  cwd: string,
  { command, startupMs = PROCESS_START_MS }: { command?: [string, ...string[]]; startupMs?: number } = {},
): Promise<ServerProcess> {
  const sink = new MemorySink();
  const launched = await launch({ env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env }, cwd, sink, command, startupMs });
  return { ...launched, logs: sink.logs, nonJson: sink.nonJson, stderr: () => sink.stderrText() };
}
