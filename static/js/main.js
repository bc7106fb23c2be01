// The chat page: wires the socket to the screens. Protocol: docs/protocol.md (events, acks and error codes).
import { AccountDialog } from './account.js';
import { Chat } from './chat.js';
import { wireComposer } from './composer.js';
import { socketOptions, watchConnection } from './connection.js';
import { PUBLIC, privateKey } from './conversation.js';
import { byId, hueClass, initial, nameKey } from './dom.js';
import { catchUp, loadLatest, loadOlder } from './history.js';
import { HostTokens, loadServerConfig } from './host-auth.js';
import { explainLoginError, LoginForm } from './login-form.js';
import { editLast, wireMessageActions } from './message-actions.js';
import { Outbox } from './outbox.js';
import { People } from './people.js';
import { ReadMarks } from './reads.js';
import { Receipts } from './receipts.js';
import { request } from './request.js';
import { startRooms } from './room-ui.js';
import { Rooms } from './rooms.js';
import { forgetSession, loadSession, onSessionChangedElsewhere, saveSession } from './session.js';
import { codeFromLink, SignIn } from './signin.js';
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
const rooms = new Rooms(byId('rooms'), { onOpen: (name) => openConversation(chat.roomConversation(name)) });
const chat = new Chat({
  view,
  people,
  rooms,
  typing,
  publicButton: els.openPublic,
  publicBadge: byId('public-unread'),
  onRoomClosed: () => openConversation(chat.public, false),
});

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
const readMarks = new ReadMarks(socket, chat, { isReady: () => ready });
const { roomPanel, loadRooms, roomChanged } = startRooms(socket, chat, { view, open: (conv) => openConversation(conv) });

// ---- screens --------------------------------------------------------------------------------------------

const loginForm = new LoginForm(
  { view: byId('login-view'), form: byId('login-form'), name: byId('login-name'), error: byId('login-error'), submit: byId('login-submit') },
  { onSubmit: (name) => login(name) },
);

const signIn = new SignIn(
  {
    remembered: byId('remembered'),
    rememberedName: byId('remembered-name'),
    continueAs: byId('continue-as'),
    forget: byId('forget-device'),
    codeForm: byId('code-form'),
    codeInput: byId('code-input'),
    codeError: byId('code-error'),
    codeSubmit: byId('code-submit'),
  },
  { socket, onSignedIn: (res) => started(res), loginWith: (name) => login(name) },
);

const account = new AccountDialog(
  {
    open: byId('account-open'),
    dialog: byId('account-dialog'),
    handle: byId('account-handle'),
    profileForm: byId('profile-form'),
    displayName: byId('display-name'),
    profileError: byId('profile-error'),
    profileSave: byId('profile-save'),
    makeCode: byId('make-code'),
    codeBox: byId('code-box'),
    qr: byId('code-qr'),
    codeText: byId('code-text'),
    codeLink: byId('code-link'),
    codeExpiry: byId('code-expiry'),
    devices: byId('device-list'),
    endOthers: byId('end-others'),
    giveUp: byId('give-up'),
    giveUpDialog: byId('give-up-dialog'),
    giveUpName: byId('give-up-name'),
    giveUpCancel: byId('give-up-cancel'),
    giveUpConfirm: byId('give-up-confirm'),
  },
  {
    socket,
    me: () => chat.me,
    onRenamed: (user) => showChat(user),
    onGaveUp: () => {
      signOut({ device: true });
      showLogin('');
    },
  },
);

function showLogin(message) {
  els.chatView.hidden = true;
  els.account.hidden = true;
  if (!hostMode) {
    signIn.refresh();
    return loginForm.show(message);
  }
  const status = byId('host-signin');
  status.textContent = message;
  status.hidden = false;
  byId('login-view').hidden = false;
}

/**
 * Shows the chat for `user` ({ name, displayName }); before the login ack too (from the saved session, without
 * a display name yet), so a reload does not flash the login screen.
 */
function showChat({ name, displayName = name }) {
  chat.me = { name, key: nameKey(name), displayName };
  els.meName.textContent = displayName;
  els.meName.title = displayName === name ? '' : name;
  els.meAvatar.textContent = initial(displayName);
  els.meAvatar.className = `avatar ${hueClass(name)}`;
  loginForm.hide();
  els.account.hidden = false;
  els.chatView.hidden = false;
}

function openConversation(conv, focus = true) {
  chat.open(conv);
  roomPanel.show(conv);
  if (ready && !conv.loaded) void loadLatest(chat, socket, conv).then(() => readMarks.markActive());
  else readMarks.markActive();
  if (focus) els.composer.focus();
}

// ---- logging in and out ---------------------------------------------------------------------------------

