/**
 * One server under test as the benchmark sees it: the processes that serve the clients (one or more nodes,
 * each a ServerProcess) and those they need (a redis-server, PostgreSQL's backends), whose CPU time is added
 * up as the server's. Each kind starts what it needs of its own — a fresh SQLite file or PostgreSQL database,
 * its own redis-server — and `stop` removes it all.
 */
import path from 'node:path';
import type { MemoryReport } from './child-control';
import { createDatabase, postgresMissing } from './postgres-database';
import { cpuMicros, ProcessSetCpu } from './proc';
import { RedisServer, redisMissing } from './redis-server';
import { killOnExit, ServerProcess } from './server-process';

/** In the order they run: the fixed rate of the latency runs comes from the first one's saturation. */
export const SERVER_KINDS = ['project', 'pg', 'cluster', 'reference'] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

const CLUSTER_NODES = 2;

export const DESCRIPTIONS: Record<ServerKind, string> = {
  project: 'one node, SQLite file',
  pg: 'one node, PostgreSQL',
  cluster: `${CLUSTER_NODES} nodes, PostgreSQL + Redis`,
  reference: 'bare Socket.IO',
};
/** How often PostgreSQL's backends are read between measurements (see ProcessSetCpu). */
const BACKEND_READ_MS = 2000;

/** CPU time so far, microseconds, by part: the nodes, and what they need. */
export interface CpuParts {
  nodes: number;
  redis?: number;
  postgres?: number;
}

export interface GroupSample {
  /** Everything counted: the nodes, plus redis-server and the database's backends where there are. */
  cpuMicros: number;
  parts: CpuParts;
  /** How long the nodes' event loops waited for a CPU, microseconds: the mean over the nodes. */
  waitMicros: number;
  /** Of the nodes, added up. */
  rssBytes: number;
  peakRssBytes: number;
  writeSyscalls: number;
}

/** Why `kind` cannot run on this machine (no PostgreSQL answering, no redis-server), or undefined when it can. */
export async function unavailable(kind: ServerKind): Promise<string | undefined> {
  if (kind === 'project' || kind === 'reference') return undefined;
  const missing = [await postgresMissing(), kind === 'cluster' ? redisMissing() : undefined].filter(Boolean);
  return missing.length > 0 ? missing.join('; ') : undefined;
}

export class ServerGroup {
  private constructor(
    readonly kind: ServerKind,
    readonly nodes: ServerProcess[],
    private readonly redis: RedisServer | undefined,
    private readonly backends: ProcessSetCpu | undefined,
    private readonly cleanup: (() => Promise<void>)[],
  ) {}

  /**
   * Starts the processes of `kind`, with their files in `dir`; on a failure, stops what it had started.
   * `fsyncDelayMs` (project only) runs the node under strace, every fsync and fdatasync delayed that long: a
   * slower disk, simulated (slow-disk.ts).
   */
  static async start(kind: ServerKind, dir: string, { fsyncDelayMs = 0 } = {}): Promise<ServerGroup> {
    const cleanup: (() => Promise<void>)[] = [];
    const nodes: ServerProcess[] = [];
    try {
      if (kind === 'reference' || kind === 'project') {
        const env: Record<string, string> = kind === 'project' ? { BENCH_DATABASE_URL: path.join(dir, 'chat.db') } : {};
        const wrapper = fsyncDelayMs > 0 ? slowDisk(fsyncDelayMs) : [];
        nodes.push(await ServerProcess.start(kind, fsyncDelayMs > 0 ? `${kind} (fsync +${fsyncDelayMs} ms)` : kind, dir, env, wrapper));
        return new ServerGroup(kind, nodes, undefined, undefined, cleanup);
      }
      const database = await createDatabase();
      cleanup.push(() => database.drop());
      const backends = new ProcessSetCpu(() => database.backends());
      const stopWatching = backends.watch(BACKEND_READ_MS);
      cleanup.push(async () => stopWatching());
      if (kind === 'pg') {
        nodes.push(await ServerProcess.start('project', kind, dir, { BENCH_DATABASE_URL: database.url }));
        return new ServerGroup(kind, nodes, undefined, backends, cleanup);
      }
      const redis = await RedisServer.start();
      const pid = redis.pid!;
      const unregister = killOnExit(() => process.kill(pid, 'SIGKILL'));
      cleanup.push(async () => {
        await redis.close();
        unregister();
      });
      for (let i = 1; i <= CLUSTER_NODES; i++) {
        const env = { BENCH_DATABASE_URL: database.url, BENCH_REDIS_URL: redis.url, BENCH_NODE_ID: `bench-${i}` };
        nodes.push(await ServerProcess.start('project', `${kind} node ${i}`, dir, env));
      }
      return new ServerGroup(kind, nodes, redis, backends, cleanup);
    } catch (err) {
      await Promise.all(nodes.map((n) => n.stop()));
      await undo(cleanup);
      throw err;
    }
  }

