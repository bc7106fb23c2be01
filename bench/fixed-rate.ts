/**
 * Latency at a fixed send rate, below saturation (open loop: sends follow the clock, not the acks).
 * Each text carries its send time; receivers compute send → receive latency on the same monotonic clock.
 * `public`: `sendMsg` from a few senders, latency at a spread sample of all receivers.
 * `private`: `privateMsg` between fixed pairs, latency at each recipient.
 */
import { sleep, type Fleet } from './fleet';
import { between, read } from './meter';
import { drain } from './saturation';
import type { ServerProcess } from './server-process';
import { Samples, nowMicros, stampedText, type Summary } from './stats';

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
  /** Sends skipped because the sender already awaited `ackWindow` acks (the server fell behind). */
  skipped: number;
  latencyMs: Summary | undefined;
  ackMs: Summary | undefined;
  serverCpuPercent: number;
  generatorCpuPercent: number;
  otherCpuPercent: number;
  /** Interrupt/softirq time meanwhile, mostly loopback TCP (see meter.ts). */
  kernelIrqPercent: number;
}

const TICK_MS = 1;

export async function fixedRate(fleet: Fleet, server: ServerProcess, o: FixedRateOptions): Promise<FixedRateResult> {
  const chosen = fleet.spread(o.kind === 'public' ? o.senders : o.senders * 2);
  const senders = o.kind === 'public' ? chosen : chosen.filter((_, k) => k % 2 === 0);
  const partner = (k: number) => chosen[2 * k + 1];
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
    else sender.emit('privateMsg', { to: partner(k).name, text }, onAck);
  };

  fleet.sampleReceivers(o.sampledReceivers);
  const samples = new Samples();
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
      if (o.kind === 'public') fleet.publicLatency = samples;
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
    skipped,
    latencyMs: samples.summary(),
    ackMs: ack.summary(),
    serverCpuPercent: w.serverCpuPercent,
    generatorCpuPercent: w.generatorCpuPercent,
    otherCpuPercent: w.otherCpuPercent,
    kernelIrqPercent: w.kernelIrqPercent,
  };
}