/** The first login of a name, from the login form (later connections log in with the handshake). */
async function login(name) {
  const generation = chat.generation;
  // The same name as this browser signed in to before: its key makes it the same user (issue 21).
  const token = signIn.tokenFor(name);
  const res = await request(socket, 'login', token === undefined ? { username: name } : { username: name, token });
  if (generation !== chat.generation) return; // logged out meanwhile
  if (!res.ok && token !== undefined && res.error.code === 'username_taken') forgetSession({ device: true }); // the key opens nothing any more
  if (!res.ok) return showLogin(explainLoginError(res.error, name));
  await started(res);
  els.composer.focus();
}

/** Logged in on this connection, by a `login` ack or by the handshake's `session` event. */
async function started(info) {
  const generation = chat.generation;
  session = { name: info.user.name, token: info.token ?? session?.token, sessionId: info.sessionId ?? session?.sessionId };
  if (!hostMode && session.token) saveSession(session);
  showChat(info.user);
  ready = true;
  people.reset(info.user.name, info.online.map((online) => ({ name: online, online: true })));
  chat.renderUnread();
  outbox.flush();
  void refreshUsers();
  await catchUp(chat, socket, outbox);
  if (generation !== chat.generation) return;
  // The rooms and the unread counts as the server has them (after sync: it overrides what sync counted).
  await loadRooms();
  if (generation !== chat.generation) return;
  if (!chat.active.loaded) void loadLatest(chat, socket, chat.active).then(() => readMarks.markActive());
  void readMarks.refresh();
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
    signOut({ device: true });
    showLogin(`You were signed out: the saved sign-in for “${name}” is no longer valid. Pick a name, or use a sign-in code.`);
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
 * when another tab already changed the stored session (which must then be left alone); `device: true` also
 * forgets this browser's key to the name (it opens nothing any more, or the name was given up).
 */
function signOut({ forget = true, device = false } = {}) {
  if (forget) forgetSession({ device });
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
  // The name stays this user's, and this browser keeps its key to it: logging in again with the same name is
  // the same person with the same conversations (issue 21). Giving the name up is under Account, and asks.
  if (socket.connected && ready) await request(socket, 'logout', {}, 2000);
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
  if (next) showChat(next);
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

/** A live message: into its conversation, and read at once if that conversation is open in view. */
function received(message) {
  chat.receive(message, outbox);
  if (chat.conversationFor(message) === chat.active) readMarks.markActive();
}

socket.on('allmessage', (message) => chat.me && received(message));
socket.on('privateMsg', (message) => {
  if (!chat.me) return;
  received(message);
  if (nameKey(message.to) === chat.me.key) receipts.add(message.id);
});
socket.on('roomMsg', (message) => chat.me && received(message));
socket.on('roomMember', (change) => chat.me && roomChanged(change));
socket.on('read', (mark) => chat.me && readMarks.applyEvent(mark));
socket.on('messageEdited', (edit) => chat.me && chat.applyMessageChange({ type: 'edit', ...edit }));
socket.on('messageDeleted', (deletion) => chat.me && chat.applyMessageChange({ type: 'delete', ...deletion }));
wireMessageActions(byId('conversation-slot'), { socket, chat });
// Coming back to the page reads what its open conversation shows.
document.addEventListener('visibilitychange', () => chat.me && readMarks.markActive());

socket.on('msg1', (notice) => {
  if (notice.code === 'session_ended') {
    // Signed out from another device: this browser's key opens nothing any more (the server disconnects next).
    signOut({ device: true });
    showLogin('This browser was signed out from another device. Sign in again with a code, or pick a name.');
    return;
  }
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

socket.on('typing', ({ from, fromName, to }) => {
  if (!chat.me) return;
  typing.show(to === undefined ? PUBLIC : privateKey(from), from, fromName);
});

// Someone's names changed (docs/protocol.md, `profile`); a new handle comes with the former one.
socket.on('profileChanged', (change) => {
  if (!chat.me) return;
  people.rename(change);
  const mine = [change.name, change.formerName].some((name) => name !== undefined && nameKey(name) === chat.me.key);
  if (mine) showChat(change);
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
    onEditLast: () => ready && editLast({ socket, chat, composer: els.composer }),
  },
);

els.openPublic.addEventListener('click', () => openConversation(chat.public));

// ---- start ----------------------------------------------------------------------------------------------

chat.open(chat.public);
if (hostMode) {
  // Names come from the host application: no name form, no log-out, no account page (that is the host's).
  loginForm.hide();
  byId('login-form').hidden = true;
  byId('code-form').hidden = true;
  els.logout.hidden = true;
  byId('account-open').hidden = true;
  showLogin('Signing in with your account…');
} else {
  const code = codeFromLink();
  if (session) showChat(session);
  else showLogin('');
  // A sign-in link from another device: used at once, unless this browser is signed in already.
  if (code !== undefined && !session) void signIn.redeem(code);
  else if (code !== undefined) console.warn('a sign-in link was opened in a browser that is signed in already; ignored');
}
