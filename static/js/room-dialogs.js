// The two room dialogs: creating a room (public or private), and browsing the rooms to join one.
import { h } from './dom.js';
import { roomAvatar } from './rooms.js';

/**
 * `onCreated(res)` and `onJoined(res)` get the ack of `createRoom` / `joinRoom`; `onOpen(name)` opens a room the
 * user is already in. Native <dialog>s: Escape closes them and the focus comes back to the button that opened them.
 */
export function wireRoomDialogs(els, { client, onCreated, onJoined, onOpen }) {
  for (const dialog of [els.create, els.browse]) {
    for (const button of dialog.querySelectorAll('[data-close]')) button.addEventListener('click', () => dialog.close());
  }

  els.newRoom.addEventListener('click', () => {
    els.createForm.reset();
    els.createError.textContent = '';
    els.create.showModal();
  });
  els.createForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = els.roomName.value.trim();
    if (!name) {
      els.createError.textContent = 'Give the room a name.';
      return;
    }
    const res = await client.createRoom({ name, private: els.roomPrivate.checked });
    if (!res.ok) {
      els.createError.textContent = res.error.message;
      els.roomName.setAttribute('aria-invalid', 'true');
      return;
    }
    els.roomName.removeAttribute('aria-invalid');
    els.create.close();
    onCreated(res);
  });

  let after;
  const load = async (fresh) => {
    if (fresh) after = undefined;
    const res = await client.rooms(after === undefined ? {} : { after });
    els.browseError.textContent = res.ok ? '' : res.error.message;
    if (!res.ok) return;
    const items = res.rooms.map((room) => roomItem(room));
    if (fresh) els.browseList.replaceChildren(...items);
    else els.browseList.append(...items);
    after = res.rooms.at(-1)?.name;
    els.browseMore.hidden = !res.hasMore;
    els.browseEmpty.hidden = els.browseList.children.length > 0;
  };
  const roomItem = (room) => {
    const action = room.member
      ? h('button', { className: 'ghost', text: 'Open', attrs: { type: 'button' }, on: { click: () => (els.browse.close(), onOpen(room.name)) } })
      : h('button', { className: 'primary', text: 'Join', attrs: { type: 'button', 'aria-label': `Join ${room.name}` }, on: { click: () => void join(room.name) } });
    return h(
      'li',
      { className: 'browse-room', dataset: { room: room.name } },
      roomAvatar(room.private),
      h('span', { className: 'conv-name', text: room.name, attrs: { dir: 'auto' } }),
      h('span', { className: 'muted', text: `${room.members} member${room.members === 1 ? '' : 's'}` }),
      action,
    );
  };
  const join = async (name) => {
    const res = await client.joinRoom(name);
    if (!res.ok) {
      els.browseError.textContent = res.error.message;
      return;
    }
    els.browse.close();
    onJoined(res);
  };
  els.browseRooms.addEventListener('click', () => {
    els.browseList.replaceChildren();
    els.browseEmpty.hidden = true;
    els.browse.showModal();
    void load(true);
  });
  els.browseMore.addEventListener('click', () => void load(false));
}
