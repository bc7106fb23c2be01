// The list of users with their online state (`users` ack, then `presence` pushes) and per-conversation unread
// counts. Clicking a person opens the private conversation with them.
import { h, keepOrder, hueClass, initial, nameKey } from './dom.js';

export class People {
  constructor(list, empty, { onOpen }) {
    this.list = list;
    this.empty = empty;
    this.onOpen = onOpen;
    /** key → { name, online, unread, el } */
    this.people = new Map();
    this.meKey = undefined;
    this.activeKey = undefined;
  }

  /** Replaces the whole list (after login). `me` is left out: nobody needs a conversation with themselves. */
  reset(me, users) {
    this.meKey = me === undefined ? undefined : nameKey(me);
    // Known people keep their entry (and so the keyboard focus, if it is on one) and their unread count.
    const known = this.people;
    this.people = new Map();
    for (const { name, displayName = name, online } of users) {
      const key = nameKey(name);
      if (key === this.meKey) continue;
      this.people.set(key, Object.assign(known.get(key) ?? { unread: 0, el: undefined }, { name, displayName, online }));
    }
    this.#render();
  }

  /** Applies a `presence` batch: [{ name, displayName, online }]. */
  setOnline(changes) {
    for (const { name, displayName = name, online } of changes) this.#upsert(name, { online, displayName });
    this.#render();
  }

  /** Applies a `profileChanged`: new names for someone listed (a new handle comes with `formerName`). */
  rename({ name, displayName, formerName }) {
    const before = nameKey(formerName ?? name);
    const person = this.people.get(before);
    if (!person) return;
    this.people.delete(before);
    this.people.set(nameKey(name), Object.assign(person, { name, displayName }));
    this.#render();
  }

  /** The name people see for `name` (its handle when unknown). */
  displayNameOf(name) {
    return this.people.get(nameKey(name))?.displayName ?? name;
  }

  /** Makes sure `name` is listed (e.g. a private message from someone who joined while we were away). */
  ensure(name) {
    if (this.people.has(nameKey(name))) return;
    this.#upsert(name, {});
    this.#render();
  }

  setUnread(name, unread) {
    const person = this.people.get(nameKey(name));
    if (!person) return;
    person.unread = unread;
    this.#renderOne(person);
  }

  /** Marks the person whose conversation is open (undefined: the public timeline is open). */
  setActive(name) {
    this.activeKey = name === undefined ? undefined : nameKey(name);
    for (const person of this.people.values()) this.#renderOne(person);
  }

  /** The names of the people listed as online. */
  onlineNames() {
    return [...this.people.values()].filter((p) => p.online).map((p) => p.name);
  }

  isOnline(name) {
    return this.people.get(nameKey(name))?.online ?? false;
  }

  #upsert(name, changes) {
    const key = nameKey(name);
    if (key === this.meKey) return;
    const person = this.people.get(key) ?? { name, displayName: name, online: false, unread: 0, el: undefined };
    Object.assign(person, changes);
    this.people.set(key, person);
  }

  #render() {
    const sorted = [...this.people.values()].sort((a, b) => Number(b.online) - Number(a.online) || a.displayName.localeCompare(b.displayName));
    for (const person of sorted) this.#renderOne(person);
    keepOrder(this.list, sorted.map((p) => p.el.parentElement));
    this.empty.hidden = sorted.length > 0;
  }

  #renderOne(person) {
    if (!person.el) {
      person.el = h('button', { className: 'conv person', attrs: { type: 'button' }, on: { click: () => this.onOpen(person.name) } });
      h('li', {}, person.el);
    }
    const { el, name, displayName, online, unread } = person;
    el.dataset.name = name;
    el.dataset.online = String(online);
    if (nameKey(name) === this.activeKey) el.setAttribute('aria-current', 'true');
    else el.removeAttribute('aria-current');
    el.replaceChildren(
      h('span', { className: `avatar ${hueClass(name)}`, text: initial(displayName), attrs: { 'aria-hidden': 'true' } }, h('span', { className: 'presence' })),
      h(
        'span',
        { className: 'conv-name' },
        h('span', { text: displayName, attrs: { dir: 'auto' } }),
        displayName === name ? null : h('span', { className: 'person-handle', text: name, attrs: { dir: 'auto' } }),
      ),
      h('span', { className: 'visually-hidden', text: online ? ', online' : ', offline' }),
      unreadBadge(unread) ?? '',
    );
  }
}

/** A badge with the count, read by screen readers as "3 unread". */
export function unreadBadge(unread) {
  if (unread === 0) return null;
  return h('span', { className: 'badge', dataset: { unread: String(unread) } }, String(unread > 99 ? '99+' : unread), h('span', { className: 'visually-hidden', text: ' unread' }));
}
