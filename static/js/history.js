// Loading what the reader has not seen: the newest page of a conversation when it is first opened, older
// pages when scrolling up (`history` with `before`), and after every (re)connection everything newer than the
// last id seen (`sync`, issue 4: messages and room membership changes). Overlaps with live messages are
// harmless: conversations dedupe by id, and changes by seq.
import { target } from './conversation.js';
import { request } from './request.js';

const PAGE_SIZE = 50;
/** `sync` is cheap for the server; a slow answer means trouble, so fall back to `history` sooner. */
const SYNC_TIMEOUT_MS = 5000;

function historyPayload(conv, before) {
  const payload = { limit: PAGE_SIZE, ...target(conv) };
  if (before !== undefined) payload.before = before;
  return payload;
}

/** Loads the newest page of `conv`. */
export async function loadLatest(chat, socket, conv) {
  if (conv.loading) return;
  const generation = chat.generation;
  conv.loading = true;
  chat.view.updateEdge(conv);
  const res = await request(socket, 'history', historyPayload(conv));
  conv.loading = false;
  if (generation !== chat.generation) return;
  if (!res.ok) {
    chat.view.updateEdge(conv);
    conv.addNotice({ type: 'error', text: `Could not load the history: ${res.error.message}`, ts: Date.now() });
    return;
  }
  // If this page does not reach back to what we hold, messages in between may be missing: start afresh.
  const oldest = res.messages[0]?.id;
  if (conv.loaded && res.hasMore && oldest !== undefined && oldest > conv.maxId) conv.clear();
  if (!conv.loaded) conv.hasMore = res.hasMore;
  conv.loaded = true;
  chat.view.append(conv, () => {
    for (const message of res.messages) {
      chat.noteId(message.id);
      conv.add(message, chat.isMine(message));
    }
  });
  chat.view.updateEdge(conv);
  fillScreen(chat, socket, conv);
}

/** Loads the page before the oldest message held, keeping the reader's place. */
export async function loadOlder(chat, socket, conv) {
  if (!conv || conv.loading || !conv.loaded || !conv.hasMore) return;
  const generation = chat.generation;
  conv.loading = true;
  chat.view.updateEdge(conv);
  const res = await request(socket, 'history', historyPayload(conv, conv.minId));
  conv.loading = false;
  if (generation !== chat.generation) return;
  if (res.ok) {
    conv.hasMore = res.hasMore;
    chat.view.prepend(conv, () => {
      for (const message of res.messages) conv.add(message, chat.isMine(message));
    });
  } else {
    console.warn('could not load older messages', res.error);
  }
  chat.view.updateEdge(conv);
  if (res.ok) fillScreen(chat, socket, conv);
}

/** While the open conversation does not fill the screen, keep loading older pages. */
function fillScreen(chat, socket, conv) {
  if (conv === chat.active && conv.hasMore && chat.view.nearTop()) void loadOlder(chat, socket, conv);
}

/**
 * After a (re)login: brings every conversation up to date. First time: the newest public page (and the open
 * conversation's). Afterwards: `sync` from the last id seen, page after page; `reset` means we are too far
 * behind and start again from `history`. If `sync` fails (e.g. an older server without it), the newest pages
 * of the loaded conversations are reloaded instead.
 */
export async function catchUp(chat, socket, outbox) {
  const generation = chat.generation;
  const done = () => generation === chat.generation && socket.connected && chat.markCaughtUp();
  if (!chat.public.loaded || chat.cursor === 0) return reloadOpen(chat, socket).then(done);
  let after = chat.cursor;
  for (;;) {
    const res = await request(socket, 'sync', { after }, SYNC_TIMEOUT_MS);
    if (generation !== chat.generation) return;
    if (!res.ok) {
      console.warn('sync failed; reloading the newest history instead', res.error);
      return Promise.all([...chat.conversations.values()].filter((c) => c.loaded).map((c) => loadLatest(chat, socket, c)));
    }
    if (res.reset) {
      chat.clearMessages();
      return reloadOpen(chat, socket).then(done);
    }
    // Messages and membership changes are one log: applied in its order (id and seq are one sequence).
    const apply = (c) => (c.type === 'member' ? chat.applyChange(c) : chat.applyMessageChange(c));
    const entries = [...res.messages.map((m) => [m.id, () => chat.receive(m, outbox)]), ...res.changes.map((c) => [c.seq, () => apply(c)])];
    entries.sort(([a], [b]) => a - b);
    for (const [, apply] of entries) apply();
    if (!res.hasMore || entries.length === 0) return done();
    after = entries[entries.length - 1][0];
  }
}

function reloadOpen(chat, socket) {
  const loads = [loadLatest(chat, socket, chat.public)];
  if (chat.active !== chat.public) loads.push(loadLatest(chat, socket, chat.active));
  return Promise.all(loads);
}
