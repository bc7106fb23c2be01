// The open room's tools: its member list (with Remove for the owner), inviting someone by name, leaving.
import { h, hueClass, initial, nameKey } from './dom.js';

/** A second click within this long confirms leaving. */
const CONFIRM_MS = 4000;

export class RoomPanel {
  /**
   * `onChange(res, action, user)`: a change made here was acked (`res`); the connection that makes a change is
   * not sent its `roomMember`, so the page applies it from the ack.
   */
  constructor(els, { client, chat, onChange }) {
    this.els = els;
    this.client = client;
    this.chat = chat;
    this.onChange = onChange;
    this.conv = undefined;
    this.after = undefined;
    els.toggle.addEventListener('click', () => (els.panel.hidden ? this.#open() : this.#close()));
    els.more.addEventListener('click', () => void this.#load(false));
    els.inviteForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#invite();
    });
    els.leave.addEventListener('click', () => void this.#leave());
  }

  /** The conversation now open: the tools show for a room, and the panel closes. */
  show(conv) {
    this.conv = conv;
    this.els.tools.hidden = conv.room === undefined;
    this.#close();
    this.#resetLeave();
  }

  /** A membership change of `conv`'s room: the open list follows it. */
  changed(conv) {
    if (conv === this.conv && !this.els.panel.hidden) void this.#load(true);
  }

  #open() {
    this.els.panel.hidden = false;
    this.els.toggle.setAttribute('aria-expanded', 'true');
    void this.#load(true);
    this.els.invite.focus();
  }

  #close() {
    this.els.panel.hidden = true;
    this.els.toggle.setAttribute('aria-expanded', 'false');
    this.els.error.textContent = '';
  }

  /** The first page of members (`fresh`), or the next one. */
  async #load(fresh) {
    const conv = this.conv;
    if (fresh) this.after = undefined;
    const res = await this.client.members({ room: conv.room.name, ...(this.after !== undefined && { after: this.after }) });
    if (conv !== this.conv) return;
    if (!res.ok) {
      this.els.error.textContent = res.error.message;
      return;
    }
    const items = res.members.map((member) => this.#memberEl(member));
    if (fresh) this.els.list.replaceChildren(...items);
    else this.els.list.append(...items);
    this.after = res.members.at(-1)?.name;
    this.els.more.hidden = !res.hasMore;
  }

  #memberEl({ name, online }) {
    const { room } = this.conv;
    const me = this.chat.me;
    const mayRemove = me && nameKey(room.owner) === me.key && nameKey(name) !== me.key;
    return h(
      'li',
      { className: 'member', dataset: { name, online: String(online) } },
      h('span', { className: `avatar ${hueClass(name)}`, text: initial(name), attrs: { 'aria-hidden': 'true' } }, h('span', { className: 'presence' })),
      h('span', { className: 'conv-name', text: name, attrs: { dir: 'auto' } }),
      h('span', { className: 'visually-hidden', text: online ? ', online' : ', offline' }),
      nameKey(name) === nameKey(room.owner) ? h('span', { className: 'owner-tag', text: 'owner' }) : null,
      mayRemove ? h('button', { className: 'link', text: 'Remove', attrs: { type: 'button', 'aria-label': `Remove ${name}` }, on: { click: () => void this.#remove(name) } }) : null,
    );
  }

  async #invite() {
    const conv = this.conv;
    const name = this.els.invite.value.trim();
    if (!name) return;
    const res = await this.client.invite(conv.room.name, name);
    if (conv !== this.conv) return;
    this.els.error.textContent = res.ok ? '' : res.error.message;
    if (!res.ok) return;
    this.els.invite.value = '';
    this.onChange(res, 'invite', name);
    void this.#load(true);
  }

  async #remove(name) {
    const conv = this.conv;
    const res = await this.client.removeMember(conv.room.name, name);
    if (conv !== this.conv) return;
    this.els.error.textContent = res.ok ? '' : res.error.message;
    if (!res.ok) return;
    this.onChange(res, 'remove', name);
    void this.#load(true);
  }

  /** Leaving takes two clicks: a private room cannot be joined again without an invitation. */
  async #leave() {
    const { leave } = this.els;
    if (leave.dataset.confirm !== 'true') {
      leave.dataset.confirm = 'true';
      leave.textContent = 'Really leave?';
      this.leaveTimer = setTimeout(() => this.#resetLeave(), CONFIRM_MS);
      return;
    }
    this.#resetLeave();
    const conv = this.conv;
    const res = await this.client.leaveRoom(conv.room.name);
    if (res.ok) this.onChange(res, 'leave', this.chat.me.name);
    else this.els.error.textContent = res.error.message;
  }

  #resetLeave() {
    clearTimeout(this.leaveTimer);
    delete this.els.leave.dataset.confirm;
    this.els.leave.textContent = 'Leave';
  }
}
