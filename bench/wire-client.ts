/**
 * A Socket.IO client reduced to what the benchmark needs, speaking the wire protocol directly over `ws`
 * (Engine.IO v4, Socket.IO v5, default namespace, WebSocket transport only). socket.io-client costs several
 * times more CPU per received packet; with thousands of clients in one process it would make the load
 * generator, not the server, the bottleneck.
 *
 * Frames handled: `0{…}` open → answer `40`; `40{"sid"…}` namespace connected; `2` ping → `3` pong;
 * `42[…]` event (handed over raw, unparsed); `43<id>[…]` ack; `44{…}` connect error.
 */
import WebSocket from 'ws';
import type { ClientToServerEvents } from '../src/protocol';

export type EventName = keyof ClientToServerEvents;
export type EventPayload<E extends EventName> = Parameters<ClientToServerEvents[E]>[0];
/** Receives the ack's JSON array as text (`[{"ok":true,…}]`), undefined when the connection closed first. */
export type AckHandler = (body: string | undefined) => void;

/** Who gets the server's events. Called for every `42` frame, so it must be cheap. */
export interface EventSink {
  onEvent(client: WireClient, frame: Buffer): void;
}

const CH_0 = 0x30;
const CH_1 = 0x31;
const CH_2 = 0x32;
const CH_3 = 0x33;
const CH_4 = 0x34;
const OPEN_BRACKET = 0x5b;

export class WireClient {
  private ws: WebSocket | undefined;
  private nextAckId = 0;
  private readonly acks = new Map<number, AckHandler>();
  /** Acks still awaited; senders use it to respect the server's per-socket queue limit. */
  pendingAcks = 0;

  constructor(
    readonly index: number,
    readonly name: string,
    private readonly sink: EventSink,
  ) {}

  /** Opens the WebSocket and the default namespace; rejects on error, close or after `timeoutMs`. */
  connect(url: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true, handshakeTimeout: timeoutMs });
      this.ws = ws;
      let settled = false;
      const settle = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(() => settle(new Error(`${this.name}: not connected within ${timeoutMs} ms`)), timeoutMs);
      ws.on('error', (err) => settle(err));
      ws.on('close', () => {
        settle(new Error(`${this.name}: closed before connecting`));
        this.failAcks();
      });
      ws.on('message', (data: Buffer) => {
        const type = data[0];
        if (type === CH_4) {
          const sub = data[1];
          if (sub === CH_2) this.sink.onEvent(this, data);
          else if (sub === CH_3) this.onAck(data);
          else if (sub === CH_0) settle();
          else if (sub === CH_4) settle(new Error(`${this.name}: connect_error ${data.toString()}`));
        } else if (type === CH_2) {
          ws.send('3');
        } else if (type === CH_0) {
          ws.send('40');
        } else if (type === CH_1) {
          ws.close();
        }
      });
    });
  }

  /** Emits `42<id>["event",payload]`; `onAck` receives the answer. */
  emit<E extends EventName>(event: E, payload: EventPayload<E>, onAck?: AckHandler): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      onAck?.(undefined);
      return;
    }
    const body = `["${event}",${JSON.stringify(payload)}]`;
    if (!onAck) {
      ws.send(`42${body}`);
      return;
    }
    const id = this.nextAckId++;
    this.acks.set(id, onAck);
    this.pendingAcks++;
    ws.send(`42${id}${body}`);
  }

  /** Emits and resolves with the ack; rejects when none arrives within `timeoutMs`. */
  request<E extends EventName>(event: E, payload: EventPayload<E>, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no ack to ${event} within ${timeoutMs} ms`)), timeoutMs);
      this.emit(event, payload, (body) => {
        clearTimeout(timer);
        if (body === undefined) reject(new Error(`${this.name}: connection closed before the ${event} ack`));
        else resolve(body);
      });
    });
  }

  /** Drops the connection without a close handshake (the server may already be gone). */
  terminate(): void {
    this.ws?.terminate();
    this.ws = undefined;
  }

  private onAck(data: Buffer): void {
    let id = 0;
    let i = 2;
    for (; i < data.length && data[i] !== OPEN_BRACKET; i++) id = id * 10 + (data[i] - CH_0);
    const handler = this.acks.get(id);
    if (!handler) return;
    this.acks.delete(id);
    this.pendingAcks--;
    handler(data.toString('utf8', i));
  }

  private failAcks(): void {
    const handlers = [...this.acks.values()];
    this.acks.clear();
    this.pendingAcks = 0;
    for (const handler of handlers) handler(undefined);
  }
}

/** The Engine.IO WebSocket endpoint of a server listening on 127.0.0.1:`port`. */
export function socketUrl(port: number): string {
  return `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`;
}
