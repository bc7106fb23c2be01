import { randomBytes } from 'node:crypto';
import os from 'node:os';

/**
 * A node identity for RedisPresence: `host:port` when the port is fixed, so that a restarted process has
 * its predecessor's identity and removes what it left at once (instead of after the TTL); two live
 * processes cannot listen on one host and port, so it is unique among them. Without a fixed port (0, or
 * none given) `host:pid:random`: unique per process, and a predecessor's sockets go when its heartbeat
 * expires. Hosts must have distinct names (containers and pods do).
 */
export function defaultNodeId(port?: number): string {
  const host = os.hostname();
  return port ? `${host}:${port}` : `${host}:${process.pid}:${randomBytes(4).toString('hex')}`;
}
