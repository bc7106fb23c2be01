/**
 * The store's sustained write rate while fan-out runs. One client sends public messages at a fixed rate
 * (open loop, like the latency run); meanwhile `writers` other clients each send `privateMsg` to another
 * writer in a closed loop, at most `ackWindow` acks outstanding per writer. The project acks a private
 * message only once it is committed to SQLite (group commit), so acked privateMsg/s is the store's write
 * rate under fan-out; the reference acks after a room emit, which gives the no-storage ceiling of the same
 * load.
 */
import { sleep, type Fleet } from './fleet';
import { between, read, scaleParts } from './meter';
import { drain } from './saturation';
import type { CpuParts, ServerGroup } from './server-group';
import { Samples, nowMicros, stampedText, type Summary } from './stats';

export interface StoreWritesOptions {
  writers: number;
  /** Acks a writer may await; below the project's per-socket queue limit (64). */
  ackWindow: number;
  /** Public messages/s from the one fan-out sender. */
  fanoutRate: number;
  warmupSeconds: number;
  seconds: number;
  deadline: number;
  /** About how many receivers record the fan-out's latency (0 or absent: none). */
  sampledReceivers?: number;
}

export interface StoreWritesResult {
  seconds: number;
  writers: number;
  /** privateMsg acked `{ok:true}` per second: for the project, messages committed to the store. */
  writesPerSecond: number;
  /** From a writer's privateMsg to its ack, for the acks inside the window (the project acks after the commit). */
  ackMs: Summary | undefined;
  /** The fan-out's latency at the sampled receivers, when asked for. */
  publicLatencyMs?: Summary;
  /** Public messages sent per second meanwhile (the fan-out), and their deliveries. */
  fanoutPerSecond: number;
  deliveriesPerSecond: number;
  serverCpuPercent: number;
  /** The same, by part (% of a core). */
  serverCpuParts: CpuParts;
  /** Share of the window the nodes' event loops waited for a CPU (see meter.ts). */
  serverWaitPercent: number;
  generatorCpuPercent: number;
  otherCpuPercent: number;
  kernelIrqPercent: number;
  /** privateMsg acks that were not `{ok:true}` or never came. */
  refused: number;
}

const TICK_MS = 1;

export async function storeWrites(fleet: Fleet, server: ServerGroup, o: StoreWritesOptions): Promise<StoreWritesResult> {
  const all = fleet.clients;
  const publisher = all[0];
  const w = Math.max(1, Math.min(o.writers, all.length - 1));
  const writers = Array.from({ length: w }, (_, k) => all[1 + Math.floor((k * (all.length - 1)) / w)]);
  const recipient = (k: number) => (w > 1 ? writers[(k + 1) % w] : publisher).name;
  let running = true;
  let recording = false;
  const ack = new Samples();
  let acked = 0;
  let refused = 0;
  let seq = 0;

  const write = (k: number) => {
    const writer = writers[k];
    while (running && writer.pendingAcks < o.ackWindow) {
      seq++;
      const at = nowMicros();
      writer.emit('privateMsg', { to: recipient(k), text: stampedText(seq), clientId: `s${k}-${seq}` }, (body) => {
        if (body?.startsWith('[{"ok":true')) {
          acked++;
          if (recording) ack.push((nowMicros() - at) / 1000);
        } else refused++;
        write(k);
      });
    }
  };

  let published = 0;
  const publish = () => {
    if (publisher.pendingAcks >= 32) return;
    published++;
    publisher.emit('sendMsg', { text: stampedText(published) }, () => {});
  };

  const latency = new Samples();
  const sampling = (o.sampledReceivers ?? 0) > 0;
  if (sampling) fleet.sampleReceivers(o.sampledReceivers!);
  const began = performance.now();
  const measureFrom = began + o.warmupSeconds * 1000;
  const stopAt = measureFrom + o.seconds * 1000;
  writers.forEach((_, k) => write(k));
  let start: ReturnType<typeof read> | undefined;
  let ackedAtStart = 0;
  let publishedAtStart = 0;
  let due = 0;
  for (let now = began; now < stopAt; now = performance.now()) {
    if (!start && now >= measureFrom) {
      start = read(fleet, server);
      ackedAtStart = acked;
      recording = true;
      publishedAtStart = published;
      if (sampling) fleet.publicLatency = [latency];
    }
    const target = Math.floor(((now - began) / 1000) * o.fanoutRate);
    for (; due < target; due++) publish();
    await sleep(TICK_MS);
  }
  const end = read(fleet, server);
  const ackedInWindow = acked - ackedAtStart;
  recording = false;
  fleet.publicLatency = undefined;
  const publishedInWindow = published - publishedAtStart;
  running = false;
  await drain(fleet, [publisher, ...writers], o.deadline);

  const win = between(start ?? end, end);
  const seconds = Math.max(win.seconds, 1e-9);
  return {
    seconds: win.seconds,
    writers: w,
    writesPerSecond: ackedInWindow / seconds,
    ackMs: ack.summary(),
    ...(sampling && { publicLatencyMs: latency.summary() }),
    fanoutPerSecond: publishedInWindow / seconds,
    deliveriesPerSecond: win.deliveries / seconds,
    serverCpuPercent: win.serverCpuPercent,
    serverCpuParts: scaleParts(win.serverParts, seconds * 1e4),
    serverWaitPercent: win.serverWaitPercent,
    generatorCpuPercent: win.generatorCpuPercent,
    otherCpuPercent: win.otherCpuPercent,
    kernelIrqPercent: win.kernelIrqPercent,
    refused,
  };
}
