/**
 * A chat client with the client half of the delivery guarantee built in (docs/client.md). It logs in through
 * the handshake with the session it keeps (session.ts), catches up after every (re)connection and hands every
 * message to the application exactly once (resume.ts, log.ts), sends through an outbox that retries with one
 * clientId until the server stores the message (outbox.ts) and, in JWT mode, refreshes the host's token before
 * it expires (jwt.ts). It does not bundle socket.io-client: the application passes its `io`.
 */
import type { ManagerOptions, Socket, SocketOptions } from 'socket.io-client';
import { ChatCalls } from './calls.js';
import { watchConnection, type ConnectionState, type ConnectionWatch } from './connection.js';
import type { ChatClientEvents } from './events.js';
import { TokenRefresher, type TokenSource } from './jwt.js';
import type { StartAt } from './log.js';
import { Outbox, type OutboxEntry, type SendResult, type Target } from './outbox.js';
import { Lifecycle, type Connected } from './lifecycle.js';
import { failure, request, type ClientError, type Result } from './request.js';
import { Resume } from './resume.js';
import { SessionKeeper, type Credentials, type SavedSession } from './session.js';
import { defaultStore, memoryStore, type KeyValueStore } from './storage.js';
import type { LoginResult, Person, PresenceChange, ProfileChange, ReadMark, TypingNotice } from './wire.js';

/** socket.io-client's `io` (in a page: `window.io`, from /socket.io/socket.io.js). */
export type IoFactory = (url: string | undefined, options: Partial<ManagerOptions & SocketOptions>) => Socket;

export interface ChatClientOptions {
  io: IoFactory;
  /** The server's origin, e.g. `https://chat.example.com`; leave it out in a page the chat server serves. */
  url?: string;
  /** The Socket.IO path: `/socket.io` (default), `/chat/socket.io` under BASE_PATH=/chat. */
  path?: string;
  /** More Socket.IO options (`transports`, reconnection delays…); `auth` and `autoConnect` are the library's. */
  socket?: Partial<ManagerOptions & SocketOptions>;
  /** JWT mode: gets a fresh token from the host application (in a page: a fetch of JWT_TOKEN_URL). */
  token?: TokenSource;
  /** Where the session is kept: localStorage in a browser, memory in Node (default). */
  sessionStore?: KeyValueStore;
  /** Where unsent messages are kept: memory (default); `webStore(sessionStorage)` keeps a tab's across a reload. */
  outboxStore?: KeyValueStore;
  /** Where a client without a cursor starts: `latest` (default) or `beginning` (log.ts). */
  start?: StartAt;
  /** A cursor kept from an earlier run (`client.cursor`): the first catch-up resumes from it. */
  cursor?: number;
}

export class ChatClient extends ChatCalls<ChatClientEvents> {
  private readonly refresher: TokenRefresher | undefined;
  private readonly keeper: SessionKeeper;
  private readonly resume: Resume;
  private readonly outbox: Outbox;
  private readonly connection: ConnectionWatch;
  private readonly life: Lifecycle;

  constructor(options: ChatClientOptions) {
    super(options.io(options.url, { ...options.socket, ...(options.path !== undefined && { path: options.path }), autoConnect: false }));
    this.socket.auth = (send: (auth: object) => void) => this.life.handshakeAuth(send);
    const error = (error: ClientError) => this.emit('error', error);
    const refreshFailed = (err: unknown) => error({ code: 'unauthorized', message: `Could not refresh the sign-in token: ${String(err)}` });
    this.refresher = options.token && new TokenRefresher(options.token, (token) => void this.refreshed(token), refreshFailed);
    this.keeper = new SessionKeeper(options.sessionStore ?? defaultStore(), this.refresher);
    this.resume = new Resume(
      this.socket,
      {
        message: (message, route) => this.emit('message', message, route),
        change: (change, route) => this.emit('change', change, route),
        synced: (delivered, cursor) => {
          this.emit('synced', { delivered, cursor });
          this.life.settle({ ok: true, ...(this.life.me && { user: this.life.me }) });
        },
        reset: () => this.emit('reset'),
        error,
      },
      options.start ?? 'latest',
      options.cursor,
    );
    this.outbox = new Outbox(
      {
        attempt: (target, text, clientId) => this.attempt(target, text, clientId),
        ready: () => this.life.loggedIn && this.socket.connected,
        sent: (message, clientId) => this.resume.acked(message, clientId),
        changed: (entries) => this.emit('outbox', entries),
      },
      options.outboxStore ?? memoryStore(),
    );
    this.connection = watchConnection(this.socket, (state) => this.emit('status', state));
    const { socket, keeper, resume, outbox, connection } = this;
    this.life = new Lifecycle(
      { socket, keeper, resume, outbox, connection },
      {
        session: (info) => this.emit('session', info),
        signedOut: (reason) => this.emit('signedOut', reason),
        notice: (notice) => this.emit('notice', notice),
        error,
      },
    );
    // Handed to the application as they are.
    socket.on('presence', (change: PresenceChange) => this.emit('presence', change));
    socket.on('typing', (notice: TypingNotice) => this.emit('typing', notice));
    socket.on('profileChanged', (change: ProfileChange) => this.emit('profileChanged', change));
    socket.on('read', (mark: ReadMark) => this.emit('read', mark));
  }

