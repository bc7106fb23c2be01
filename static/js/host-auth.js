// JWT mode (docs/auth.md): the chat belongs to a host application that signs a short-lived token for its
// signed-in user. The page asks the host for tokens (JWT_TOKEN_URL, with the browser's cookies for the host);
// the client library presents one at every handshake and fetches the next before the current one expires.

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

/** The host's tokens, for the library's `token` option; `problem` is why the latest fetch failed, if it did. */
export class HostTokens {
  constructor(tokenUrl) {
    this.tokenUrl = tokenUrl;
    this.problem = undefined;
    this.fetch = () => this.#fetch().then(
      (token) => {
        this.problem = undefined;
        return token;
      },
      (err) => {
        this.problem = err;
        throw err;
      },
    );
  }

  /** What to tell the person about `problem` (401: not signed in at the host). */
  explain() {
    const err = this.problem;
    return err.status === 401 ? 'Sign in to your account on the host site first, then reload this page.' : `Could not get a sign-in token: ${err.message}.`;
  }

  /** A fresh token from the host, or an Error whose `status` says why. */
  async #fetch() {
    if (!this.tokenUrl) throw Object.assign(new Error('no JWT_TOKEN_URL is configured'), { status: 0 });
    const res = await fetch(this.tokenUrl, { credentials: 'include', cache: 'no-store' });
    if (!res.ok) throw Object.assign(new Error(`the host answered ${res.status}`), { status: res.status });
    const { token } = await res.json();
    if (typeof token !== 'string') throw Object.assign(new Error('the host sent no token'), { status: res.status });
    return token;
  }
}
