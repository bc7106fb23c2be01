/**
 * A real cluster for tests: node processes (the built server, dist/index.js) sharing a redis-server of the
 * test's own and a PostgreSQL database of its own, with nginx in front running docs/nginx/chat-cluster.conf.
 */
import { startNginx, type Nginx } from './nginx';
import { createDatabase, type TestDatabase } from './postgres';
import { startProcess, type ServerProcess } from './process';
import { RedisServer } from './redis-server';
import { tempDir } from './tmpdir';

export interface TestCluster {
  redis: RedisServer;
  db: TestDatabase;
  nodes: ServerProcess[];
  nginx: Nginx;
  /** Starts node `i` again (after a kill) on the port it had. */
  restartNode(i: number): Promise<ServerProcess>;
  /** Starts one more node (not behind nginx), stopped with the cluster. */
  addNode(): Promise<ServerProcess>;
  close(): Promise<void>;
}

/** Starts `count` nodes (each with `env` on top of the cluster's settings) and nginx in front of them. */
export async function startCluster(count: number, env: Record<string, string> = {}): Promise<TestCluster> {
  const tmp = tempDir('chat-cluster-');
  const redis = await RedisServer.start();
  const db = await createDatabase();
  const settings = (port: number) => ({
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    TRUST_PROXY: 'true',
    LOG_LEVEL: 'info',
    RATE_LIMITS: 'off',
    ...env,
  });
  const nodes: ServerProcess[] = [];
  let nginx: Nginx | undefined;
  const stopAll = async () => {
    await nginx?.stop();
    for (const node of nodes) {
      node.child.kill('SIGKILL');
      await node.exited;
    }
    await redis.close();
    await db.drop();
    tmp.cleanup();
  };
  try {
    // One after the other: the first one migrates the database (the others would wait for its lock anyway).
    for (let i = 0; i < count; i++) nodes.push(await startProcess(settings(0), tmp.dir));
    nginx = await startNginx({ site: 'chat-cluster.conf', upstreams: { chat_nodes: nodes.map((n) => `127.0.0.1:${n.port}`) } });
  } catch (err) {
    await stopAll();
    throw err;
  }
  return {
    redis,
    db,
    nodes,
    nginx,
    async addNode() {
      const node = await startProcess(settings(0), tmp.dir);
      nodes.push(node);
      return node;
    },
    async restartNode(i) {
      nodes[i] = await startProcess(settings(nodes[i].port), tmp.dir);
      return nodes[i];
    },
    close: stopAll,
  };
}

/** The names the node's log says logged in on it. */
export function loggedInOn(node: ServerProcess): Set<string> {
  return new Set(node.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('logged in')).map((l) => String(l.user)));
}
