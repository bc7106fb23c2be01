/**
 * The simulated users: N wire clients in this process, counting what they receive. Counting reads one or
 * two bytes of each frame; only a sample of receivers (spread across connection order, since a broadcast
 * reaches sockets in that order) reads the send stamp for latency. With several nodes, client i connects to
 * node i mod n, and latency is kept apart by the receiver's node.
 */
import { Samples, nowMicros, readStamp } from './stats';
import { WireClient, socketUrl, type EventSink } from './wire-client';

/** Byte 4 of `42["<event>"…` and, for the events that share it, byte 6 or 9. */
const A = 0x61; // allmessage
const P = 0x70; // presence | privateMsg
const I = 0x69; // pr(i)vateMsg
const M = 0x6d; // msg1
const R = 0x72; // roomMsg | roomMember (read by byte 9: roomM(s)g)
const S = 0x73;

export interface Counters {
  frames: number;
  allmessage: number;
  privateMsg: number;
  presence: number;
  msg1: number;
  roomMsg: number;
}

export interface SetupResult {
  clients: number;
  /** From the first connect to the last login ack. */
  seconds: number;
  perSecond: number;
  /** Time until the server stopped sending login notices (presence/msg1 broadcasts) after the last login. */
  quietSeconds: number;
  /** Frames received during setup (the login broadcasts). */
  frames: number;
}

export class Fleet implements EventSink {
  readonly clients: WireClient[] = [];
  readonly counts: Counters = { frames: 0, allmessage: 0, privateMsg: 0, presence: 0, msg1: 0, roomMsg: 0 };
  /** Called on every `allmessage` and `roomMsg` delivery (senders pace themselves on it). */
  onDelivery: (() => void) | undefined;
  /** Latency samples (ms) of public messages at sampled receivers, one per node; undefined when not recording. */
  publicLatency: Samples[] | undefined;
  privateLatency: Samples | undefined;
  /** sampled[i]: client i records public latency. */
  private sampled = new Uint8Array(0);
  private readonly urls: string[];

  /** `ports`: the nodes' ports, one for a single server. Clients are named `<namePrefix><index>`. */
  constructor(
    ports: number[],
    private readonly namePrefix = 'u',
  ) {
    this.urls = ports.map(socketUrl);
  }

  get nodes(): number {
    return this.urls.length;
  }

  nodeOf(client: WireClient): number {
    return client.index % this.urls.length;
  }

  onEvent(client: WireClient, frame: Buffer): void {
    const counts = this.counts;
    counts.frames++;
    const c = frame[4];
    if (c === A) {
      counts.allmessage++;
      if (this.publicLatency && this.sampled[client.index] === 1) record(this.publicLatency[this.nodeOf(client)], frame);
      this.onDelivery?.();
    } else if (c === P) {
      if (frame[6] === I) {
        counts.privateMsg++;
        if (this.privateLatency) record(this.privateLatency, frame);
      } else counts.presence++;
    } else if (c === M) counts.msg1++;
    else if (c === R && frame[9] === S) {
      counts.roomMsg++;
      this.onDelivery?.();
    }
  }

  /** Makes about `receivers` clients of each node (spread over connection order) record public latency. */
  sampleReceivers(receivers: number): void {
    this.sampled = new Uint8Array(this.clients.length);
    for (let node = 0; node < this.nodes; node++) {
      const ofNode = this.spread(receivers, node);
      for (const client of ofNode) this.sampled[client.index] = 1;
    }
  }

  /**
   * Connects and logs in clients up to `total`, at most `concurrency` at a time (connect + login each),
   * then waits until the server has stopped sending the resulting notices.
   */
  async grow(total: number, concurrency: number, deadline: number, timeoutMs: number): Promise<SetupResult> {
    const started = performance.now();
    const framesBefore = this.counts.frames;
    let next = this.clients.length;
    const first = next;
    let failure: unknown;
    const worker = async () => {
      try {
        while (next < total && failure === undefined) {
          if (Date.now() > deadline) throw new Error(`setup ran out of time at ${next} of ${total} clients`);
          const index = next++;
          const client = new WireClient(index, `${this.namePrefix}${index}`, this);
          this.clients.push(client);
          await client.connect(this.urls[index % this.urls.length], timeoutMs);
          const ack = await client.request('login', { username: client.name }, timeoutMs);
          if (!ack.startsWith('[{"ok":true')) throw new Error(`login of ${client.name} refused: ${ack.slice(0, 200)}`);
        }
      } catch (err) {
        failure ??= err;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    if (failure !== undefined) {
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const reason = failure instanceof Error ? failure.message : String(failure);
      throw new Error(`${reason} (setup stopped after ${seconds} s, ${next - first} of ${total - first} clients started)`);
    }
    const loggedIn = performance.now();
    await this.waitQuiet(500, deadline);
    const quiet = performance.now();
    const seconds = (loggedIn - started) / 1000;
    return {
      clients: total - first,
      seconds,
      perSecond: (total - first) / seconds,
      quietSeconds: (quiet - loggedIn - 500) / 1000,
      frames: this.counts.frames - framesBefore,
    };
  }

  /** Resolves once no frame arrived for `quietMs`; rejects at `deadline` (epoch ms). */
  async waitQuiet(quietMs: number, deadline: number): Promise<void> {
    let last = this.counts.frames;
    let since = performance.now();
    while (performance.now() - since < quietMs) {
      if (Date.now() > deadline) throw new Error('the server kept sending past the deadline');
      await sleep(50);
      if (this.counts.frames !== last) {
        last = this.counts.frames;
        since = performance.now();
      }
    }
  }

  /** `count` clients spread evenly over the fleet, or over the clients of `node`. */
  spread(count: number, node?: number): WireClient[] {
    const pool = node === undefined ? this.clients : this.clients.filter((c) => this.nodeOf(c) === node);
    const n = Math.min(count, pool.length);
    return Array.from({ length: n }, (_, k) => pool[Math.floor((k * pool.length) / n)]);
  }

  closeAll(): void {
    for (const client of this.clients) client.terminate();
    this.clients.length = 0;
  }
}

function record(samples: Samples, frame: Buffer): void {
  const sent = readStamp(frame);
  if (sent >= 0) samples.push((nowMicros() - sent) / 1000);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
