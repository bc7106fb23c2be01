/**
 * Fan-out at saturation: a few senders emit `sendMsg` as fast as the server takes them, every client
 * receiving each broadcast. Closed loop on delivery, not on the ack: a new message goes out only while fewer
 * than `windowDeliveries` deliveries are outstanding, so the server's output buffers stay bounded and what is
 * measured is sustained throughput, not how fast memory fills up.
 */
import { sleep, type Fleet } from './fleet';
import { between, read, scaleParts } from './meter';
import type { CpuParts, ServerGroup } from './server-group';
import { stampedText } from './stats';
import type { WireClient } from './wire-client';

export interface SaturationOptions {
  senders: number;
  /**
   * What a sender sends: a public message (`sendMsg`, the default) or a message to a room every client is a
   * member of (`roomMsg`); either way, counted at every receiver that gets it.
   */
  room?: string;
  /** Acks a sender may await; below the project's per-socket queue limit (64). */
  ackWindow: number;
  windowDeliveries: number;
  warmupSeconds: number;
  seconds: number;
  /** Epoch ms after which draining gives up. */
  deadline: number;
}

export interface SaturationResult {
  seconds: number;
  deliveriesPerSecond: number;
  /** Messages acked per second: for the project, the store's sustained write rate under fan-out. */
  messagesPerSecond: number;
  serverCpuPercent: number;
  /** Share of the window the nodes' event loops waited for a CPU (see meter.ts). */
  serverWaitPercent: number;
  /** Everything counted as the server (see ServerGroup): for a cluster, its nodes, redis-server and PostgreSQL. */
  serverCpuMicrosPerDelivery: number;
  /** The same, by part. */
  serverCpuPartsPerDelivery: CpuParts;
  /** Below 1 when several frames to one socket leave in one write (engine.io and Node batch them). */
  writeSyscallsPerDelivery: number;
  generatorCpuPercent: number;
  /** CPU used by everything else on the machine meanwhile (see meter.ts). */
  otherCpuPercent: number;
  /** Interrupt/softirq time meanwhile, mostly loopback TCP (see meter.ts). */
  kernelIrqPercent: number;
  /** CPU stolen by the hypervisor meanwhile, percent of one core (see meter.ts). */
  stealPercent: number;
  /** Acks that were not `{ok:true}` (e.g. rate_limited) or never came. */
  refused: number;
}

export async function saturate(fleet: Fleet, server: ServerGroup, o: SaturationOptions): Promise<SaturationResult> {
  const n = fleet.clients.length;
  const senders = fleet.spread(o.senders);
  const maxOutstanding = Math.max(1, Math.ceil(o.windowDeliveries / n)); // messages not yet delivered to all
  const delivered = () => fleet.counts.allmessage + fleet.counts.roomMsg;
  const base = delivered();
  // A room message reaches the sender's other connections only, a public one every connection.
  const perMessage = o.room === undefined ? n : n - 1;
  let sent = 0;
  let acked = 0;
  let refused = 0;
  let turn = 0;
  let running = true;

  const onAck = (body: string | undefined) => {
    if (body?.startsWith('[{"ok":true')) acked++;
    else refused++;
    pump();
  };
  const pump = () => {
    while (running && sent - (delivered() - base) / perMessage < maxOutstanding) {
      const sender = nextSender(senders, turn, o.ackWindow);
      if (!sender) return;
      turn = sender.index + 1;
      sent++;
      if (o.room === undefined) sender.emit('sendMsg', { text: stampedText(sent) }, onAck);
      else sender.emit('roomMsg', { room: o.room, text: stampedText(sent) }, onAck);
    }
  };

  fleet.onDelivery = pump;
  pump();
  await sleep(o.warmupSeconds * 1000);
  const start = read(fleet, server);
  const ackedAtStart = acked;
  await sleep(o.seconds * 1000);
  const end = read(fleet, server);
  const ackedInWindow = acked - ackedAtStart;
  running = false;
  fleet.onDelivery = undefined;
  await drain(fleet, senders, o.deadline);

  const w = between(start, end);
  return {
    seconds: w.seconds,
    deliveriesPerSecond: w.deliveries / w.seconds,
    messagesPerSecond: ackedInWindow / w.seconds,
    serverCpuPercent: w.serverCpuPercent,
    serverWaitPercent: w.serverWaitPercent,
    serverCpuMicrosPerDelivery: w.serverCpuMicros / Math.max(1, w.deliveries),
    serverCpuPartsPerDelivery: scaleParts(w.serverParts, Math.max(1, w.deliveries)),
    writeSyscallsPerDelivery: w.serverWriteSyscalls / Math.max(1, w.deliveries),
    generatorCpuPercent: w.generatorCpuPercent,
    otherCpuPercent: w.otherCpuPercent,
    kernelIrqPercent: w.kernelIrqPercent,
    stealPercent: w.stealPercent,
    refused,
  };
}

/** The first sender from `turn` on (round robin by client index) with room for another ack. */
function nextSender(senders: WireClient[], turn: number, ackWindow: number): WireClient | undefined {
  const start = senders.findIndex((s) => s.index >= turn);
  for (let k = 0; k < senders.length; k++) {
    const sender = senders[(Math.max(0, start) + k) % senders.length];
    if (sender.pendingAcks < ackWindow) return sender;
  }
  return undefined;
}

/** Waits for every ack and for the last broadcasts to arrive. */
export async function drain(fleet: Fleet, senders: WireClient[], deadline: number): Promise<void> {
  while (senders.some((s) => s.pendingAcks > 0) && Date.now() < deadline) await sleep(20);
  await fleet.waitQuiet(300, deadline);
}
