// Read state kept on the server (docs/protocol.md, "Read state"): the open conversation is marked read while
// the page is visible, other tabs and devices are told (`read` events clear their badges), and after every
// login the unread counts come from `conversations`, so badges survive a reload.
import { target } from './conversation.js';

/** Marks wait this long, so that a burst of messages in the open conversation costs one `read`. */
const MARK_DELAY_MS = 400;
/** At most this many pages of `conversations` after a login (50 each). */
const MAX_PAGES = 20;

export class ReadMarks {
  constructor(client, chat, { isReady }) {
    this.client = client;
    this.chat = chat;
    this.isReady = isReady;
    this.timer = undefined;
    /** Conversations shown since the last marks went out. */
    this.pending = new Set();
    this.pendingGeneration = undefined;
    this.refreshing = undefined;
  }

  /** Whoever looks at the page is reading the open conversation. */
  get reading() {
    return document.visibilityState === 'visible';
  }

  /**
   * Marks the open conversation read up to its newest message, soon (once per burst). The conversation is the
   * one open now: switching to another before the mark goes out still marks what was read here.
   */
  markActive() {
    if (!this.reading) return;
    const generation = this.chat.generation;
    if (generation !== this.pendingGeneration) this.pending.clear(); // another user's conversations
    this.pendingGeneration = generation;
    this.pending.add(this.chat.active);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const conversations = [...this.pending];
      this.pending.clear();
      if (generation !== this.chat.generation) return;
      for (const conv of conversations) void this.#mark(conv);
    }, MARK_DELAY_MS);
  }

  async #mark(conv) {
    if (!this.isReady() || conv.maxId <= conv.readUpTo) return;
    if (conv.unread > 0) this.chat.setUnread(conv, 0);
    const generation = this.chat.generation;
    const res = await this.client.markRead({ ...target(conv), upTo: conv.maxId });
    if (res.ok && generation === this.chat.generation) conv.readUpTo = Math.max(conv.readUpTo, res.upTo);
  }

  /** Another connection of this user moved a mark: clear the badge if that covers what we hold, else ask again. */
  applyEvent(mark) {
    const conv = this.#conversation(mark);
    conv.readUpTo = Math.max(conv.readUpTo, mark.upTo);
    if (mark.upTo >= Math.max(conv.maxId, conv.lastId ?? 0)) this.chat.setUnread(conv, 0);
    else void this.refresh();
  }

  /** Sets every conversation's unread count from the server (after a login, or when a mark needs it). */
  refresh() {
    this.refreshing ??= this.#refresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  async #refresh() {
    const generation = this.chat.generation;
    let before;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await this.client.conversations(before === undefined ? {} : { before });
      if (generation !== this.chat.generation) return;
      if (!res.ok) return console.warn('could not read the unread counts', res.error);
      for (const entry of res.conversations) {
        const conv = this.#conversation(entry);
        conv.readUpTo = Math.max(conv.readUpTo, entry.readUpTo);
        conv.lastId = entry.last?.id ?? 0;
        const open = conv === this.chat.active && this.reading;
        this.chat.setUnread(conv, open ? 0 : entry.unread);
      }
      if (!res.hasMore || res.conversations.length === 0) break;
      before = res.conversations[res.conversations.length - 1].activity;
    }
    this.markActive();
  }

  #conversation({ room, with: peer }) {
    if (room !== undefined) return this.chat.roomConversation(room);
    if (peer !== undefined) {
      this.chat.people.ensure(peer);
      return this.chat.conversationWith(peer);
    }
    return this.chat.public;
  }
}
