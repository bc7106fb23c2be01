// Loading what the reader has not seen yet of a conversation: its newest page when it is first opened, older
// pages when scrolling up (`history` with `before`), and the open ones again after the library's `reset`.
// Catching up after a reconnection is the client library's (`sync`); overlaps with what it hands over are
// harmless, since conversations dedupe by id.
import { target } from './conversation.js';

const PAGE_SIZE = 50;

function historyQuery(conv, before) {
  return { limit: PAGE_SIZE, ...target(conv), ...(before !== undefined && { before }) };
}

/** Loads the newest page of `conv`. */
export async function loadLatest(chat, client, conv) {
  if (conv.loading) return;
  const generation = chat.generation;
  conv.loading = true;
  chat.view.updateEdge(conv);
  const res = await client.history(historyQuery(conv));
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
    for (const message of res.messages) conv.add(message, chat.isMine(message));
  });
  chat.view.updateEdge(conv);
  fillScreen(chat, client, conv);
}

/** Loads the page before the oldest message held, keeping the reader's place. */
export async function loadOlder(chat, client, conv) {
  if (!conv || conv.loading || !conv.loaded || !conv.hasMore) return;
  const generation = chat.generation;
  conv.loading = true;
  chat.view.updateEdge(conv);
  const res = await client.history(historyQuery(conv, conv.minId));
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
  if (res.ok) fillScreen(chat, client, conv);
}

/** While the open conversation does not fill the screen, keep loading older pages. */
function fillScreen(chat, client, conv) {
  if (conv === chat.active && conv.hasMore && chat.view.nearTop()) void loadOlder(chat, client, conv);
}

/** The library's `reset` (the client fell behind the server's retention): everything again from `history`. */
export function reloadAfterReset(chat, client) {
  chat.clearMessages();
  const loads = [loadLatest(chat, client, chat.public)];
  if (chat.active !== chat.public) loads.push(loadLatest(chat, client, chat.active));
  return Promise.all(loads);
}
