// The rooms the user is a member of, in the sidebar, with their unread counts. Clicking one opens it.
import { h, keepOrder, nameKey } from './dom.js';
import { unreadBadge } from './people.js';

export class Rooms {
  constructor(list, { onOpen }) {
    this.list = list;
    this.onOpen = onOpen;
    /** key → { name, private, unread, el } */
    this.rooms = new Map();
    this.activeKey = undefined;
  }

  /** Replaces the list (after login): [{ name, private }]. Known rooms keep their entry and unread count. */
  reset(rooms) {
    const known = this.rooms;
    this.rooms = new Map();
    for (const room of rooms) this.rooms.set(nameKey(room.name), Object.assign(known.get(nameKey(room.name)) ?? { unread: 0 }, room));
    this.#render();
  }

  add(room) {
    const key = nameKey(room.name);
    this.rooms.set(key, Object.assign(this.rooms.get(key) ?? { unread: 0 }, room));
    this.#render();
  }

  remove(name) {
    this.rooms.delete(nameKey(name));
    this.#render();
  }

  has(name) {
    return this.rooms.has(nameKey(name));
  }

  setUnread(name, unread) {
    const room = this.rooms.get(nameKey(name));
    if (!room) return;
    room.unread = unread;
    this.#renderOne(room);
  }

  /** Marks the open room (undefined: no room is open). */
  setActive(name) {
    this.activeKey = name === undefined ? undefined : nameKey(name);
    for (const room of this.rooms.values()) this.#renderOne(room);
  }

  #render() {
    const sorted = [...this.rooms.values()].sort((a, b) => nameKey(a.name).localeCompare(nameKey(b.name)));
    for (const room of sorted) this.#renderOne(room);
    keepOrder(this.list, sorted.map((r) => r.el.parentElement));
  }

  #renderOne(room) {
    if (!room.el) {
      room.el = h('button', { className: 'conv room', attrs: { type: 'button' }, on: { click: () => this.onOpen(room.name) } });
      h('li', {}, room.el);
    }
    const { el, name, unread } = room;
    el.dataset.room = name;
    el.dataset.private = String(room.private);
    if (nameKey(name) === this.activeKey) el.setAttribute('aria-current', 'true');
    else el.removeAttribute('aria-current');
    el.replaceChildren(
      roomAvatar(room.private),
      h('span', { className: 'conv-name', text: name, attrs: { dir: 'auto' } }),
      h('span', { className: 'visually-hidden', text: room.private ? ', private room' : ', public room' }),
      unreadBadge(unread) ?? '',
    );
  }
}

/** A room's avatar: `#` for a public room, a lock (drawn by style.css) for a private one. */
export function roomAvatar(isPrivate) {
  return h('span', { className: 'avatar avatar-room', attrs: { 'aria-hidden': 'true' } }, isPrivate ? h('span', { className: 'lock' }) : '#');
}
