/** Runs the built server (dist/index.js, made by `npm run build`) as a real child process, its output kept in memory. */
import { ENTRY, launch, MemorySink, type Launched, type LaunchOptions } from '../bench/launcher';

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

/** Starts the server with `variables` (beside PATH, and LOG_LEVEL=info unless given); resolves once it logs that it is listening (bounded wait). */
export async function startProcess(
  variables: Record<string, string>,
  cwd: string,
  options: Partial<Pick<LaunchOptions, 'command' | 'startupMs' | 'input'>> = {},
): Promise<ServerProcess> {
  const sink = new MemorySink();
  const env = { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...variables };
  const launched = await launch({ env, cwd, sink, startupMs: PROCESS_START_MS, ...options });
  return { ...launched, logs: sink.logs, nonJson: sink.nonJson, stderr: () => sink.stderrText() };
}
