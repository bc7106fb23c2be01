// The chat page: wires the socket to the screens. Protocol: docs/protocol.md (events, acks and error codes).
import { Chat } from './chat.js';
import { wireComposer } from './composer.js';
import { socketOptions, watchConnection } from './connection.js';
import { PUBLIC, privateKey } from './conversation.js';
import { byId, hueClass, initial, nameKey } from './dom.js';
import { catchUp, loadLatest, loadOlder } from './history.js';
import { HostTokens, loadServerConfig } from './host-auth.js';
import { explainLoginError, LoginForm } from './login-form.js';
import { Outbox } from './outbox.js';
import { People } from './people.js';
import { Receipts } from './receipts.js';
import { request } from './request.js';
import { forgetSession, loadSession, onSessionChangedElsewhere, saveSession } from './session.js';
import { TypingIndicator, typingSender } from './typing.js';
import { ConversationView } from './view.js';

/** How long a refused handshake waits before it is tried again, unless the server said (rate_limited). */
const LOGIN_RETRY_MS = 3000;
/** Added to the server's retryAfterMs, so that the retry does not land a hair before the limit's window ends. */
const RETRY_MARGIN_MS = 250;

const els = {
  chatView: byId('chat-view'),
  account: byId('account'),
  meName: byId('me-name'),
  meAvatar: byId('me-avatar'),
  logout: byId('logout'),
  composer: byId('composer-text'),
  openPublic: byId('open-public'),
};

/** How this server signs users in: { auth: 'open' } or { auth: 'jwt', tokenUrl } (docs/auth.md). */
const serverConfig = await loadServerConfig();
const hostMode = serverConfig.auth === 'jwt';

/** { name, token } from localStorage (open mode): who to log in as after every (re)connection. */
let session = hostMode ? null : loadSession();

/** JWT mode: tokens from the host application, refreshed on the live connection before they expire. */
const hostTokens = hostMode
  ? new HostTokens(serverConfig.tokenUrl, { onRefresh: (token) => void request(socket, 'login', { token }) })
  : undefined;

// The handshake carries the saved session, or in JWT mode a fresh token from the host (docs/protocol.md, "Login
// in the handshake"): a reconnecting page is logged in before any of its packets is handled, so messages sent
// on reconnection are never refused.
const socket = io({
  ...socketOptions(location.search, document.baseURI),
  auth: (send) => {
    if (!hostMode) return send(session ? { username: session.name, token: session.token } : {});
    hostTokens.fetch().then(
      (token) => send({ token }),
      (err) => {
        showLogin(err.status === 401 ? 'Sign in to your account on the host site first, then reload this page.' : `Could not get a sign-in token: ${err.message}.`);
        send({}); // an anonymous connection meanwhile
      },
    );
  },
});
const connection = watchConnection(socket, { status: byId('connection'), text: byId('connection-text'), reconnect: byId('reconnect') });

const view = new ConversationView(
  {
    scroller: byId('scroller'),
    slot: byId('conversation-slot'),
    title: byId('conversation-title'),
    subtitle: byId('conversation-subtitle'),
    loadOlder: byId('load-older'),
    historyStart: byId('history-start'),
    jump: byId('jump'),
    composer: els.composer,
    composerLabel: byId('composer-label'),
  },
  { onNearTop: (conv) => ready && void loadOlder(chat, socket, conv) },
);
const typing = new TypingIndicator(byId('typing'));
const people = new People(byId('people'), byId('people-empty'), { onOpen: (name) => openConversation(chat.conversationWith(name)) });
const chat = new Chat({ view, people, typing, publicButton: els.openPublic, publicBadge: byId('public-unread') });

/** Connected and logged in on the current connection: sends may go out. */
let ready = false;
/** The server welcomes every login; after a reconnection that is noise (the connection badge says it). */
let welcomed = false;

const outbox = new Outbox(socket, {
  isReady: () => ready,
  onSent: (entry, message, echoId) => chat.sent(entry.conv, message, echoId),
  onAdoptionUndone: (entry, echoId) => entry.conv.setStatus(echoId, null),
});
const typingNotifier = typingSender(socket, () => ready);
const receipts = new Receipts(socket);

