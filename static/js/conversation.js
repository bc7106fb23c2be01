// One conversation (the public timeline, the private one with a peer, or a room): its messages, deduplicated by
// id and kept in id order whatever order they arrive in (live, history pages, sync), and the list showing them.
import { h, hueClass, initial, nameKey, timeEl } from './dom.js';

/** Consecutive messages from one author closer than this are drawn as one group. */
const GROUP_MS = 5 * 60 * 1000;

export const PUBLIC = 'public';

/** The key of the private conversation with `name`. */
export function privateKey(name) {
  return `user:${nameKey(name)}`;
}

/** The key of room `name`'s conversation. */
export function roomKey(name) {
  return `room:${nameKey(name)}`;
}

/** What names a conversation in `history` and `read` payloads: nothing (public), `with`, or `room`. */
export function target(conv) {
  if (conv.room !== undefined) return { room: conv.room.name };
  return conv.peer === undefined ? {} : { with: conv.peer };
}

/** Whether an outbox entry's target (the client library's `{ kind, to?, room? }`) is `conv`. */
export function isTargetOf(conv, t) {
  if (t.kind === 'room') return conv.room !== undefined && roomKey(t.room) === conv.key;
  if (t.kind === 'private') return privateKey(t.to) === conv.key;
  return conv.key === PUBLIC;
}

const STATUS_TEXT = { sending: 'Sending…', sent: 'Sent', failed: 'Not sent' };

export class Conversation {
  /**
   * `peer`: the other user's name, or undefined for the public timeline and rooms. `room`: a room's
   * { name, private, owner, members } (kept up to date by chat.js), or undefined.
   */
  constructor(key, peer, room) {
    this.key = key;
    this.peer = peer;
    this.room = room;
    this.unread = 0;
    /** The server's read mark (docs/protocol.md, "Read state"); 0 until known. */
    this.readUpTo = 0;
    /** Membership changes shown here (by seq), each once. */
    this.changes = new Set();
    /** Whether the newest history page has been loaded (older pages load on demand). */
    this.loaded = false;
    this.hasMore = false;
    this.loading = false;
    /** Where the reader left this conversation; undefined: at the newest message. */
    this.scrollAnchor = undefined;
    this.messages = new Map();
    this.minId = Infinity;
    this.maxId = 0;
    const label = room !== undefined ? `Messages in ${room.name}` : peer === undefined ? 'Messages to everyone' : `Messages with ${peer}`;
    this.log = h('ol', { className: 'log', attrs: { role: 'log', 'aria-label': label }, dataset: { conv: key } });
    this.outbox = h('ol', { className: 'log outbox', attrs: { 'aria-label': 'Messages not sent yet' } });
  }

  get title() {
    return this.room?.name ?? this.peer ?? 'Everyone';
  }

  /** Adds a message unless its id is already here. Returns whether it was new. */
  add(message, mine) {
    if (this.messages.has(message.id)) return false;
    const el = messageEl(message, mine);
    this.messages.set(message.id, { message, el });
    if (message.id > this.maxId) {
      this.log.append(el);
    } else {
      const later = [...this.log.children].find((li) => Number(li.dataset.id) > message.id);
      this.log.insertBefore(el, later ?? null);
    }
    this.minId = Math.min(this.minId, message.id);
    this.maxId = Math.max(this.maxId, message.id);
    group(el);
    const next = el.nextElementSibling;
    if (next) group(next);
    return true;
  }

  has(id) {
    return this.messages.has(id);
  }

  /** The message with `id` as it is now (an edit, a deletion, or an ack's version of it), if it is here. */
  update(id, changes) {
    const entry = this.messages.get(id);
    if (!entry) return false;
    entry.message = { ...entry.message, ...changes };
    if (entry.message.deletedAt !== undefined) entry.message.text = '';
    renderBody(entry.el, entry.message, entry.el.classList.contains('mine'));
    return true;
  }

  messageOf(id) {
    return this.messages.get(id)?.message;
  }

  /** The newest message of the user's own here that is not deleted (what ArrowUp edits), as its list item. */
  lastOwn() {
    const own = this.log.querySelectorAll(':scope > li.message.mine:not(.deleted)');
    return own[own.length - 1];
  }

