// The signed-in user's chat: conversations keyed by peer or room, unread counts, and routing of every message
// and room membership change the client library hands over (each once; history pages may overlap) to its
// conversation.
import { Conversation, PUBLIC, privateKey, roomKey } from './conversation.js';
import { nameKey } from './dom.js';
import { unreadBadge } from './people.js';

/** How a membership change reads in the room's conversation. */
const CHANGE_TEXT = {
  create: (c) => `${c.by} created the room`,
  join: (c) => `${c.user} joined`,
  leave: (c) => `${c.user} left`,
  invite: (c) => `${c.by} added ${c.user}`,
  remove: (c) => `${c.by} removed ${c.user}`,
};

export class Chat {
  /** `onRoomClosed()`: the open room was left (by this user, anywhere): the page opens another conversation. */
  constructor({ view, people, rooms, typing, publicButton, publicBadge, onRoomClosed }) {
    this.view = view;
    this.onRoomClosed = onRoomClosed;
    this.publicButton = publicButton;
    this.people = people;
    this.rooms = rooms;
    this.typing = typing;
    this.publicBadge = publicBadge;
    /** { name, key } of the signed-in user, or undefined. */
    this.me = undefined;
    /** Bumped on log-out and on reset, so late answers to earlier requests are ignored. */
    this.generation = 0;
    this.#init();
  }

  #init() {
    this.conversations = new Map();
    this.public = this.conversation(PUBLIC);
    this.active = this.public;
  }

  /** Forgets everything (log-out). */
  reset() {
    this.generation++;
    this.me = undefined;
    this.#init();
    this.typing.clearAll();
    this.open(this.public);
  }

  /** Forgets every message but stays signed in (the library's `reset`: the client fell behind retention). */
  clearMessages() {
    this.generation++;
    for (const conv of this.conversations.values()) conv.clear();
    this.renderUnread();
  }

  isMine(message) {
    return this.me !== undefined && nameKey(message.from) === this.me.key;
  }

  /** The conversation with key `key`, created on first use (`peer` names the other user). */
  conversation(key, peer) {
    let conv = this.conversations.get(key);
    if (!conv) {
      conv = new Conversation(key, peer);
      this.conversations.set(key, conv);
    }
    return conv;
  }

  conversationWith(name) {
    return this.conversation(privateKey(name), name);
  }

  /** Room `name`'s conversation; `info` ({ name, private, owner, members }) updates what is known of the room. */
  roomConversation(name, info) {
    const key = roomKey(name);
    let conv = this.conversations.get(key);
    if (!conv) {
      conv = new Conversation(key, undefined, { name, private: false, owner: '', members: 0 });
      this.conversations.set(key, conv);
    }
    if (info) Object.assign(conv.room, info);
    return conv;
  }

  /** The rooms the user is a member of (a `rooms {mine: true}` answer): the sidebar, and what is known of each. */
  setRooms(rooms) {
    for (const room of rooms) this.roomConversation(room.name, { name: room.name, private: room.private, owner: room.owner, members: room.members });
    this.rooms.reset(rooms.map((room) => ({ name: room.name, private: room.private })));
    this.renderUnread();
  }

  /** Where a message belongs: the public timeline, a room, or the conversation with the other party. */
  conversationFor(message) {
    if (message.room !== undefined) return this.roomConversation(message.room);
    if (message.to === undefined) return this.public;
    const peer = this.isMine(message) ? message.to : message.from;
    this.people.ensure(peer);
    return this.conversationWith(peer);
  }

  /**
   * A message the client library handed over (live, from the catch-up, or the ack of one's send): shown once
   * (a history page may hold it already), counted as unread unless its conversation is open or the reader wrote
   * it. `pending.adopt` says whether it is one of this tab's sends still in flight (then shown as sending).
   */
  receive(message, pending) {
    const conv = this.conversationFor(message);
    if (conv.has(message.id)) return;
    const mine = this.isMine(message);
    const adopted = mine && pending.adopt(conv, message);
    this.view.append(conv, () => conv.add(message, mine), mine);
    if (adopted) conv.setStatus(message.id, 'sending');
    this.typing.clear(conv.key, message.from);
    if (!mine && conv !== this.active) {
      conv.unread++;
      this.renderUnread(conv);
    }
  }

  /**
   * A membership change (`roomMember`, or a change from `sync`), applied once: the room's member count, the
   * sidebar when it concerns the user, and a line in the room's conversation.
   */
  applyChange(change) {
    const conv = this.roomConversation(change.room, { private: change.private });
    if (conv.changes.has(change.seq)) return;
    conv.changes.add(change.seq);
    const joins = change.action === 'create' || change.action === 'join' || change.action === 'invite';
    conv.room.members = Math.max(0, conv.room.members + (joins ? 1 : -1));
    if (change.action === 'create') conv.room.owner = change.by;
    if (this.me && nameKey(change.user) === this.me.key) {
      if (joins) this.rooms.add({ name: change.room, private: change.private });
      else {
        this.rooms.remove(change.room);
        if (conv === this.active) this.onRoomClosed();
      }
    }
    this.view.append(conv, () => conv.addNotice({ type: joins ? 'join' : 'leave', text: CHANGE_TEXT[change.action](change), ts: change.ts }));
    if (conv === this.active) this.view.setSubtitle(this.subtitle(conv));
  }

  /**
   * A message's edit or deletion (`messageEdited`, `messageDeleted`, a change from `sync`, or one's own ack):
   * applied to whichever conversation holds the message; one that holds none gets it as it is now from `history`.
   */
  applyMessageChange(change) {
    const changes = change.type === 'edit' ? { text: change.text, editedAt: change.editedAt } : { deletedAt: change.deletedAt ?? Date.now() };
    for (const conv of this.conversations.values()) if (conv.update(change.id, changes)) return;
  }

  /** The server's unread count for `conv` (conversations, or a read mark from another tab). */
  setUnread(conv, unread) {
    conv.unread = unread;
    this.renderUnread(conv);
  }

  /** Opens `conv`: shows it, clears its unread count. */
  open(conv) {
    this.active = conv;
    this.view.show(conv, this.subtitle(conv));
    this.people.setActive(conv.peer);
    this.rooms.setActive(conv.room?.name);
    if (conv === this.public) this.publicButton.setAttribute('aria-current', 'true');
    else this.publicButton.removeAttribute('aria-current');
    this.typing.setActive(conv.key);
    conv.unread = 0;
    this.renderUnread(conv);
  }

  subtitle(conv) {
    if (conv.room !== undefined) {
      const { members } = conv.room;
      return `${conv.room.private ? 'Private room' : 'Public room'} · ${members} member${members === 1 ? '' : 's'}`;
    }
    if (conv.peer === undefined) return 'Public timeline: everyone sees these messages';
    return this.people.isOnline(conv.peer) ? 'Online · private conversation' : 'Offline · they will get your messages when they are back';
  }

  renderUnread(conv) {
    if (conv === undefined) {
      for (const c of this.conversations.values()) this.renderUnread(c);
      return;
    }
    if (conv === this.public) {
      const badge = unreadBadge(conv.unread);
      if (badge) this.publicBadge.replaceChildren(badge);
      else this.publicBadge.replaceChildren();
    }
    else if (conv.room !== undefined) this.rooms.setUnread(conv.room.name, conv.unread);
    else this.people.setUnread(conv.peer, conv.unread);
    const total = [...this.conversations.values()].reduce((sum, c) => sum + c.unread, 0);
    document.title = total > 0 ? `(${total}) Chat` : 'Chat';
  }
}
