// The chat page: the client library's client (page-client.js, docs/client.md) wired to the page's screens.
// The library connects, signs in, sends through its outbox, catches up and hands over every message once;
// the modules here draw what it reports. The protocol underneath: docs/protocol.md.
import { AccountDialog } from './account.js';
import { startAuth, startScreens } from './auth-flow.js';
import { Chat } from './chat.js';
import { wireComposer } from './composer.js';
import { byId } from './dom.js';
import { loadLatest, loadOlder } from './history.js';
import { HostTokens, loadServerConfig } from './host-auth.js';
import { wireLive } from './live.js';
import { LoginForm } from './login-form.js';
import { editLast, wireMessageActions } from './message-actions.js';
import { createPageClient } from './page-client.js';
import { Pending } from './pending.js';
import { People } from './people.js';
import { ReadMarks } from './reads.js';
import { startRooms } from './room-ui.js';
import { Rooms } from './rooms.js';
import { Screens } from './screens.js';
import { codeFromLink, SignIn } from './signin.js';
import { wireSignedIn } from './signed-in.js';
import { showConnection } from './status-bar.js';
import { TypingIndicator, typingSender } from './typing.js';
import { ConversationView } from './view.js';

const composer = byId('composer-text');

/** How this server signs users in: { auth: 'open' } or { auth: 'jwt', tokenUrl } (docs/auth.md). */
const serverConfig = await loadServerConfig();
const hostMode = serverConfig.auth === 'jwt';
/** JWT mode: tokens from the host application; the library presents them and refreshes them before they expire. */
const hostTokens = hostMode ? new HostTokens(serverConfig.tokenUrl) : undefined;
const client = createPageClient({ token: hostTokens?.fetch });
showConnection(client, { status: byId('connection'), text: byId('connection-text'), reconnect: byId('reconnect') });

// ---- the conversations ------------------------------------------------------------------------------------

const view = new ConversationView(
  {
    scroller: byId('scroller'),
    slot: byId('conversation-slot'),
    title: byId('conversation-title'),
    subtitle: byId('conversation-subtitle'),
    loadOlder: byId('load-older'),
    historyStart: byId('history-start'),
    jump: byId('jump'),
    composer,
    composerLabel: byId('composer-label'),
  },
  { onNearTop: (conv) => ready() && void loadOlder(chat, client, conv) },
);
const typing = new TypingIndicator(byId('typing'));
const people = new People(byId('people'), byId('people-empty'), { onOpen: (name) => openConversation(chat.conversationWith(name)) });
const rooms = new Rooms(byId('rooms'), { onOpen: (name) => openConversation(chat.roomConversation(name)) });
const chat = new Chat({
  view,
  people,
  rooms,
  typing,
  publicButton: byId('open-public'),
  publicBadge: byId('public-unread'),
  onRoomClosed: () => openConversation(chat.public, false),
});

/** Signed in and caught up on the current connection: history, reads and typing may go out. */
const ready = () => chat.me !== undefined && client.caughtUp;

const pending = new Pending(client, { conversationOf: conversationOfTarget, isReady: ready });
const typingNotifier = typingSender(client, ready);
const readMarks = new ReadMarks(client, chat, { isReady: ready });
const { roomPanel, loadRooms, roomChanged } = startRooms(client, chat, { view, open: (conv) => openConversation(conv) });

function openConversation(conv, focus = true) {
  chat.open(conv);
  roomPanel.show(conv);
  if (ready() && !conv.loaded) void loadLatest(chat, client, conv).then(() => readMarks.markActive());
  else readMarks.markActive();
  if (focus) composer.focus();
}

/** The conversation of an outbox entry's target (the library's `{ kind, to?, room? }`). */
function conversationOfTarget(target) {
  if (target.kind === 'room') return chat.roomConversation(target.room);
  return target.kind === 'private' ? chat.conversationWith(target.to) : chat.public;
}

// ---- signing in and out -------------------------------------------------------------------------------------

const loginForm = new LoginForm(
  { view: byId('login-view'), form: byId('login-form'), name: byId('login-name'), error: byId('login-error'), submit: byId('login-submit') },
  { onSubmit: (name) => auth.login(name) },
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
  { client, loginWith: (credentials) => auth.loginWith(credentials) },
);
const screens = new Screens({ chat, loginForm, signIn, hostMode });
new AccountDialog(
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
  { client, me: () => chat.me, onRenamed: (user) => screens.showChat(user) },
);

const live = wireLive({ client, chat, view, people, typing, pending, readMarks, roomChanged, showChat: (user) => screens.showChat(user) });

/** Forgets this tab's user and what it showed (the library forgets its own part). */
function resetLocal() {
  live.reset();
  chat.reset();
  people.reset(undefined, []);
}

const auth = startAuth({ client, chat, screens, hostTokens, resetLocal, composer });
// After startAuth: its `session` listener, which shows the chat for the user, runs first.
wireSignedIn({ client, chat, view, people, readMarks, loadRooms });

// ---- reading and writing ------------------------------------------------------------------------------------

wireMessageActions(byId('conversation-slot'), { client, chat });
// Coming back to the page reads what its open conversation shows.
document.addEventListener('visibilitychange', () => chat.me && readMarks.markActive());

wireComposer(
  { form: byId('composer'), textarea: composer },
  {
    onSend(text) {
      const conv = chat.active;
      view.append(conv, () => void pending.write(conv, text), true);
      typingNotifier.sent(conv);
    },
    onType: () => typingNotifier.notify(chat.active),
    onEditLast: () => ready() && editLast({ client, chat, composer }),
  },
);
byId('open-public').addEventListener('click', () => openConversation(chat.public));

// ---- start --------------------------------------------------------------------------------------------------

chat.open(chat.public);
startScreens({ client, screens, signIn, hostMode, code: hostMode ? undefined : codeFromLink() });
