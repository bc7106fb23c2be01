// The rooms part of the page, on the client library: the New room and Browse dialogs, the open room's panel,
// the sidebar's list of rooms as the server has it, and membership changes as they come.
import { byId, nameKey } from './dom.js';
import { wireRoomDialogs } from './room-dialogs.js';
import { RoomPanel } from './room-panel.js';

/** `open(conv)` opens a conversation (main.js). Returns what main.js calls at login and on a membership change. */
export function startRooms(client, chat, { view, open }) {
  /**
   * A change this connection made, from its ack (the server tells the others with `roomMember`, never the
   * connection that made it). `res.seq` is absent when nothing changed.
   */
  const ownChange = (res, action, user = chat.me.name) => {
    const me = chat.me.name;
    const seq = res.seq ?? (action === 'leave' ? 0 : undefined); // leaving a room one was not in: gone all the same
    if (seq !== undefined) chat.applyChange({ seq, room: res.room.name, private: res.room.private, user, action, by: me, ts: Date.now() });
    roomPanel.changed(chat.roomConversation(res.room.name));
  };

  const roomPanel = new RoomPanel(
    {
      tools: byId('room-tools'),
      toggle: byId('room-members'),
      leave: byId('room-leave'),
      panel: byId('room-panel'),
      inviteForm: byId('invite-form'),
      invite: byId('invite-name'),
      error: byId('room-panel-error'),
      list: byId('member-list'),
      more: byId('more-members'),
    },
    { client, chat, onChange: ownChange },
  );

  /** The rooms the user is a member of, every page of them, with what the sidebar and headers show. */
  const loadRooms = async () => {
    const generation = chat.generation;
    const all = [];
    for (let after; ; ) {
      const res = await client.rooms(after === undefined ? { mine: true } : { mine: true, after });
      if (generation !== chat.generation) return;
      if (!res.ok) return console.warn('could not list the rooms', res.error);
      all.push(...res.rooms);
      if (!res.hasMore || res.rooms.length === 0) break;
      after = res.rooms[res.rooms.length - 1].name;
    }
    chat.setRooms(all);
    view.setSubtitle(chat.subtitle(chat.active));
  };

  wireRoomDialogs(
    {
      newRoom: byId('new-room'),
      browseRooms: byId('browse-rooms'),
      create: byId('create-room'),
      createForm: byId('create-room-form'),
      roomName: byId('room-name'),
      roomPrivate: byId('room-private'),
      createError: byId('room-error'),
      browse: byId('browse'),
      browseList: byId('browse-list'),
      browseEmpty: byId('browse-empty'),
      browseError: byId('browse-error'),
      browseMore: byId('browse-more'),
    },
    {
      client,
      onCreated(res) {
        chat.roomConversation(res.room.name, { ...res.room, members: 0 });
        ownChange(res, 'create');
        open(chat.roomConversation(res.room.name));
      },
      onJoined(res) {
        chat.roomConversation(res.room.name, res.room);
        ownChange(res, 'join');
        open(chat.roomConversation(res.room.name));
        void loadRooms(); // the member count, as the server has it
      },
      onOpen: (name) => open(chat.roomConversation(name)),
    },
  );

  /** A membership change (`change` of type `member`: live, or from the catch-up). */
  const roomChanged = (change) => {
    chat.applyChange(change);
    roomPanel.changed(chat.roomConversation(change.room));
    // Added to a room by someone else: what the header shows of it (owner, members) as the server has it.
    if (nameKey(change.user) === chat.me.key && change.action === 'invite') void loadRooms();
  };

  return { roomPanel, loadRooms, roomChanged };
}
