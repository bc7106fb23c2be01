// JWT mode (docs/auth.md): the chat belongs to a host application that signs a short-lived token for its
// logged-in user. The page asks the host for a token (JWT_TOKEN_URL, with the browser's cookies for the host),
// logs in with it in the handshake, and logs in again with a fresh one before it expires.

/** What the server says about signing in: { auth: 'open' } or { auth: 'jwt', tokenUrl }. */
export async function loadServerConfig() {
  try {
    const res = await fetch('api/config');
    if (res.ok) return await res.json();
  } catch (err) {
    console.warn('could not read the server configuration; assuming the open mode', err);
  }
  return { auth: 'open' };
}

/** How long before a token expires the page asks for the next one (at most half its lifetime). */
const REFRESH_AHEAD_MS = 30_000;

export class HostTokens {
  /** `onRefresh(token)`: a fresh token to log in with on the live connection. */
  constructor(tokenUrl, { onRefresh }) {
    this.tokenUrl = tokenUrl;
    this.onRefresh = onRefresh;
    this.timer = undefined;
  }

  /** A fresh token from the host, or an Error whose `status` says why (401: not signed in at the host). */
  async fetch() {
    if (!this.tokenUrl) throw Object.assign(new Error('no JWT_TOKEN_URL is configured'), { status: 0 });
    const res = await fetch(this.tokenUrl, { credentials: 'include', cache: 'no-store' });
    if (!res.ok) throw Object.assign(new Error(`the host answered ${res.status}`), { status: res.status });
    const { token } = await res.json();
    if (typeof token !== 'string') throw Object.assign(new Error('the host sent no token'), { status: res.status });
    this.#schedule(token);
    return token;
  }

  stop() {
    clearTimeout(this.timer);
  }

  /** Asks for the next token shortly before `token` expires (read from its payload; the server verifies it). */
  #schedule(token) {
    clearTimeout(this.timer);
    const exp = expiryOf(token);
    if (exp === undefined) return;
    const lifetime = exp - Date.now();
    const wait = Math.max(1000, lifetime - Math.min(REFRESH_AHEAD_MS, lifetime / 2));
    this.timer = setTimeout(() => {
      this.fetch().then(this.onRefresh, (err) => console.warn('could not refresh the sign-in token', err));
    }, wait);
  }
}

function expiryOf(token) {
  try {
    const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return typeof payload.exp === 'number' ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
