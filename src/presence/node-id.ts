import { randomBytes } from 'node:crypto';
import os from 'node:os';

/** Where a node listens: HOST (unset: every interface) and PORT (0: one picked at start). */
export interface ListenAddress {
  host?: string;
  port?: number;
}

/**
 * A node identity for RedisPresence when NODE_ID is not set. With a fixed port it is
 * `machine/host:port`, the machine's hostname and the address the node binds (`*`: every interface):
 * two live processes cannot listen on one address and port, so it is unique among them, also for two nodes
 * on one machine with one PORT and different HOSTs; and a process restarted with the same settings has its
 * predecessor's identity, so it removes what that one left at once (instead of after the heartbeat TTL).
 * Without a fixed port, `machine:pid:random`: unique per process, and a predecessor's sockets go when its
 * heartbeat expires. Machines must have distinct hostnames (containers and pods do).
 */
export function defaultNodeId({ host, port }: ListenAddress): string {
  const machine = os.hostname();
  return port ? `${machine}/${host ?? '*'}:${port}` : `${machine}:${process.pid}:${randomBytes(4).toString('hex')}`;
}
