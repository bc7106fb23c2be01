// What follows a login (the library's `session`, on every connection of a signed-in page) and each catch-up
// (`synced`): the people with their online state, the user's rooms, the open conversation's newest page when
// it has none yet, and the unread counts as the server has them.
import { nameKey } from './dom.js';
import { loadLatest } from './history.js';

export function wireSignedIn({ client, chat, view, people, readMarks, loadRooms }) {
  client.on('session', (info) => {
    people.reset(info.user.name, info.online.map((online) => ({ name: online, online: true })));
    chat.renderUnread();
    void refreshUsers();
  });

  client.on('synced', async () => {
    if (!chat.me) return;
    const generation = chat.generation;
    // The rooms and the unread counts as the server has them (after the catch-up: they override what it counted).
    await loadRooms();
    if (generation !== chat.generation) return;
    if (!chat.active.loaded) void loadLatest(chat, client, chat.active).then(() => readMarks.markActive());
    void readMarks.refresh();
  });

  async function refreshUsers() {
    const res = await client.users();
    if (!res.ok) return console.warn('could not list users', res.error);
    // The first page of everyone, by name; people online beyond it (from the login's list and `presence`) stay.
    const listed = new Set(res.users.map((u) => nameKey(u.name)));
    const beyond = people.onlineNames().filter((name) => !listed.has(nameKey(name)));
    people.reset(chat.me?.name, [...res.users, ...beyond.map((name) => ({ name, online: true }))]);
    chat.renderUnread();
    view.setSubtitle(chat.subtitle(chat.active));
  }
}
