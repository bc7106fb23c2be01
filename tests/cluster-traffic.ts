/**
 * Clients on several nodes that keep sending while a test breaks something, with what each one had acked
 * and received live in each phase (before, during and after an outage): to prove that traffic really flowed
 * across the outage, and afterwards that every client holds exactly what the database says it is entitled to,
 * with every live delivery arriving once.
 */
import { EventEmitter } from 'node:events';
import type { ManagerOptions, SocketOptions } from 'socket.io-client';
import type { ChatMessage } from '../src/protocol';
import { within } from './helpers';
import { ResumingClient } from './resuming-client';

export type Phase = 'before' | 'during' | 'after';

export interface Member {
  client: ResumingClient;
  node: number;
  /** Acks received, by the phase they arrived in. */
  acked: Record<Phase, number>;
  /** Live deliveries (allmessage, privateMsg) from a sender on another node, by phase. */
  fromOtherNodes: Record<Phase, number>;
  /** Live deliveries per id: more than one for an id is a duplicate. */
  deliveries: Map<number, number>;
}

export class Traffic {
  phase: Phase = 'before';
  readonly members: Member[];
  private readonly changes = new EventEmitter();
  private stopped = false;
  private loops: Array<Promise<void>> = [];

  /** One client per entry of `nodes` (its node's index), named `${prefix}${i}`, connected to `urls[node]`. */
  constructor(urls: string[], nodes: number[], prefix: string, options: Partial<ManagerOptions & SocketOptions> = {}) {
    const nodeOf = new Map<string, number>();
    this.members = nodes.map((node, i) => {
      const client = new ResumingClient(urls[node], `${prefix}${i}`, options);
      nodeOf.set(client.name, node);
      const member: Member = { client, node, acked: zero(), fromOtherNodes: zero(), deliveries: new Map() };
      const live = (m: ChatMessage) => {
        member.deliveries.set(m.id, (member.deliveries.get(m.id) ?? 0) + 1);
        if (nodeOf.get(m.from) !== undefined && nodeOf.get(m.from) !== node) member.fromOtherNodes[this.phase]++;
        this.changes.emit('change');
      };
      client.socket.on('allmessage', live);
      client.socket.on('privateMsg', live);
      return member;
    });
  }

  ready(): Promise<void> {
    return within(Promise.all(this.members.map((m) => m.client.whenReady())).then(() => undefined), 'every client ready');
  }

  /**
   * Every client sends until `stop`, one message every `paceMs` (a pace, not a wait: what a chatty user
   * does), every fourth one privately to a client on another node, each retried with its clientId until acked.
   */
  start(paceMs: number, deadline: number): void {
    this.loops = this.members.map(async (member, u) => {
      const others = this.members.filter((m) => m.node !== member.node);
      for (let i = 0; !this.stopped; i++) {
        const to = i % 4 === 3 && others.length > 0 ? others[(u + i) % others.length].client.name : undefined;
        const clientId = `${member.client.name}-${i}`;
        await member.client.send({ to, text: clientId, clientId }, deadline);
        member.acked[this.phase]++;
        this.changes.emit('change');
        await new Promise((resolve) => setTimeout(resolve, paceMs));
      }
    });
  }

  /** Resolves once `done` holds (checked after every ack and delivery), within `ms`. */
  until(done: (members: Member[]) => boolean, what: string, ms: number): Promise<void> {
    let check: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => {
      check = () => done(this.members) && resolve();
      this.changes.on('change', check);
      check();
    });
    return within(reached, what, ms).finally(() => this.changes.off('change', check));
  }

  /** Each client acked at least `n` messages in the current phase, and received one from another node. */
  flowing(n: number): (members: Member[]) => boolean {
    return (members) => members.every((m) => m.acked[this.phase] >= n && m.fromOtherNodes[this.phase] >= 1);
  }

  /** Stops sending; resolves once every loop has had its last ack. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  close(): void {
    this.stopped = true;
    for (const m of this.members) m.client.close();
  }
}

function zero(): Record<Phase, number> {
  return { before: 0, during: 0, after: 0 };
}
