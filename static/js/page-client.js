// The page's chat client: the project's client library (docs/client.md), configured for this page. The
// session is kept in localStorage and the unsent messages in this tab's sessionStorage, under the keys the
// page has always used (`chat.session`, `chat.device`: { name, token, sessionId? }; `chat.outbox.<name>`),
// so that a browser signed in before the page moved onto the library stays signed in.
import { createChatClient, memoryStore, webStore } from './lib/chat-client/index.js';

/** The prefix of every key the page keeps in web storage. */
const PREFIX = 'chat.';
/** The key of the session in localStorage (another tab signing in or out changes it). */
export const SESSION_KEY = `${PREFIX}session`;

/**
 * Socket.IO's options for this page. The socket's path is `socket.io/` beside the page (`baseURI`), as its other
 * URLs are: `/socket.io/` at the root, `/chat/socket.io/` when served under /chat/ (BASE_PATH=/chat).
 * `?transport=polling` (or `websocket`) pins the transport, e.g. to check that the chat works behind a proxy
 * that blocks WebSocket.
 */
function connectionOptions() {
  const pinned = new URLSearchParams(location.search).get('transport');
  return {
    io: window.io,
    path: new URL('socket.io/', document.baseURI).pathname,
    ...((pinned === 'polling' || pinned === 'websocket') && { socket: { transports: [pinned] } }),
  };
}

/** `webStore` over the storage `get` returns; memory where the browser blocks web storage (reading it throws). */
function webStoreOf(get) {
  try {
    return webStore(get(), PREFIX);
  } catch (err) {
    console.warn('web storage is unavailable; nothing will survive a reload', err);
    return memoryStore();
  }
}

/** The page's client; `token`: JWT mode's token source (host-auth.js). */
export function createPageClient({ token } = {}) {
  return createChatClient({
    ...connectionOptions(),
    sessionStore: webStoreOf(() => localStorage),
    outboxStore: webStoreOf(() => sessionStorage),
    ...(token && { token }),
  });
}

/** A client that keeps nothing, for a moment's errand beside the page's own (signin.js). */
export function createErrandClient() {
  return createChatClient({ ...connectionOptions(), sessionStore: memoryStore() });
}
