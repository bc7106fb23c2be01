/**
 * A slower disk (issue 18): the same load on the project's SQLite node as it runs normally, and with every
 * fsync delayed (strace fault injection, what a cheap network volume or a spinning disk gives). 1,000 clients
 * on the public timeline at a fixed rate while W writers each keep one private message waiting for its ack.
 *
 * The floor it is held to: a message waits for its own commit and at most the one in flight, so public p99
 * may grow by at most two fsyncs; and writers keeping one message in flight get at most one ack per commit
 * round of up to two fsyncs, so W writers are bounded by W / (2 × delay) acks per second, whatever the code.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Fleet } from './fleet';
import { rerunIfDisturbed } from './interference';
import type { Options } from './options';
import { ServerGroup } from './server-group';
import { storeWrites, type StoreWritesResult } from './store-writes';

export interface DiskRun {
  fsyncDelayMs: number;
  result?: StoreWritesResult;
  error?: string;
}

export interface SlowDiskResult {
  clients: number;
  writers: number;
  publicRate: number;
  runs: DiskRun[];
  /** W / (2 × delay): the most acks per second writers with one message in flight can get on that disk. */
  boundPerSecond: number;
  error?: string;
}

const CLIENTS = 1000;
const WRITERS = 100;
const PUBLIC_RATE = 20;

/** Why the scenario cannot run here, or undefined. */
function straceMissing(): string | undefined {
  const probe = spawnSync('strace', ['-V'], { encoding: 'utf8' });
  return probe.status === 0 ? undefined : 'strace is not installed (apt-get install strace)';
}

export async function slowDisk(o: Options, workDir: string, log: (line: string) => void, retryUntil: number): Promise<SlowDiskResult> {
  const delay = o.fsyncDelayMs;
  const result: SlowDiskResult = { clients: CLIENTS, writers: WRITERS, publicRate: PUBLIC_RATE, runs: [], boundPerSecond: WRITERS / ((2 * delay) / 1000) };
  const missing = straceMissing();
  if (missing) return { ...result, error: `not run: ${missing}` };
  log(`slow disk: ${CLIENTS} clients, public ${PUBLIC_RATE} msg/s, ${WRITERS} writers with one private message in flight`);
  for (const fsyncDelayMs of [0, delay]) {
    const dir = fs.mkdtempSync(path.join(workDir, `disk-${fsyncDelayMs}-`));
    const run: DiskRun = { fsyncDelayMs };
    result.runs.push(run);
    let server: ServerGroup | undefined;
    let clients: Fleet | undefined;
    try {
      server = await ServerGroup.start('project', dir, { fsyncDelayMs });
      clients = new Fleet(server.ports);
      await clients.grow(CLIENTS, o.concurrency, Date.now() + o.setupSeconds * 1000, 120_000);
      run.result = await rerunIfDisturbed(
        () =>
          storeWrites(clients!, server!, {
            writers: WRITERS,
            ackWindow: 1,
            fanoutRate: PUBLIC_RATE,
            sampledReceivers: 200,
            warmupSeconds: o.warmupSeconds,
            seconds: Math.max(5, o.storeSeconds),
            deadline: Date.now() + 120_000,
          }),
        o.quietWaitSeconds,
        retryUntil,
        log,
      );
      const r = run.result;
      log(`  fsync +${fsyncDelayMs} ms: public p99 ${r.publicLatencyMs?.p99.toFixed(1) ?? '—'} ms, ${Math.round(r.writesPerSecond)} writes acked/s`);
    } catch (err) {
      run.error = err instanceof Error ? err.message : String(err);
      log(`  fsync +${fsyncDelayMs} ms: ${run.error}`);
    } finally {
      await server?.stop();
      clients?.closeAll();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return result;
}

/** The two targets of issue 18 on a slower disk, when both runs have figures. */
export function diskTargets(r: SlowDiskResult): Array<{ what: string; value: number; bound: number; kind: 'max' | 'min'; met: boolean }> {
  const [normal, slow] = r.runs.map((run) => run.result);
  if (!normal || !slow || !normal.publicLatencyMs || !slow.publicLatencyMs) return [];
  const delay = r.runs[1].fsyncDelayMs;
  const p99Bound = normal.publicLatencyMs.p99 + 2 * delay;
  const writesBound = 0.8 * Math.min(normal.writesPerSecond, r.boundPerSecond);
  return [
    { what: `public p99 with fsync +${delay} ms (ms), at most the normal disk's + 2 fsyncs`, value: slow.publicLatencyMs.p99, bound: p99Bound, kind: 'max', met: slow.publicLatencyMs.p99 <= p99Bound },
    { what: `writes acked/s with fsync +${delay} ms, at least 0.8 × min(normal disk, ${Math.round(r.boundPerSecond)}/s bound)`, value: slow.writesPerSecond, bound: writesBound, kind: 'min', met: slow.writesPerSecond >= writesBound },
  ];
}
