/**
 * The client half of the delivery guarantee (docs/protocol.md, "The delivery guarantee"): every entry of the
 * server's log that this user may see reaches the application once, whichever routes it comes by (live, `sync`,
 * the ack of one's own send) and however often the connection drops, the server restarts or the network cuts.
 *
 * - Entries are known by their position in the log: a message's `id`, or the `seq` of an entry that is not a
 *   message (rooms' membership changes, edits, deletions). A position already held is dropped.
 * - The cursor is the highest position held when the previous connection ended. After every (re)connection and
 *   login, `catchUp` pages `sync` from it until done; only then does the connection count as caught up, and from
 *   then on the cursor follows every entry held, until the connection ends.
 * - Live entries that arrive before the connection has caught up are held back, unseen and not counted, and
 *   handed over after the last `sync` page: they are newer than what was sent while the client was away, and
 *   moving the cursor over them would skip that. If the connection drops first they are dropped too: the next
 *   `sync` returns them.
 * So the application sees, on each connection, the `sync` pages in log order and then the live entries in the
 * order the server sent them (log order too); only the ack of a message sent from this client can come after
 * newer entries of others.
 */
import { HeldPositions } from './held.js';
import type { ClientError, Result } from './request.js';
import type { LogChange, SyncPage, WireMessage } from './wire.js';

/** `clientId`: on the ack of a send from this client, the id the application sent it with. */
export type Entry = { kind: 'message'; message: WireMessage; clientId?: string } | { kind: 'change'; change: LogChange };
/** How an entry arrived: a live event, a `sync` page, or the ack of a send from this client. */
export type Route = 'live' | 'sync' | 'ack';

export const positionOf = (entry: Entry): number => (entry.kind === 'message' ? entry.message.id : entry.change.seq);

/**
 * Where a client without a cursor starts: `latest` (the newest message the user can read at its first
 * connection, in any of their conversations; anonymous: the public timeline's; what came before is history,
 * read with `history`), or `beginning` (every entry it may see, from the first).
 */
export type StartAt = 'latest' | 'beginning';

export interface LogHooks {
  /** An entry new to this client: called once per position. */
  deliver(entry: Entry, route: Route): void;
  /** An entry already held arrived again (the server resends unconfirmed private messages at every login). */
  repeated(entry: Entry, route: Route): void;
  /** `sync` said the cursor is behind the retention window: drop what you hold and reload with `history`. */
  reset(): void;
}

/** What `catchUp` asks the server, each through the current connection. */
export interface LogSource {
  sync(after: number): Promise<Result<SyncPage>>;
  /** The id of the newest message the user can read (0 when there is none), where a `latest` start begins. */
  newest(): Promise<Result<{ id: number }>>;
}

export class MessageLog {
  private cursor: number | undefined;
  private caughtUp = false;
  private readonly held = new HeldPositions();
  /** The highest position held, whether or not the cursor may follow it yet. */
  private highest = 0;
  private early: Entry[] = [];

  constructor(
    private readonly hooks: LogHooks,
    private readonly start: StartAt,
    cursor?: number,
  ) {
    this.cursor = cursor;
  }

  /** Where the next `sync` starts; undefined before the first catch-up of a client given none. */
  get position(): number | undefined {
    return this.cursor;
  }

  /** An entry sent live: handed over now if this connection has caught up, else after its catch-up. */
  live(entry: Entry): void {
    if (this.caughtUp) this.accept(entry, 'live');
    else this.early.push(entry);
  }

  /** The ack of a send from this client: the stored message, handed over now. */
  acked(message: WireMessage, clientId: string): boolean {
    return this.accept({ kind: 'message', message, clientId }, 'ack');
  }

  /** The connection ended: the cursor stays where it left it. */
  connectionLost(): void {
    this.caughtUp = false;
    this.early = [];
  }

  /** Forgets everything held, and the cursor (another user signed in on this client, or none). */
  forget(): void {
    this.connectionLost();
    this.held.clear();
    this.cursor = undefined;
    this.highest = 0;
  }

  /**
   * Brings this connection up to date: `sync` from the cursor, page after page, then the entries held back.
   * `current()` turns false once the connection this runs for is gone (nothing is changed after that). Resolves
   * with how many entries it handed over, or with the error that stopped it (the caller tries again).
   */
  async catchUp(source: LogSource, current: () => boolean): Promise<Result<{ delivered: number }> | undefined> {
    let delivered = 0;
    let resets = 0;
    for (;;) {
      if (this.cursor === undefined) {
        // After a reset the client starts again from the newest message, whatever its start: the oldest are gone.
        const from = this.start === 'beginning' && resets === 0 ? { ok: true as const, id: 0 } : await source.newest();
        if (!current()) return undefined;
        if (!from.ok) return from;
        this.cursor = from.id;
      }
      const synced = await this.syncFrom(this.cursor, source, current);
      if (synced === undefined) return undefined;
      if (!synced.ok) return synced;
      delivered += synced.delivered;
      if (!synced.reset) break;
      if (++resets > 1) return { ok: false, error: RESET_AGAIN };
      // What arrived live on this connection is kept: it is new to the application after the reset too.
      this.held.clear();
      this.cursor = undefined;
      this.highest = 0;
      this.hooks.reset();
    }
    this.caughtUp = true;
    this.cursor = Math.max(this.cursor ?? 0, this.highest);
    const early = this.early;
    this.early = [];
    for (const entry of early) if (this.accept(entry, 'live')) delivered++;
    return { ok: true, delivered };
  }

  /** Pages `sync` from `after`; the cursor does not move (the connection has not caught up). */
  private async syncFrom(after: number, source: LogSource, current: () => boolean): Promise<Result<{ delivered: number; reset: boolean }> | undefined> {
    let delivered = 0;
    for (;;) {
      const page = await source.sync(after);
      if (!current()) return undefined;
      if (!page.ok) return page;
      if (page.reset) return { ok: true, delivered, reset: true };
      const entries = merged(page);
      for (const entry of entries) if (this.accept(entry, 'sync')) delivered++;
      if (!page.hasMore || entries.length === 0) return { ok: true, delivered, reset: false };
      after = positionOf(entries[entries.length - 1]);
    }
  }

  private accept(entry: Entry, route: Route): boolean {
    const position = positionOf(entry);
    if (this.held.has(position)) {
      this.hooks.repeated(entry, route);
      return false;
    }
    this.held.add(position);
    this.highest = Math.max(this.highest, position);
    if (this.caughtUp) {
      this.cursor = Math.max(this.cursor ?? 0, position);
      this.held.prune(this.cursor);
    }
    this.hooks.deliver(entry, route);
    return true;
  }
}

/** A page's messages and other entries in log order (each list comes oldest first; positions are one sequence). */
function merged(page: SyncPage): Entry[] {
  const entries: Entry[] = page.messages.map((message) => ({ kind: 'message', message }));
  for (const change of page.changes ?? []) entries.push({ kind: 'change', change });
  return entries.sort((a, b) => positionOf(a) - positionOf(b));
}

const RESET_AGAIN: ClientError = { code: 'internal_error', message: 'The server asked to start again twice in a row.' };
