/**
 * The clients of bench/reads.ts, on socket.io-client and fetch as any client would be: anonymous sockets that
 * loop the reads anyone may send (`users`, `sync {after: 0}`, `history`), HTTP loops on the public endpoints,
 * and logged-in people writing private messages at a steady pace. Every client names its address with
 * X-Forwarded-For (the server runs with TRUST_PROXY), so the flooders are one address and the people others.
 */
import { io, type Socket } from 'socket.io-client';
import type { Ack, SessionInfo } from '../src/protocol';

const ACK_TIMEOUT_MS = 10_000;
const READS = [
  ['users', {}],
  ['sync', { after: 0 }],
  ['history', {}],
] as const;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

export interface ReadTally {
  ok: number;
  refused: number;
  /** Answered with another error (not_logged_in, …) or not answered (cut off meanwhile). */
  other: number;
  /** Connections the server ended (cut off for flooding). */
  cutOff: number;
  /** Connections the server refused (connect_error). */
  refusedConnections: number;
}

export const readTally = (): ReadTally => ({ ok: 0, refused: 0, other: 0, cutOff: 0, refusedConnections: 0 });

function open(url: string, address: string, auth: object = {}): Socket {
  return io(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth, extraHeaders: { 'x-forwarded-for': address } });
}

/** Resolves once connected (true), or when the server refused the connection (false). */
function connected(socket: Socket): Promise<boolean> {
  return new Promise((resolve) => {
    socket.once('connect', () => resolve(true));
    socket.once('connect_error', () => resolve(false));
  });
}

function counted(t: ReadTally, res: Ack | undefined): void {
  if (res?.ok) t.ok++;
  else if (res?.error.code === 'rate_limited') t.refused++;
  else t.other++;
}

/**
 * One anonymous socket looping the three reads until `deadline`, one at a time; when the server cuts it off or
 * refuses it, it connects again (after a second when refused), as a determined client would.
 */
export async function readFlooder(url: string, address: string, t: ReadTally, deadline: number): Promise<void> {
  let n = 0;
  while (performance.now() < deadline) {
    const socket = open(url, address);
    if (!(await connected(socket))) {
      t.refusedConnections++;
      socket.close();
      await sleep(Math.min(1000, deadline - performance.now()));
      continue;
    }
    socket.on('disconnect', (reason) => reason === 'io server disconnect' && t.cutOff++);
    while (socket.connected && performance.now() < deadline) {
      const [event, payload] = READS[n++ % READS.length];
      counted(t, await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload).catch(() => undefined));
    }
    socket.close();
  }
}

/** GET /api/users and /api/messages in turn, one request at a time, until `deadline`. */
export async function httpLoop(url: string, address: string, t: ReadTally, deadline: number): Promise<void> {
  const paths = ['/api/users', '/api/messages'];
  for (let n = 0; performance.now() < deadline; n++) {
    try {
      const res = await fetch(`${url}${paths[n % 2]}`, { headers: { 'x-forwarded-for': address } });
      await res.arrayBuffer();
      if (res.ok) t.ok++;
      else if (res.status === 429) t.refused++;
      else t.other++;
    } catch {
      t.other++;
    }
  }
}

/** A user logged in with the handshake, from `address`; throws if the server refuses it. */
export async function signedIn(url: string, address: string, username: string): Promise<Socket> {
  const socket = open(url, address, { username });
  await new Promise<SessionInfo>((resolve, reject) => {
    socket.once('session', resolve);
    socket.once('connect_error', (err: Error & { data?: { code?: string } }) => reject(new Error(`${username}: ${err.data?.code ?? err.message}`)));
  });
  return socket;
}

export interface WriterTally {
  /** Milliseconds from each send to its ack. */
  ackMs: number[];
  /** Private messages not acked `ok` (refused, failed or lost): a person should never see one. */
  failed: number;
}

/** Sends `to` a private message every `everyMs` (on its own schedule, not after the last ack) until `deadline`. */
export async function privateWriter(from: Socket, to: string, everyMs: number, deadline: number): Promise<WriterTally> {
  const t: WriterTally = { ackMs: [], failed: 0 };
  const sends: Array<Promise<void>> = [];
  const start = performance.now();
  for (let i = 0; start + i * everyMs < deadline; i++) {
    await sleep(start + i * everyMs - performance.now());
    const sentAt = performance.now();
    const sending = from.timeout(ACK_TIMEOUT_MS).emitWithAck('privateMsg', { to, text: `a private message, ${i}` }) as Promise<Ack>;
    sends.push(
      sending.then(
        (res) => {
          t.ackMs.push(performance.now() - sentAt);
          if (!res.ok) t.failed++;
        },
        () => void t.failed++,
      ),
    );
  }
  await Promise.all(sends);
  return t;
}
