/**
 * The child side of the IPC channel between the orchestrator (run.ts) and a server under test. A server
 * child announces its port, then answers a few requests: collect garbage and report memory, start and stop
 * a CPU profile (node:inspector, so only the measured phase is profiled), exit. It also exits when the
 * orchestrator goes away, so no server outlives a run.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import v8 from 'node:v8';

export type Operation = 'gc' | 'profile-start' | 'profile-stop' | 'heap-snapshot' | 'loop-delay';

export type ToChild = { type: 'request'; id: number; op: Operation; file?: string } | { type: 'exit' };

export type FromChild =
  | { type: 'ready'; port: number }
  | { type: 'reply'; id: number; result?: unknown; error?: string };

/** The memory figures a child reports after a full garbage collection. */
export interface MemoryReport {
  rss: number;
  heapUsed: number;
  external: number;
  /** V8's heap spaces: what each has committed (its pages, in RSS) and uses. */
  spaces?: Array<{ name: string; committed: number; used: number }>;
}

/** How late the child's event loop ran its timers since the last `loop-delay` request, in milliseconds. */
export interface LoopDelayReport {
  p50: number;
  p99: number;
  max: number;
}

/** Sampling interval of the CPU profile, in microseconds. */
const PROFILE_INTERVAL_US = 500;

export function serveControl(port: number): void {
  const send = (message: FromChild) => process.send?.(message);
  const inspector = new Session();
  inspector.connect();
  const post = (method: string, params?: object) =>
    new Promise<any>((resolve, reject) =>
      inspector.post(method, params, (err, result) => (err ? reject(err) : resolve(result))),
    );

  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const operations: Record<Operation, (file?: string) => Promise<unknown>> = {
    gc: async () => {
      const collect = (globalThis as { gc?: () => void }).gc;
      if (!collect) throw new Error('start the child with --expose-gc');
      collect();
      const { rss, heapUsed, external } = process.memoryUsage();
      const spaces = v8.getHeapSpaceStatistics().map((s) => ({ name: s.space_name, committed: s.physical_space_size, used: s.space_used_size }));
      return { rss, heapUsed, external, spaces } satisfies MemoryReport;
    },
    'profile-start': async () => {
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: PROFILE_INTERVAL_US });
      await post('Profiler.start');
    },
    'profile-stop': async (file) => {
      const { profile } = await post('Profiler.stop');
      if (file) fs.writeFileSync(file, JSON.stringify(profile));
      return file;
    },
    'heap-snapshot': async (file) => v8.writeHeapSnapshot(file),
    'loop-delay': async () => {
      const ms = (ns: number) => ns / 1e6;
      const report: LoopDelayReport = { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) };
      delay.reset();
      return report;
    },
  };

  process.on('message', (message: ToChild) => {
    if (message.type === 'exit') process.exit(0);
    const { id, op, file } = message;
    operations[op](file).then(
      (result) => send({ type: 'reply', id, result }),
      (err: unknown) => send({ type: 'reply', id, error: String(err) }),
    );
  });
  // The orchestrator died or closed the channel: nothing will ever stop this server otherwise.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', port });
}
