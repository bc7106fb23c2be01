/**
 * The two senders of bench/flood.ts, on socket.io-client as any client would be: a flooder that keeps a fixed
 * number of `sendMsg` in flight (each answer sends the next), optionally logging in again with its token when
 * the server cuts it off; and a person sending one message a second. Each counts what became of its sends.
 */
import { io, type Socket } from 'socket.io-client';
import type { Ack, SessionInfo } from '../src/protocol';

/** What became of one sender's messages. */
export interface Tally {
  sent: number;
  /** Acked `ok`: stored. */
  stored: number;
  /** Answered `rate_limited`. */
  refused: number;
  /** Answered with another error code. */
  failed: number;
  /** Sent but never answered: the connection was cut first. */
  lost: number;
  /** Times the server disconnected this sender. */
  disconnects: number;
  /** Handshakes refused (rate_limited), when logging in again. */
  refusedLogins: number;
  /** Milliseconds from each send to its answer. */
  ackMs: number[];
}

const tally = (): Tally => ({ sent: 0, stored: 0, refused: 0, failed: 0, lost: 0, disconnects: 0, refusedLogins: 0, ackMs: [] });
const ACK_TIMEOUT_MS = 10_000;

/** Connects and logs in with the handshake; resolves with the socket and its session, or the refusal. */
function signIn(url: string, auth: object): Promise<{ socket: Socket; session: SessionInfo } | { refusedFor: number }> {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth });
  return new Promise((resolve, reject) => {
    socket.once('session', (session: SessionInfo) => resolve({ socket, session }));
    socket.once('connect_error', (err: Error & { data?: { code?: string; retryAfterMs?: number } }) => {
      socket.close();
      if (err.data?.code === 'rate_limited') resolve({ refusedFor: err.data.retryAfterMs ?? 1000 });
      else reject(new Error(`login refused: ${err.data?.code ?? err.message}`));
    });
  });
}

function count(t: Tally, sending: Promise<Ack>): Promise<void> {
  t.sent++;
  const sentAt = performance.now();
  return sending.then(
    (res) => {
      t.ackMs.push(performance.now() - sentAt);
      if (res.ok) t.stored++;
      else if (res.error.code === 'rate_limited') t.refused++;
      else t.failed++;
    },
    () => {
      t.lost++;
    },
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/**
 * Keeps `inFlight` sends going as `name` until `deadline` (performance.now()). Cut off by the server, it stops,
 * or with `reconnect` logs in again with its token (waiting out a refused login's retryAfterMs) and goes on.
 */
export async function flooder(url: string, name: string, { inFlight, reconnect, deadline }: { inFlight: number; reconnect: boolean; deadline: number }): Promise<Tally> {
  const t = tally();
  let token: string | undefined;
  let n = 0;
  while (performance.now() < deadline) {
    const signed = await signIn(url, token === undefined ? { username: name } : { username: name, token });
    if ('refusedFor' in signed) {
      t.refusedLogins++;
      await sleep(Math.min(signed.refusedFor, deadline - performance.now()));
      continue;
    }
    const { socket, session } = signed;
    token = session.token ?? token;
    socket.on('disconnect', (reason) => reason === 'io server disconnect' && t.disconnects++);
    await new Promise<void>((done) => {
      let pending = 0;
      const pump = () => {
        while (socket.connected && pending < inFlight && performance.now() < deadline) {
          pending++;
          void count(t, socket.timeout(ACK_TIMEOUT_MS).emitWithAck('sendMsg', { text: `flood ${n++}` })).finally(() => {
            pending--;
            pump();
            if (pending === 0) done();
          });
        }
      };
      pump();
      if (pending === 0) done();
    });
    socket.close();
    if (!reconnect) break;
  }
  return t;
}

/** Sends one message a second as `name` until `deadline`, each on its own schedule (not after the last ack). */
export async function person(url: string, name: string, deadline: number): Promise<Tally> {
  const t = tally();
  const signed = await signIn(url, { username: name });
  if ('refusedFor' in signed) throw new Error(`${name} could not log in: rate limited`);
  const { socket } = signed;
  socket.on('disconnect', (reason) => reason === 'io server disconnect' && t.disconnects++);
  const sends: Array<Promise<void>> = [];
  const start = performance.now();
  for (let i = 0; start + i * 1000 < deadline; i++) {
    await sleep(start + i * 1000 - performance.now());
    sends.push(count(t, socket.timeout(ACK_TIMEOUT_MS).emitWithAck('sendMsg', { text: `hello ${i}` })));
  }
  await Promise.all(sends);
  socket.close();
  return t;
}
