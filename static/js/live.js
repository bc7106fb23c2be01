// What the client library hands over, into the page: messages (each once: live, from the catch-up, or the ack
// of a send), the log's other entries (room membership, edits, deletions), the server's notices, presence,
// typing, new display names, read marks from the user's other tabs and devices, and `reset`.
import { PUBLIC, privateKey } from './conversation.js';
import { nameKey } from './dom.js';
import { reloadAfterReset } from './history.js';

/**
 * `roomChanged(change)`: room-ui.js. `showChat(user)`: the signed-in user's names changed. Returns `reset()`,
 * for a log-out: the next welcome is shown again.
 */
export function wireLive({ client, chat, view, people, typing, pending, readMarks, roomChanged, showChat }) {
  /** The server welcomes every login; after a reconnection that is noise (the connection bar says it). */
  let welcomed = false;

  client.on('message', (message) => {
    if (!chat.me) return; // anonymous, on the sign-in screen
    chat.receive(message, pending);
    if (chat.conversationFor(message) === chat.active) readMarks.markActive();
  });

  client.on('change', (change) => {
    if (!chat.me) return;
    if (change.type === 'member') roomChanged(change);
    else chat.applyMessageChange(change);
  });

  client.on('reset', () => chat.me && void reloadAfterReset(chat, client));
  client.on('read', (mark) => chat.me && readMarks.applyEvent(mark));

  client.on('notice', (notice) => {
    if (!chat.me) return;
    if (notice.type === 'welcome') {
      if (welcomed) return;
      welcomed = true;
    }
    // "alice joined", told to alice herself right after her welcome, says nothing new.
    if (notice.names?.length === 1 && nameKey(notice.names[0]) === chat.me.key) return;
    view.append(chat.public, () => chat.public.addNotice(notice));
  });

  // The server's error notices concern what the reader just did, so they go where the reader is. Errors while
  // not connected or catching up (a refused handshake, a catch-up tried again) are the library's to handle.
  client.on('error', (error) => {
    if (!client.socket.connected) return; // auth-flow.js
    if (!chat.me || !client.caughtUp) return console.warn('chat:', error.code, error.message);
    const conv = chat.active;
    view.append(conv, () => conv.addNotice({ type: 'error', text: error.message, ts: Date.now() }));
  });

  // Changes come batched: everyone who came or went in the server's last presence window.
  client.on('presence', ({ users }) => {
    if (!chat.me) return;
    people.setOnline(users);
    if (chat.active.peer !== undefined) view.setSubtitle(chat.subtitle(chat.active));
  });

  client.on('typing', ({ from, fromName, to }) => {
    if (!chat.me) return;
    typing.show(to === undefined ? PUBLIC : privateKey(from), from, fromName);
  });

  // Someone's names changed (docs/protocol.md, `profile`); a new handle comes with the former one.
  client.on('profileChanged', (change) => {
    if (!chat.me) return;
    people.rename(change);
    const mine = [change.name, change.formerName].some((name) => name !== undefined && nameKey(name) === chat.me.key);
    if (mine) showChat(change);
  });

  client.on('status', ({ status }) => status !== 'connected' && typing.clearAll());

  return {
    reset() {
      welcomed = false;
    },
  };
}
