/**
 * A client that follows the documented resume rule (docs/protocol.md, "The delivery guarantee"): it logs in
 * again and syncs after every (re)connect, ignores ids it already holds, and retries every send with the
 * same clientId until it is acked.
 */
import { io } from 'socket.io-client';
import type { ChatMessage } from '../src/protocol';
import type { Client } from './helpers';

export class ResumingClient {
  readonly socket: Client;
  /** Every message held, by id. */
  readonly held = new Map<number, ChatMessage>();
  /** Deliveries of an id already held (live and sync overlapping), ignored as the protocol says. */
  ignored = 0;
  resets = 0;
  connects = 0;
  private cursor = 0;
  private syncing = false;
  private token: string | undefined;
  private ready: Promise<void>;
  private markReady!: () => void;

  constructor(url: string, readonly name: string) {
    this.ready = new Promise((r) => (this.markReady = r));
    this.socket = io(url, {
      transports: ['websocket'],
      forceNew: true,
      reconnectionDelay: 50,
      reconnectionDelayMax: 250,
      randomizationFactor: 0,
    });
    this.socket.on('connect', () => void this.resume());
    this.socket.on('disconnect', () => {
      this.ready = new Promise((r) => (this.markReady = r));
    });
    this.socket.on('allmessage', (m) => this.receive(m));
    this.socket.on('privateMsg', (m) => this.receive(m));
  }

  /** Resolves once the client is logged in and synced (after the latest connect). */
  whenReady(): Promise<void> {
    return this.ready;
  }

  private receive(message: ChatMessage): void {
    if (this.held.has(message.id)) {
      this.ignored++;
      return;
    }
    this.held.set(message.id, message);
    if (!this.syncing) this.cursor = Math.max(this.cursor, message.id);
  }

  private async resume(): Promise<void> {
    this.connects++;
    this.syncing = true;
    try {
      const login = await this.socket.timeout(2000).emitWithAck('login', { username: this.name, token: this.token });
      if (!login.ok) throw new Error(`${this.name}: login failed: ${login.error.code}`);
      this.token = login.token;
      let after = this.cursor;
      for (;;) {
        const res = await this.socket.timeout(2000).emitWithAck('sync', { after });
        if (!res.ok) throw new Error(`${this.name}: sync failed: ${res.error.code}`);
        if (res.reset) this.resets++;
        for (const m of res.messages) this.receive(m);
        if (!res.hasMore || res.messages.length === 0) break;
        after = res.messages[res.messages.length - 1].id;
      }
      this.cursor = Math.max(this.cursor, ...this.held.keys());
      this.syncing = false;
      this.markReady();
    } catch {
      // The connection dropped mid-resume (or the server died): the next connect resumes again.
    }
  }

  /** Sends until acked (bounded by `deadline`, epoch ms); resolves with the stored message. */
  async send(payload: { to?: string; text: string; clientId: string }, deadline: number): Promise<ChatMessage> {
    while (Date.now() < deadline) {
      await Promise.race([this.whenReady(), new Promise((r) => setTimeout(r, 500))]);
      if (!this.socket.connected) continue;
      try {
        const res =
          payload.to === undefined
            ? await this.socket.timeout(1000).emitWithAck('sendMsg', { text: payload.text, clientId: payload.clientId })
            : await this.socket.timeout(1000).emitWithAck('privateMsg', { to: payload.to, text: payload.text, clientId: payload.clientId });
        if (res.ok) {
          this.receive(res.message);
          return res.message;
        }
      } catch {
        // no ack in time: retry with the same clientId
      }
    }
    throw new Error(`${this.name}: ${payload.clientId} was never acked`);
  }

  close(): void {
    this.socket.disconnect();
  }
}
