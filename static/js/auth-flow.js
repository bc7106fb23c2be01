// Who the page is signed in as, on the client library: the kept session at start (the chat shows at once, the
// library logs in with the handshake), the name form, Continue and codes (`loginWith`), Log out, the library's
// `signedOut` (a kept sign-in refused, a session ended from another device), the host's sign-in in JWT mode,
// and the other tabs of this browser, which follow one another's sign-in and sign-out.
import { byId, nameKey } from './dom.js';
import { explainLoginError } from './login-form.js';
import { SESSION_KEY } from './page-client.js';

const SIGNED_OUT_TEXT = {
  logout: () => '',
  session_ended: () => 'This browser was signed out from another device. Sign in again with a code, or pick a name.',
  refused: (name) => `You were signed out: the saved sign-in${name ? ` for “${name}”` : ''} is no longer valid. Pick a name, or use a sign-in code.`,
};

/**
 * `resetLocal()` forgets this tab's user and what it showed; `composer`: the message box, focused once in;
 * `hostTokens`: JWT mode's HostTokens, else undefined. Returns `loginWith(credentials)`, the page's one way to
 * log in on the live connection, and `login(name)`, the name form's.
 */
export function startAuth({ client, chat, screens, hostTokens, resetLocal, composer }) {
  /** Logs in on the live connection (after waiting for one), resolving with the `login` answer. */
  const loginWith = async (credentials) => {
    if (!client.socket.connected) {
      const connected = await client.connect();
      if (!connected.ok) return connected;
    }
    return client.login(credentials);
  };

  client.on('session', (info) => {
    if (chat.me && chat.me.key !== nameKey(info.user.name)) resetLocal(); // someone else now (another tab)
    screens.showChat(info.user);
  });

  client.on('signedOut', (reason) => {
    const name = chat.me?.name;
    resetLocal();
    screens.showLogin(SIGNED_OUT_TEXT[reason](name));
  });

  // A handshake turned down. JWT mode: one without a token (the host gave none), or whose token was turned down,
  // says so; the library connects anonymously meanwhile, or tries again. (Errors on a live connection, a failed
  // token refresh among them, are live.js's.) Open mode: the library signs a refused kept session out
  // (`signedOut`) or tries again (the status bar counts down).
  client.on('error', (error) => {
    if (client.socket.connected) return;
    if (hostTokens) screens.showLogin(hostTokens.problem ? hostTokens.explain() : `Could not sign in: ${error.message}`);
    else console.warn('chat: the connection was not let in:', error.message);
  });

  // The name form: the name with this browser's key to it, if it holds one (issue 21); the library adds the key.
  const login = async (name) => {
    const device = client.device;
    const res = await loginWith({ username: name });
    if (res.ok) return composer.focus();
    // The browser's key opens nothing any more (the name passed to someone else): forget it.
    if (device && nameKey(device.name) === nameKey(name) && res.error.code === 'username_taken') await client.logout({ forget: true });
    screens.showLogin(explainLoginError(res.error, name));
  };

  byId('logout').addEventListener('click', () => {
    // The name stays this user's, and this browser keeps its key to it: logging in again with the same name is
    // the same person with the same conversations (issue 21). Giving the name up is under Account, and asks.
    void client.logout();
  });

  // Another tab signed in or out: this one follows, on a new connection whose handshake presents what that tab
  // left in localStorage (the library reads it there). Nothing is written here: that tab's change stands.
  window.addEventListener('storage', (event) => {
    if (event.key !== SESSION_KEY && event.key !== null) return;
    const next = client.keptSession;
    if (next && chat.me && nameKey(next.name) === chat.me.key) return;
    resetLocal();
    if (next) screens.showChat(next);
    else screens.showLogin('');
    client.socket.disconnect().connect();
  });

  return { loginWith, login };
}

/** Shows the first screen and connects: the kept session's chat, the host's sign-in, or the sign-in screen. */
export function startScreens({ client, screens, signIn, hostMode, code }) {
  const kept = hostMode ? undefined : client.keptSession;
  if (hostMode) screens.showLogin('Signing in with your account…');
  else if (kept) screens.showChat(kept);
  else screens.showLogin('');
  void client.connect();
  // A sign-in link from another device: used at once, unless this browser is signed in already.
  if (code !== undefined && !kept) void signIn.redeem(code);
  else if (code !== undefined) console.warn('a sign-in link was opened in a browser that is signed in already; ignored');
}