  /** Shows a send status (sending / sent / failed) under one of the user's own messages; null removes it. */
  setStatus(id, status) {
    const entry = this.messages.get(id);
    if (!entry) return;
    const slot = entry.el.querySelector('.status');
    if (status === null) {
      delete entry.el.dataset.status;
      slot?.remove();
      return;
    }
    entry.el.dataset.status = status;
    slot.textContent = STATUS_TEXT[status];
  }

  /** A server notice (msg1): drawn apart from messages, in arrival order. */
  addNotice(notice) {
    const label = notice.type === 'push' ? 'Announcement: ' : notice.type === 'error' ? 'Error: ' : '';
    const li = h(
      'li',
      { className: `notice notice-${notice.type}`, dataset: { notice: notice.type } },
      h('span', { className: 'notice-text' }, label ? h('strong', { text: label }) : null, notice.text),
      ' ',
      timeEl(notice.ts),
    );
    this.log.append(li);
  }

  /** Forgets every message (used when the server says the client is too far behind to catch up). */
  clear() {
    this.messages.clear();
    this.log.replaceChildren();
    this.minId = Infinity;
    this.maxId = 0;
    this.loaded = false;
    this.hasMore = false;
    this.unread = 0;
    this.scrollAnchor = undefined;
  }
}

function messageEl(message, mine) {
  const status = mine ? h('p', { className: 'status' }) : null;
  const li = h(
    'li',
    { className: `message ${hueClass(message.from)}${mine ? ' mine' : ''}`, dataset: { id: String(message.id), from: nameKey(message.from), ts: String(message.ts) } },
    h('span', { className: 'avatar', text: initial(message.fromName ?? message.from), attrs: { 'aria-hidden': 'true' } }),
    h('div', { className: 'bubble' }, status),
  );
  renderBody(li, message, mine);
  return li;
}

/**
 * The bubble's content as the message is now: edited (a mark beside the time), deleted (a tombstone without its
 * text), and for one's own messages the Edit and Delete buttons (js/message-actions.js handles their clicks).
 * The send status, if any, is kept.
 */
function renderBody(li, message, mine) {
  const bubble = li.querySelector('.bubble');
  const status = bubble.querySelector(':scope > .status');
  const deleted = message.deletedAt !== undefined;
  li.classList.toggle('deleted', deleted);
  const meta = h(
    'p',
    { className: 'meta' },
    h('span', { className: 'author', text: mine ? 'You' : (message.fromName ?? message.from), attrs: { dir: 'auto', title: message.from } }),
    ' ',
    timeEl(message.ts),
    message.editedAt !== undefined && !deleted ? h('span', { className: 'edited', text: 'edited', attrs: { title: `Edited ${new Date(message.editedAt).toLocaleString()}` } }) : null,
  );
  const text = deleted ? h('p', { className: 'text tombstone', text: 'This message was deleted.' }) : h('p', { className: 'text', text: message.text, attrs: { dir: 'auto' } });
  const actions =
    mine && !deleted
      ? h(
          'div',
          { className: 'actions' },
          // Out of the tab order (a long log would put dozens of stops between the message box and the sidebar):
          // by keyboard, ArrowUp in the empty message box edits one's last message, and the editor can delete it.
          h('button', { className: 'link', text: 'Edit', attrs: { type: 'button', tabindex: '-1', 'aria-label': 'Edit this message' }, dataset: { action: 'edit' } }),
          h('button', { className: 'link', text: 'Delete', attrs: { type: 'button', tabindex: '-1', 'aria-label': 'Delete this message' }, dataset: { action: 'delete' } }),
        )
      : null;
  bubble.replaceChildren(...[meta, text, actions, status].filter(Boolean));
}

/** Marks `li` as continuing the group of the message before it (same author, shortly after). */
function group(li) {
  const prev = li.previousElementSibling;
  const continued =
    prev?.classList.contains('message') &&
    prev.dataset.from === li.dataset.from &&
    Number(li.dataset.ts) - Number(prev.dataset.ts) < GROUP_MS;
  li.classList.toggle('continued', Boolean(continued));
}
