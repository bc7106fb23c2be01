/**
 * Clients that reach a test nginx by a host name (chat.example.com), as browsers do: the Host header, TLS's
 * server name (SNI) and the certificate check all see the name, while the agents themselves resolve it to
 * 127.0.0.1 (no DNS, no /etc/hosts). The same agents serve plain requests and Socket.IO clients (its `agent`
 * option, used for WebSocket and long-polling alike).
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { io } from 'socket.io-client';
import type { Client } from './helpers';

export interface NamedAgents {
  http: http.Agent;
  https: https.Agent;
  /** Trusted by the https agent: the test's self-signed certificate. */
  ca: string | undefined;
  destroy(): void;
}

/** Agents that resolve each of `names` to 127.0.0.1 (anything else as usual) and trust `ca`. */
export function namedAgents(names: string[], ca?: string): NamedAgents {
  const lookup: LookupFunction = (hostname, options, callback) => {
    if (!names.includes(hostname)) return dns.lookup(hostname, options, callback);
    if (options.all) return (callback as (err: null, addresses: dns.LookupAddress[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
    return callback(null, '127.0.0.1', 4);
  };
  const agents = { http: new http.Agent({ lookup }), https: new https.Agent({ lookup, ca }) };
  return { ...agents, ca, destroy: () => Object.values(agents).forEach((agent) => agent.destroy()) };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * A GET to `url`, or to `rawPath` on its host exactly as written (no normalisation: `/./metrics`, `//metrics`,
 * `/%6Detrics` reach nginx as they are), with `headers`.
 */
export function get(agents: NamedAgents, url: string, { rawPath, headers = {} }: { rawPath?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).get(
      target,
      { agent: secure ? agents.https : agents.http, path: rawPath ?? target.pathname + target.search, headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
  });
}

/** A connected Socket.IO client of `url` through the agents, on one transport. */
export async function namedClient(agents: NamedAgents, url: string, transport: 'websocket' | 'polling', path = '/socket.io/'): Promise<Client> {
  const secure = url.startsWith('https:');
  const client: Client = io(url, {
    path,
    transports: [transport],
    forceNew: true,
    reconnection: false,
    agent: (secure ? agents.https : agents.http) as unknown as string, // typed as string | boolean; a Node agent is what it passes on
    ...(secure && { ca: agents.ca }),
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('connect_error', reject);
  });
  return client;
}
