/**
 * Latency at a fixed send rate, below saturation (open loop: sends follow the clock, not the acks).
 * Each text carries its send time; receivers compute send → receive latency on the same monotonic clock.
 * `public`: `sendMsg` from a few senders, latency at a spread sample of all receivers.
 * `private`: `privateMsg` between fixed pairs, latency at each recipient.
 * With several nodes, every sender is on the first node and the figures are cross-node: public latency at the
 * receivers on the other nodes (the first node's own receivers are reported apart), private messages to
 * recipients on the second node.
 */
import { sleep, type Fleet } from './fleet';
import { between, read } from './meter';
import { drain } from './saturation';
import type { ServerGroup } from './server-group';
import { Samples, nowMicros, stampedText, type Summary } from './stats';
import type { WireClient } from './wire-client';

export interface FixedRateOptions {
  kind: 'public' | 'private';
  /** Messages per second, over all senders. */
  rate: number;
  /** Public: number of senders. Private: number of sender → recipient pairs. */
  senders: number;
  /** Public: about how many receivers record latency. */
  sampledReceivers: number;
  ackWindow: number;
  warmupSeconds: number;
  seconds: number;
  deadline: number;
}

export interface FixedRateResult {
  rate: number;
  /** Messages actually sent per second in the measured window. */
  sentPerSecond: number;
  /** Senders on one node, latency measured at receivers on the others. */
  crossNode: boolean;
  /** Cross-node runs, public: latency at the receivers on the senders' own node. */
  sameNodeLatencyMs?: Summary;
  /** Sends skipped because the sender already awaited `ackWindow` acks (the server fell behind). */
  skipped: number;
  latencyMs: Summary | undefined;
  ackMs: Summary | undefined;
  serverCpuPercent: number;
  /** Share of the window the nodes' event loops waited for a CPU (see meter.ts). */
  serverWaitPercent: number;
  generatorCpuPercent: number;
  otherCpuPercent: number;
  /** Interrupt/softirq time meanwhile, mostly loopback TCP (see meter.ts). */
  kernelIrqPercent: number;
}

const TICK_MS = 1;

export async function fixedRate(fleet: Fleet, server: ServerGroup, o: FixedRateOptions): Promise<FixedRateResult> {
  const crossNode = fleet.nodes > 1;
  const { senders, partners } = pick(fleet, o, crossNode);
  const ack = new Samples();
  let sent = 0;
  let skipped = 0;
  let recording = false;

  const send = (k: number) => {
    const sender = senders[k];
    if (sender.pendingAcks >= o.ackWindow) {
      skipped++;
      return;
    }
    sent++;
    const at = nowMicros();
    const onAck = (body: string | undefined) => {
      if (recording && body?.startsWith('[{"ok":true')) ack.push((nowMicros() - at) / 1000);
    };
    const text = stampedText(sent);
    if (o.kind === 'public') sender.emit('sendMsg', { text }, onAck);
    else sender.emit('privateMsg', { to: partners[k].name, text }, onAck);
  };

  fleet.sampleReceivers(o.sampledReceivers);
  const samples = new Samples();
  const sameNode = new Samples();
  const began = performance.now();
  const measureFrom = began + o.warmupSeconds * 1000;
  const stopAt = measureFrom + o.seconds * 1000;
  let start: ReturnType<typeof read> | undefined;
  let sentAtStart = 0;
  let due = 0;
  for (let now = began; now < stopAt; now = performance.now()) {
    if (!start && now >= measureFrom) {
      start = read(fleet, server);
      sentAtStart = sent;
      recording = true;
      // Receivers on the senders' node (the first) record apart from those on the others.
      if (o.kind === 'public') fleet.publicLatency = Array.from({ length: fleet.nodes }, (_, n) => (n === 0 && crossNode ? sameNode : samples));
      else fleet.privateLatency = samples;
    }
    const target = Math.floor(((now - began) / 1000) * o.rate);
    for (; due < target; due++) send(due % senders.length);
    await sleep(TICK_MS);
  }
  const end = read(fleet, server);
  const sentInWindow = sent - sentAtStart;
  await drain(fleet, senders, o.deadline);
  fleet.publicLatency = undefined;
  fleet.privateLatency = undefined;
  recording = false;

  const w = between(start ?? end, end);
  return {
    rate: o.rate,
    sentPerSecond: sentInWindow / Math.max(w.seconds, 1e-9),
    crossNode,
    ...(crossNode && o.kind === 'public' && { sameNodeLatencyMs: sameNode.summary() }),
    skipped,
    latencyMs: samples.summary(),
    ackMs: ack.summary(),
    serverCpuPercent: w.serverCpuPercent,
    serverWaitPercent: w.serverWaitPercent,
    generatorCpuPercent: w.generatorCpuPercent,
    otherCpuPercent: w.otherCpuPercent,
    kernelIrqPercent: w.kernelIrqPercent,
  };
}

/** Public: the senders. Private: senders and their partners (partners[k] receives from senders[k]). */
function pick(fleet: Fleet, o: FixedRateOptions, crossNode: boolean): { senders: WireClient[]; partners: WireClient[] } {
  if (o.kind === 'public') return { senders: fleet.spread(o.senders, crossNode ? 0 : undefined), partners: [] };
  if (crossNode) return { senders: fleet.spread(o.senders, 0), partners: fleet.spread(o.senders, 1) };
  const chosen = fleet.spread(o.senders * 2);
  return { senders: chosen.filter((_, k) => k % 2 === 0), partners: chosen.filter((_, k) => k % 2 === 1) };
}