// ---- screens --------------------------------------------------------------------------------------------

const loginForm = new LoginForm(
  { view: byId('login-view'), form: byId('login-form'), name: byId('login-name'), error: byId('login-error'), submit: byId('login-submit') },
  { onSubmit: (name) => login(name) },
);

function showLogin(message) {
  els.chatView.hidden = true;
  els.account.hidden = true;
  if (!hostMode) return loginForm.show(message);
  const status = byId('host-signin');
  status.textContent = message;
  status.hidden = false;
  byId('login-view').hidden = false;
}

/** Shows the chat for `name`; before the login ack too, so a reload does not flash the login screen. */
function showChat(name) {
  chat.me = { name, key: nameKey(name) };
  els.meName.textContent = name;
  els.meAvatar.textContent = initial(name);
  els.meAvatar.className = `avatar ${hueClass(name)}`;
  loginForm.hide();
  els.account.hidden = false;
  els.chatView.hidden = false;
}

function openConversation(conv, focus = true) {
  chat.open(conv);
  if (ready && !conv.loaded) void loadLatest(chat, socket, conv);
  if (focus) els.composer.focus();
}

// ---- logging in and out ---------------------------------------------------------------------------------

/** The first login of a name, from the login form (later connections log in with the handshake). */
async function login(name) {
  const generation = chat.generation;
  const res = await request(socket, 'login', { username: name });
  if (generation !== chat.generation) return; // logged out meanwhile
  if (!res.ok) return showLogin(explainLoginError(res.error, name));
  await started(res);
  els.composer.focus();
}

/** Logged in on this connection, by a `login` ack or by the handshake's `session` event. */
async function started(info) {
  const generation = chat.generation;
  session = { name: info.user.name, token: info.token ?? session?.token };
  if (!hostMode) saveSession(session);
  showChat(info.user.name);
  ready = true;
  people.reset(info.user.name, info.online.map((online) => ({ name: online, online: true })));
  chat.renderUnread();
  outbox.flush();
  void refreshUsers();
  await catchUp(chat, socket, outbox);
  if (generation === chat.generation && !chat.active.loaded) void loadLatest(chat, socket, chat.active);
}

/** The handshake was refused: a saved sign-in that no longer opens its name signs out; the rest is retried. */
function handshakeRefused(error) {
  const code = error.data?.code;
  if (hostMode && code !== undefined) {
    // The host's token was refused (expired meanwhile, or the host signs for someone the chat does not accept).
    showLogin(`Could not sign in: ${error.data.message}`);
    retryHandshake(error.data);
    return;
  }
  if (!session || code === undefined) return; // the network, not the server's answer: Socket.IO retries by itself
  if (code === 'username_taken' || code === 'invalid_username' || code === 'unauthorized') {
    // The saved token no longer opens the name (it expired and someone else took it, or the server was reset).
    const name = session.name;
    signOut();
    showLogin(`You were signed out: the saved sign-in for “${name}” is no longer valid. Pick a name to continue.`);
    return;
  }
  // Rate limited or trouble on the server: a refused handshake is not retried by Socket.IO, so do it here.
  console.warn('the server refused the connection; retrying', error.data);
  retryHandshake(error.data);
}

let handshakeRetry;
/** Connects again once the server allows it: after its retryAfterMs for `rate_limited`, else LOGIN_RETRY_MS. */
function retryHandshake(refusal) {
  const wait = refusal.retryAfterMs;
  const limited = refusal.code === 'rate_limited' && Number.isFinite(wait) && wait > 0;
  const delay = limited ? wait + RETRY_MARGIN_MS : LOGIN_RETRY_MS;
  if (limited) connection.waitUntil(delay);
  clearTimeout(handshakeRetry);
  handshakeRetry = setTimeout(() => !socket.connected && socket.connect(), delay);
}

/** Forgets this tab's user and state, without touching the connection. */
function resetLocal() {
  session = null;
  ready = false;
  welcomed = false;
  outbox.clear();
  chat.reset();
  people.reset(undefined, []);
}

