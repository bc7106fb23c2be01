/**
 * Resuming: the log (log.ts) fed by the connection. Every live event that is an entry of the log goes through
 * it; after every connection and login, the catch-up runs (tried again while it fails and the connection lasts,
 * after the server's retryAfterMs or a back-off); what reaches the application is turned into its events, and
 * private messages to the user are confirmed (receipts.ts).
 *
 * Entries that are not messages (rooms' membership changes, edits, deletions): LIVE_CHANGES lists the live
 * events that carry one, by the `type` their entries have in `sync`'s `changes`. Each reaches the application
 * once as a `change` event, live or from `sync`, and the cursor moves over it. A new kind of entry is a line
 * there.
 */
import type { Socket } from 'socket.io-client';
import { toMessage, type Message } from './events.js';
import { MessageLog, type Entry, type Route, type StartAt } from './log.js';
import { Receipts } from './receipts.js';
import { request, type ClientError } from './request.js';
import { nameKey } from './session.js';
import type { ConversationsPage, HistoryPage, LogChange, SyncPage, WireMessage } from './wire.js';

/** Live events that carry a chat message. */
const LIVE_MESSAGES = ['allmessage', 'privateMsg', 'roomMsg'] as const;
/** Live events that carry another entry of the log, with that entry's `type` in `sync`'s `changes`. */
export const LIVE_CHANGES = { roomMember: 'member', messageEdited: 'edit', messageDeleted: 'delete' } as const satisfies Readonly<Record<string, LogChange['type']>>;

const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 10_000;

export interface ResumeHooks {
  message(message: Message, route: Route): void;
  change(change: LogChange, route: Route): void;
  synced(delivered: number, cursor: number): void;
  reset(): void;
  error(error: ClientError): void;
}

export class Resume {
  private readonly log: MessageLog;
  private readonly receipts: Receipts;
  /** The name key of the user whose entries these are (null: anonymous, public only). */
  private me: string | null = null;
  private run = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  caughtUp = false;

  constructor(
    private readonly socket: Socket,
    private readonly hooks: ResumeHooks,
    start: StartAt,
    cursor: number | undefined,
  ) {
    this.log = new MessageLog({ deliver: (entry, route) => this.deliver(entry, route), repeated: (entry) => this.confirm(entry), reset: () => hooks.reset() }, start, cursor);
    this.receipts = new Receipts((ids) => void request(socket, 'received', { ids }));
    for (const event of LIVE_MESSAGES) socket.on(event, (message: WireMessage) => this.log.live({ kind: 'message', message }));
    for (const [event, type] of Object.entries(LIVE_CHANGES)) socket.on(event, (change: Omit<LogChange, 'type'>) => this.log.live({ kind: 'change', change: { ...change, type } as LogChange }));
  }

  get cursor(): number | undefined {
    return this.log.position;
  }

  /**
   * This connection is now `user`'s (a name key; null: anonymous): catches it up. `fresh`: the log held
   * someone else's entries, forgotten first. Resolves once caught up, or once this connection or login is over.
   */
  async begin(user: string | null, fresh: boolean): Promise<void> {
    const run = this.stop();
    if (fresh) this.log.forget();
    this.me = user;
    const current = () => run === this.run && this.socket.connected;
    for (let failures = 0; current(); failures++) {
      const res = await this.log.catchUp(this.source(), current);
      if (res === undefined) return;
      if (res.ok) {
        this.caughtUp = true;
        this.hooks.synced(res.delivered, this.log.position ?? 0);
        return;
      }
      this.hooks.error(res.error);
      // As the server says (a read limit, issue 16), else a back-off.
      const wait = res.error.retryAfterMs ?? Math.min(RETRY_FIRST_MS * 2 ** failures, RETRY_MAX_MS);
      await new Promise<void>((resolve) => (this.timer = setTimeout(() => resolve(), wait)));
    }
  }

  /** The connection ended (or the client closed): catch-ups under way stop, the cursor stays. */
  lost(): void {
    this.stop();
    this.log.connectionLost();
  }

  /** The ack of a send from this client. */
  acked(message: WireMessage, clientId: string): void {
    this.log.acked(message, clientId);
  }

  close(): void {
    this.lost();
    this.receipts.stop();
  }

  private stop(): number {
    clearTimeout(this.timer);
    this.caughtUp = false;
    return ++this.run;
  }

  private source() {
    return {
      sync: (after: number) => request<SyncPage>(this.socket, 'sync', { after }),
      newest: async () => {
        // Signed in: the newest message of any of the user's conversations (they come most recently active
        // first); anonymous: the public timeline's.
        if (this.me === null) {
          const res = await request<HistoryPage>(this.socket, 'history', { limit: 1 });
          return res.ok ? { ok: true as const, id: res.messages.at(-1)?.id ?? 0 } : res;
        }
        const res = await request<ConversationsPage>(this.socket, 'conversations', { limit: 1 });
        return res.ok ? { ok: true as const, id: res.conversations[0]?.activity ?? 0 } : res;
      },
    };
  }

  private deliver(entry: Entry, route: Route): void {
    if (entry.kind === 'change') return this.hooks.change(entry.change, route);
    this.confirm(entry);
    this.hooks.message(toMessage(entry.message, this.me, entry.clientId), route);
  }

  /** A private message to the user is confirmed every time it arrives: the server resends what is unconfirmed. */
  private confirm(entry: Entry): void {
    if (entry.kind === 'message' && 'to' in entry.message && this.me !== null && nameKey(entry.message.to) === this.me) this.receipts.add(entry.message.id);
  }
}