  get ports(): number[] {
    return this.nodes.map((n) => n.port);
  }

  /** What the server's CPU figures add up, in words. */
  get counted(): string {
    const parts = [this.nodes.length > 1 ? `${this.nodes.length} node processes` : 'the node process'];
    if (this.redis) parts.push('redis-server');
    if (this.backends) parts.push(`the database's PostgreSQL backends (${this.backends.seen} seen so far)`);
    return parts.join(' + ');
  }

  sample(): GroupSample {
    const samples = this.nodes.map((n) => n.sample());
    const sum = (pick: (s: (typeof samples)[number]) => number) => samples.reduce((a, s) => a + pick(s), 0);
    const parts: CpuParts = { nodes: sum((s) => s.cpuMicros) };
    if (this.redis) parts.redis = (this.redis.pid && cpuMicros(this.redis.pid)) || NaN;
    if (this.backends) parts.postgres = this.backends.total();
    return {
      cpuMicros: parts.nodes + (parts.redis ?? 0) + (parts.postgres ?? 0),
      parts,
      waitMicros: sum((s) => s.waitMicros) / samples.length,
      rssBytes: sum((s) => s.rssBytes),
      peakRssBytes: sum((s) => s.peakRssBytes),
      writeSyscalls: sum((s) => s.writeSyscalls),
    };
  }

  /** A full GC in every node; their memory figures added up. */
  async gc(): Promise<MemoryReport> {
    const reports = await Promise.all(this.nodes.map((n) => n.gc()));
    const sum = (pick: (r: MemoryReport) => number) => reports.reduce((a, r) => a + pick(r), 0);
    return { rss: sum((r) => r.rss), heapUsed: sum((r) => r.heapUsed), external: sum((r) => r.external) };
  }

  async profileStart(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.profileStart()));
  }

  /** Stops every node's profile; node i's goes to `file(i)`. Resolves with the files. */
  async profileStop(file: (node: number) => string): Promise<string[]> {
    const files = this.nodes.map((_, i) => file(i));
    await Promise.all(this.nodes.map((n, i) => n.profileStop(files[i])));
    return files;
  }

  get logFiles(): string[] {
    return this.nodes.map((n) => n.logFile);
  }

  /** Stops the nodes first (so that the clients' departure costs them nothing), then what they needed. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
    await undo(this.cleanup);
  }
}

/** strace delaying every fsync/fdatasync of the process and its threads by `ms` (only those calls stop it). */
function slowDisk(ms: number): string[] {
  const inject = `fsync,fdatasync:delay_exit=${ms * 1000}`;
  return ['strace', '-f', '--seccomp-bpf', '-e', 'trace=fsync,fdatasync', '-e', `inject=${inject}`, '-o', '/dev/null'];
}

async function undo(steps: (() => Promise<void>)[]): Promise<void> {
  for (const step of steps.reverse()) await step().catch((err) => console.error(`bench cleanup: ${err}`));
}
