/**
 * A real cluster for tests: node processes (the built server, dist/index.js) sharing a redis-server of the
 * test's own and a PostgreSQL database of its own, with nginx in front running docs/nginx/chat-cluster.conf.
 * Each node reaches Redis through a TCP proxy of its own (`links[i]`), so that a test can cut one node off
 * Redis while the others keep it.
 */
import { describeBehindNginx, startNginx, type Nginx } from './nginx';
import { createDatabase, describePostgres, type TestDatabase } from './postgres';
import { startProcess, type ServerProcess } from './process';
import { describeWithRedis, freePort, RedisServer } from './redis-server';
import { TcpProxy } from './tcp-proxy';
import { tempDir } from './tmpdir';
import { within, WAIT_MS } from './helpers';

/** A suite needing Redis, PostgreSQL and nginx: skipped with the reason when one is missing (a failure under CI). */
export function describeCluster(name: string, body: () => void): void {
  describePostgres(name, () => describeWithRedis()('with Redis', () => describeBehindNginx('behind nginx', body)));
}

export interface TestCluster {
  redis: RedisServer;
  db: TestDatabase;
  nodes: ServerProcess[];
  /** Node i's way to Redis: `links[i].block()` then `cut()` isolates it, `heal()` lets it reconnect. */
  links: TcpProxy[];
  nginx: Nginx;
  /**
   * Starts node `i` again (after a kill) with the settings and the port it had. Its default identity
   * (node-id.ts) is its predecessor's only if that one was started with a fixed PORT (addNodeOnFreePort).
   */
  restartNode(i: number): Promise<ServerProcess>;
  /** Starts one more node (not behind nginx) with `env` on top of the cluster's settings, stopped with it. */
  addNode(env?: Record<string, string>): Promise<ServerProcess>;
  /** addNode on a fixed port (a free one), so that restartNode keeps its default identity. */
  addNodeOnFreePort(env?: Record<string, string>): Promise<ServerProcess>;
  close(): Promise<void>;
}

/**
 * Starts `count` nodes (each with `env` on top of the cluster's settings) and nginx in front of them. Rate
 * limits are on with their defaults unless `env` says otherwise (RATE_LIMITS=off needs a stated reason).
 */
export async function startCluster(count: number, env: Record<string, string> = {}): Promise<TestCluster> {
  const tmp = tempDir('chat-cluster-');
  const redis = await RedisServer.start();
  const db = await createDatabase();
  const nodes: ServerProcess[] = [];
  const links: TcpProxy[] = [];
  const nodeEnv: Array<Record<string, string>> = [];
  let nginx: Nginx | undefined;
  const stopAll = async () => {
    await nginx?.stop();
    for (const node of nodes) {
      node.child.kill('SIGKILL');
      await node.exited;
    }
    for (const link of links) await link.close();
    await redis.close();
    await db.drop();
    tmp.cleanup();
  };
  const launch = async (extra: Record<string, string>): Promise<ServerProcess> => {
    const link = await TcpProxy.start(redis.port);
    const settings = {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      REDIS_URL: link.url,
      TRUST_PROXY: 'true',
      LOG_LEVEL: 'info',
      ...env,
      ...extra,
    };
    let node: ServerProcess;
    try {
      node = await startProcess(settings, tmp.dir);
    } catch (err) {
      await link.close();
      throw err;
    }
    nodes.push(node);
    links.push(link);
    nodeEnv.push(settings);
    return node;
  };
  try {
    // One after the other: the first one migrates the database (the others would wait for its lock anyway).
    for (let i = 0; i < count; i++) await launch({});
    nginx = await startNginx({ site: 'chat-cluster.conf', upstreams: { chat_nodes: nodes.map((n) => `127.0.0.1:${n.port}`) } });
  } catch (err) {
    await stopAll();
    throw err;
  }
  return {
    redis,
    db,
    nodes,
    links,
    nginx,
    addNode: (extra = {}) => launch(extra),
    async addNodeOnFreePort(extra = {}) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await launch({ ...extra, PORT: String(await freePort()) });
        } catch (err) {
          // Someone may have taken the port between the probe and the node's bind (the node logs that on
          // stdout, which the rejection does not carry): another port, and a real failure fails every time.
          if (attempt >= 3) throw err;
        }
      }
    },
    async restartNode(i) {
      nodes[i] = await startProcess({ ...nodeEnv[i], PORT: String(nodes[i].port) }, tmp.dir);
      return nodes[i];
    },
    close: stopAll,
  };
}

/** The names the node's log says logged in on it. */
export function loggedInOn(node: ServerProcess): Set<string> {
  return new Set(node.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('logged in')).map((l) => String(l.user)));
}

/**
 * Resolves with the first log line of `node` from index `from` on (already printed or still to come) that
 * `match` accepts; bounded by `ms`. The process's own reader (process.ts) parses each chunk of stdout before
 * this listener, attached later, sees it.
 */
export function whenLogged(
  node: ServerProcess,
  match: (line: Record<string, unknown>) => boolean,
  what: string,
  { from = 0, ms = WAIT_MS }: { from?: number; ms?: number } = {},
): Promise<Record<string, unknown>> {
  const stdout = node.child.stdout!;
  let seen = from;
  let check: () => void = () => undefined;
  const found = new Promise<Record<string, unknown>>((resolve) => {
    check = () => {
      for (; seen < node.logs.length; seen++) if (match(node.logs[seen])) return resolve(node.logs[seen]);
    };
    stdout.on('data', check);
    check();
  });
  return within(found, what, ms).finally(() => stdout.off('data', check));
}

/** A log line whose `msg` starts with `prefix`. */
export const logged = (prefix: string) => (line: Record<string, unknown>) => typeof line.msg === 'string' && line.msg.startsWith(prefix);
