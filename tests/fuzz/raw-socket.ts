/**
 * A bare Engine.IO 4 / Socket.IO 5 client on a WebSocket (`ws`), for frames no real client would send. It
 * does the open and the namespace connect by hand, answers pings, and records every frame the server sends.
 *
 * Wire format, for reading the fuzz suites: a text frame is an Engine.IO packet, its type first (`0` open,
 * `1` close, `2` ping, `3` pong, `4` message, `5` upgrade, `6` noop; `b` + base64 is a binary message); a
 * message carries a Socket.IO packet: type (`0` connect, `1` disconnect, `2` event, `3` ack, `4` connect
 * error, `5` binary event, `6` binary ack), for binary ones the attachment count and `-`, an optional
 * namespace and `,`, an optional ack id, then JSON: `42["sendMsg",{"text":"hi"}]`, `4217["users",{}]`
 * (answered `4317[{…}]`), `451-["x",{"_placeholder":true,"num":0}]` followed by one binary frame.
 */
import WebSocket from 'ws';
import type { ErrorBody } from '../../src/errors';
import { WAIT_MS, within } from '../helpers';

/** One WebSocket frame: text (a string, or raw bytes sent as a text frame) or binary. */
export interface WireFrame {
  data: string | Uint8Array;
  binary: boolean;
}

export const frameBytes = (frame: WireFrame): number =>
  typeof frame.data === 'string' ? Buffer.byteLength(frame.data) : frame.data.byteLength;

export class RawSocket {
  /** Every frame the server sent, in order. */
  readonly received: WireFrame[] = [];
  /** Resolves with the close code once the connection has closed, whichever side closed it. */
  readonly closed: Promise<number>;
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly ws: WebSocket) {
    this.closed = new Promise((resolve) =>
      ws.once('close', (code) => {
        resolve(code);
        this.notify();
      }),
    );
    ws.on('error', () => undefined); // a reset or a refused frame is followed by 'close'
    ws.on('message', (data: Buffer, isBinary) => {
      const frame: WireFrame = isBinary ? { data, binary: true } : { data: data.toString('utf8'), binary: false };
      if (frame.data === '2') this.send({ data: '3', binary: false }); // Engine.IO ping → pong
      this.received.push(frame);
      this.notify();
    });
  }

  /**
   * Opens the WebSocket (with extra request `headers`, e.g. X-Forwarded-For, and from `localAddress` if
   * given) and waits for the Engine.IO open
   * packet; rejects if the server refuses the upgrade or closes first.
   */
  static async open(httpUrl: string, headers: Record<string, string> = {}, localAddress?: string): Promise<RawSocket> {
    const url = `${httpUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
    const socket = new RawSocket(new WebSocket(url, { headers, ...(localAddress && { localAddress }) }));
    const opened = await socket.next((f) => typeof f.data === 'string' && f.data.startsWith('0'), 0);
    if (!opened) throw new Error('the WebSocket closed before the Engine.IO open packet');
    return socket;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends `frame` if the connection is still open; returns whether it went out. */
  send(frame: WireFrame): boolean {
    if (!this.isOpen) return false;
    this.ws.send(frame.data, { binary: frame.binary });
    return true;
  }

  /**
   * The first frame at index `from` or later that satisfies `match`; undefined if the connection closes
   * without one. Rejects after WAIT_MS.
   */
  next(match: (frame: WireFrame) => boolean, from: number): Promise<WireFrame | undefined> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.received.slice(from).find(match);
        if (found === undefined && this.ws.readyState !== WebSocket.CLOSED) return;
        done();
        resolve(found);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no matching frame within ${WAIT_MS} ms`));
      }, WAIT_MS);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /**
   * Sends a Socket.IO connect to the default namespace (with `auth`) and resolves with the server's answer:
   * `{ ok: true }` for `40…`, or the `data` of a connect error (`44…`).
   */
  async connect(auth?: object): Promise<{ ok: true } | { ok: false; error: ErrorBody }> {
    const from = this.received.length;
    this.send({ data: auth === undefined ? '40' : `40${JSON.stringify(auth)}`, binary: false });
    const answer = String((await this.next((f) => typeof f.data === 'string' && /^4[04]/.test(f.data), from))?.data);
    if (answer.startsWith('40')) return { ok: true };
    return { ok: false, error: (JSON.parse(answer.slice(2)) as { data: ErrorBody }).data };
  }

  /** Closes the connection (if the server has not) and resolves with the close code; bounded by WAIT_MS. */
  async close(): Promise<number> {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close();
    try {
      return await within(this.closed, 'the WebSocket closing');
    } finally {
      if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
    }
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