  /** The signed-in user, if any. */
  get user(): Person | undefined {
    return this.life.me;
  }

  /** The session kept in the session store (who the next handshake signs in as), if any. */
  get keptSession(): SavedSession | undefined {
    return this.keeper.kept();
  }

  /**
   * The name (with its token) this device keeps across a log-out, if any: `connect({ username })` or `login` with
   * that name presents the token, and is the same user.
   */
  get device(): SavedSession | undefined {
    return this.keeper.device();
  }

  /** Where the next catch-up starts; keep it to resume a later run from it (the `cursor` option). */
  get cursor(): number | undefined {
    return this.resume.cursor;
  }

  get status(): ConnectionState {
    return this.connection.state();
  }

  /** Connected and caught up on this connection. */
  get caughtUp(): boolean {
    return this.resume.caughtUp;
  }

  /** Unsent messages, oldest first. */
  get pending(): readonly OutboxEntry[] {
    return this.outbox.entries();
  }

  /**
   * Connects and resolves once caught up, or with the refusal of the credentials. Without credentials: the kept
   * session, else anonymously; with them, a new handshake presents them.
   */
  connect(credentials?: Credentials): Promise<Connected> {
    if (this.life.closed) return Promise.resolve(failure('closed', 'The client was closed.'));
    if (credentials) this.keeper.use(credentials);
    const done = this.life.whenConnected();
    if (credentials && this.socket.connected) this.socket.disconnect();
    if (!this.socket.connected) this.socket.connect();
    else if (this.caughtUp) this.life.settle({ ok: true, ...(this.life.me && { user: this.life.me }) });
    return done;
  }

  /** Logs in on the live connection (`login`): a name (with the token kept for it), a token, or a sign-in code. */
  async login(credentials: Credentials): Promise<Result<LoginResult>> {
    const res = await request<LoginResult>(this.socket, 'login', this.keeper.payload(credentials));
    if (res.ok) this.life.begin(res);
    return res;
  }

  /**
   * Logs out (`release` also gives the name up) and goes on anonymously, on a new connection. Unsent messages are
   * discarded. The token kept for the name stays, so logging in again with it is the same user, unless `release`
   * or `forget`.
   */
  async logout({ release = false, forget = false } = {}): Promise<Result> {
    if (this.life.loggedIn) {
      const res = await request(this.socket, 'logout', release ? { release } : {});
      if (!res.ok && res.error.code !== 'not_connected') return res;
    }
    this.life.signedOut(release || forget, 'logout');
    if (this.socket.active) this.socket.disconnect().connect();
    return { ok: true };
  }

  /** A public message. Resolves once stored (or refused for good); it reaches `message` once either way it comes. */
  send(text: string, options: { clientId?: string } = {}): Promise<SendResult> {
    return this.outbox.add({ kind: 'public' }, text, options.clientId);
  }

  sendPrivate(to: string, text: string, options: { clientId?: string } = {}): Promise<SendResult> {
    return this.outbox.add({ kind: 'private', to }, text, options.clientId);
  }

  /** A message to a room (issue 17, `roomMsg`). */
  sendToRoom(room: string, text: string, options: { clientId?: string } = {}): Promise<SendResult> {
    return this.outbox.add({ kind: 'room', room }, text, options.clientId);
  }

  /** Sends a `failed` message again. */
  retry(clientId: string): boolean {
    return this.outbox.retry(clientId);
  }

  /** Drops an unsent message (not one in flight); its `send` resolves `discarded`. */
  discard(clientId: string): boolean {
    return this.outbox.discard(clientId);
  }

  /** Disconnects for good. Unsent messages stay in the outbox store, for a later client of the same user. */
  close(): void {
    this.life.close();
    this.refresher?.stop();
    this.resume.close();
    this.outbox.drop('closed', false);
    this.socket.disconnect();
    this.connection.update();
    this.life.settle(failure('closed', 'The client was closed.'));
  }

  private attempt(target: Target, text: string, clientId: string): Promise<SendResult> {
    if (target.kind === 'public') return request(this.socket, 'sendMsg', { text, clientId });
    if (target.kind === 'private') return request(this.socket, 'privateMsg', { to: target.to, text, clientId });
    return request(this.socket, 'roomMsg', { room: target.room, text, clientId });
  }

  /** JWT mode: a fresh token, sent on the live connection before the current one expires. */
  private async refreshed(token: string): Promise<void> {
    if (!this.life.loggedIn) return; // the next handshake fetches its own
    const res = await request(this.socket, 'login', { token });
    if (!res.ok && res.error.code !== 'not_connected') this.emit('error', res.error);
  }
}

export function createChatClient(options: ChatClientOptions): ChatClient {
  return new ChatClient(options);
}