/** A new connection, whose handshake carries whatever `session` is by then. */
function reconnect() {
  socket.disconnect();
  socket.connect();
}

/**
 * Forgets the user in this tab and starts a fresh anonymous connection for the next login. `forget: false`
 * when another tab already changed the stored session (which must then be left alone).
 */
function signOut({ forget = true } = {}) {
  if (forget) forgetSession();
  resetLocal();
  reconnect();
}

async function refreshUsers() {
  const res = await request(socket, 'users', {});
  if (!res.ok) return console.warn('could not list users', res.error);
  // The first page of everyone, by name; people online beyond it (from the login's list and `presence`) stay.
  const listed = new Set(res.users.map((u) => nameKey(u.name)));
  const beyond = people.onlineNames().filter((name) => !listed.has(nameKey(name)));
  people.reset(chat.me?.name, [...res.users, ...beyond.map((name) => ({ name, online: true }))]);
  chat.renderUnread();
  view.setSubtitle(chat.subtitle(chat.active));
}

els.logout.addEventListener('click', async () => {
  // Give the name up on the server first: the token is about to be forgotten, so nobody could use it again.
  if (socket.connected && ready) await request(socket, 'logout', { release: true }, 2000);
  signOut();
  showLogin('');
});

onSessionChangedElsewhere((next) => {
  if (next && session && nameKey(next.name) === nameKey(session.name)) {
    session = next;
    return;
  }
  // Another tab logged out, or in as someone else: this one follows, on a new connection.
  resetLocal();
  session = next;
  if (next) showChat(next.name);
  else showLogin('');
  reconnect();
});

// ---- the connection -------------------------------------------------------------------------------------

socket.on('session', (info) => void started(info));
socket.on('connect_error', handshakeRefused);

socket.on('disconnect', (reason) => {
  ready = false;
  chat.connectionLost();
  // The server ended the session itself (e.g. the name passed to someone else): Socket.IO does not reconnect
  // by itself then, but the page should, to learn where it stands.
  if (reason === 'io server disconnect') socket.connect();
  outbox.suspend();
  typing.clearAll();
});

socket.on('allmessage', (message) => chat.me && chat.receive(message, outbox));
socket.on('privateMsg', (message) => {
  if (!chat.me) return;
  chat.receive(message, outbox);
  if (nameKey(message.to) === chat.me.key) receipts.add(message.id);
});

socket.on('msg1', (notice) => {
  if (!chat.me) return;
  if (notice.type === 'welcome') {
    if (welcomed) return;
    welcomed = true;
  }
  // "alice joined", told to alice herself right after her welcome, says nothing new.
  if (notice.names?.length === 1 && nameKey(notice.names[0]) === chat.me.key) return;
  // Errors concern what the reader just did, so they go where the reader is; the rest to the public timeline.
  const conv = notice.type === 'error' ? chat.active : chat.public;
  view.append(conv, () => conv.addNotice(notice));
});

// Changes come batched: everyone who came or went in the server's last presence window.
socket.on('presence', ({ users }) => {
  if (!chat.me) return;
  people.setOnline(users);
  if (chat.active.peer !== undefined) view.setSubtitle(chat.subtitle(chat.active));
});

socket.on('typing', ({ from, to }) => {
  if (!chat.me) return;
  typing.show(to === undefined ? PUBLIC : privateKey(from), from);
});

// ---- writing --------------------------------------------------------------------------------------------

wireComposer(
  { form: byId('composer'), textarea: els.composer },
  {
    onSend(text) {
      const conv = chat.active;
      view.append(conv, () => outbox.send(conv, text), true);
      typingNotifier.sent(conv);
    },
    onType: () => typingNotifier.notify(chat.active),
  },
);

els.openPublic.addEventListener('click', () => openConversation(chat.public));

// ---- start ----------------------------------------------------------------------------------------------

chat.open(chat.public);
if (hostMode) {
  // Names come from the host application: no name form, no log-out (that is the host's).
  loginForm.hide();
  byId('login-form').hidden = true;
  els.logout.hidden = true;
  showLogin('Signing in with your account…');
} else if (session) showChat(session.name);
else showLogin('');
