/**
 * A connection's life, from the handshake to its end: what the handshake presents (session.ts), who the
 * connection is logged in as, and so whose messages the log and the outbox hold; the catch-up after every
 * connection and login (resume.ts); the outbox going out once logged in, and back to waiting at a disconnect;
 * refused handshakes (handshake.ts), sessions ended elsewhere, and the reconnection Socket.IO leaves to us when
 * the server disconnects.
 */
import type { Socket } from 'socket.io-client';
import type { ConnectionWatch } from './connection.js';
import type { SignedOutReason } from './events.js';
import { refusal, refusalOf } from './handshake.js';
import type { Outbox } from './outbox.js';
import type { ClientError, Result } from './request.js';
import type { Resume } from './resume.js';
import { nameKey, type SessionKeeper } from './session.js';
import type { LoginResult, Notice, Person } from './wire.js';

export type Connected = Result<{ user?: Person }>;

export interface LifecycleParts {
  socket: Socket;
  keeper: SessionKeeper;
  resume: Resume;
  outbox: Outbox;
  connection: ConnectionWatch;
}

export interface LifecycleHooks {
  session(info: LoginResult): void;
  signedOut(reason: SignedOutReason): void;
  notice(notice: Notice): void;
  error(error: ClientError): void;
}

export class Lifecycle {
  /** Whose messages the log and the outbox hold: a name key, null (anonymous), undefined (nobody yet). */
  private owner: string | null | undefined;
  me: Person | undefined;
  /** Logged in on the current connection. */
  loggedIn = false;
  closed = false;
  private waiters: Array<(result: Connected) => void> = [];
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly parts: LifecycleParts,
    private readonly hooks: LifecycleHooks,
  ) {
    const { socket } = parts;
    socket.on('connect', () => {
      this.loggedIn = false;
      // A handshake that logged in is followed by `session`, first of all events; an anonymous one by nothing.
      if (parts.keeper.presented === 'none') this.begin(undefined);
    });
    socket.on('session', (info: LoginResult) => this.begin(info));
    socket.on('disconnect', (reason: string) => this.lost(reason));
    socket.on('connect_error', (err: unknown) => this.refused(err));
    socket.on('msg1', (notice: Notice) => this.notice(notice));
  }

  /** The handshake's `auth`: in JWT mode a failure to get a token connects anonymously meanwhile, as the page does. */
  handshakeAuth(send: (auth: object) => void): void {
    this.parts.keeper.auth().then(send, (err: unknown) => {
      this.hooks.error({ code: 'unauthorized', message: `Could not get a sign-in token: ${String(err)}` });
      this.parts.keeper.presented = 'none';
      send({});
    });
  }

  /** Resolves at the next catch-up of a connection (or the refusal of given credentials, or close). */
  whenConnected(): Promise<Connected> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  settle(result: Connected): void {
    for (const resolve of this.waiters.splice(0)) resolve(result);
  }

  /** Logged in as `info` on this connection (handshake or `login`), or connected anonymously (undefined). */
  begin(info: LoginResult | undefined): void {
    const { keeper, outbox, resume } = this.parts;
    const user = info ? nameKey(info.user.name) : null;
    const fresh = this.owner !== undefined && this.owner !== user;
    if (fresh && user === null) outbox.drop('discarded', false); // never sent anonymously; kept in the store
    this.owner = user;
    if (info) {
      this.me = info.user;
      this.loggedIn = true;
      keeper.signedIn(info);
      this.hooks.session(info);
      outbox.signedIn(user as string);
    }
    void resume.begin(user, fresh);
  }

  /** Signed out here: the user's state goes; `device` also forgets the token kept for the name. */
  signedOut(device: boolean, reason: SignedOutReason): void {
    this.parts.keeper.signedOut(device);
    this.parts.outbox.drop('discarded', reason === 'logout');
    this.me = undefined;
    this.loggedIn = false;
    this.hooks.signedOut(reason);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
  }

  private lost(reason: string): void {
    this.loggedIn = false;
    this.parts.resume.lost();
    this.parts.outbox.suspend();
    // The server ended the connection (a session ended, a name retired): Socket.IO does not reconnect then, but
    // the client should, to learn where it stands.
    if (reason === 'io server disconnect' && !this.closed) this.parts.socket.connect();
  }

  private refused(err: unknown): void {
    const error = refusalOf(err);
    if (error === undefined) return; // the network: Socket.IO's back-off retries
    this.hooks.error(error);
    const { keeper, socket, connection } = this.parts;
    const next = refusal(error, keeper.presented);
    if (next.action === 'answer') {
      keeper.refused();
      this.settle({ ok: false, error });
    } else if (next.action === 'signOut') {
      this.signedOut(true, 'refused');
      socket.connect(); // anonymously now
    } else {
      connection.waitUntil(Date.now() + next.ms);
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => {
        connection.waitUntil(undefined);
        if (!this.closed && !socket.connected) socket.connect();
      }, next.ms);
    }
  }

  private notice(notice: Notice): void {
    if (notice.type !== 'error') return this.hooks.notice(notice);
    // This session was ended (from another device, or this one): its token opens nothing any more; the server
    // disconnects next, and the reconnection is anonymous.
    if (notice.code === 'session_ended') this.signedOut(true, 'session_ended');
    this.hooks.error({ code: notice.code ?? 'internal_error', message: notice.text, ...(notice.retryAfterMs !== undefined && { retryAfterMs: notice.retryAfterMs }) });
  }
}
