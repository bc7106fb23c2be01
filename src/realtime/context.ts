import type { EventEmitter } from 'node:events';
import type { Server, Socket } from 'socket.io';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { RateLimits } from '../limits/rate-limits';
import type { SocketSlots } from '../limits/socket-slots';
import type { AddressSockets } from '../limits/address-sockets';
import type { JwtVerifier } from '../auth/jwt';
import type { Metrics } from '../metrics';
import type { PresenceFeed } from '../presence/feed';
import type { Presence } from '../presence/presence';
import type {
  ClientEvent,
  ClientToServerEvents,
  InterServerEvents,
  ServerToClientEvents,
  SessionUser,
  SocketData,
} from '../protocol';
import type { ChatStore, Device } from '../store/store';
import type { Memberships } from './memberships';
import type { Session } from './session';

export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** What happens inside an app that tests, metrics and embedders may wait for. */
export interface AppEvents {
  /** A socket disconnected and all its work (queued events, presence bookkeeping) is done. */
  socketClosed: [socketId: string];
  /** A socket of user `userId` proved it received these private messages; they are marked delivered. */
  delivered: [userId: number, ids: number[]];
}

/** What handlers may use. Built once per app by createApp; nothing here is global. */
export interface Services {
  config: Config;
  io: ChatServer;
  store: ChatStore;
  presence: Presence;
  /** Announces presence changes, coalesced. */
  presenceFeed: PresenceFeed;
  log: Logger;
  metrics: Metrics;
  now: () => number;
  events: EventEmitter<AppEvents>;
  /** How long a connection's events that need a login may wait for its first one (session.ts). */
  preLoginWaitMs: number;
  limits: RateLimits;
  /** MAX_SOCKETS_PER_USER: a socket reserves its place here before it is bound to its user. */
  slots: SocketSlots;
  /** MAX_SOCKETS_PER_ADDRESS: an Engine.IO connection holds its place here while it is open. */
  addressSockets: AddressSockets;
  /** AUTH_MODE=jwt: the host application's token verifier; absent in the open mode. */
  jwt?: JwtVerifier;
  /** Cluster mode: other nodes share this app's rooms through the adapter (and hear `serverSideEmit`). */
  clustered: boolean;
  /** Where a socket connects from (client-address.ts: X-Forwarded-For only with TRUST_PROXY). */
  addressOf(socket: ChatSocket): string;
  /** Its address and a summary of its user agent, as recorded on the session it logs in with (device.ts). */
  deviceOf(socket: ChatSocket): Device;
  /** This node's map of room members, following the commit feed (memberships.ts). */
  memberships: Memberships;
}

/**
 * One incoming event, in the shape of a Koa context: middleware and the handler read `input`/`payload` and
 * `user`, and the handler sets `body` (the fields of a successful ack). Throwing a ChatError answers with
 * `{ ok: false, error }`.
 */
export interface EventContext<P = unknown> {
  readonly event: ClientEvent;
  readonly socket: ChatSocket;
  /** The socket's login state; login and logout change it. */
  readonly session: Session;
  readonly services: Services;
  /** The app's logger; log lines about a socket carry `socket: socket.id`. */
  readonly log: Logger;
  /** The raw payload as received. */
  readonly input: unknown;
  /** The payload after validation (set by the `validate` middleware). */
  payload: P;
  /** The logged-in user, if any (set by `requireLogin`; login sets it on socket.data). */
  user: SessionUser | undefined;
  body: object | undefined;
  /** Work to do right after the ack is sent (e.g. the welcome notice, which must follow the login ack). */
  after: Array<() => Promise<void> | void>;
  /** Set when the socket keeps being refused `rate_limited`: it is disconnected once this event is answered. */
  cutOff: boolean;
  /**
   * Lets the socket's next message event start before this one is answered: a message handler calls it once
   * its write is queued in the store, which keeps call order (serial-queue.ts). Other events never call it.
   */
  release: () => void;
}

/** The context of a handler that runs after `requireLogin`. */
export type LoggedInContext<P> = EventContext<P> & { user: SessionUser };

export type EventMiddleware<P = unknown> = (ctx: EventContext<P>, next: () => Promise<void>) => Promise<void>;

/**
 * The room that holds every live socket of one user, on every node: delivery to a user goes through it. It is
 * named by the user id, never by the name: a retired user and the new holder of its name share the name but
 * must never share a room (issue 8).
 */
export function userRoom(userId: number): string {
  return `user:${userId}`;
}

/**
 * The room that holds every live socket logged in through one stored session (one device), on every node:
 * ending the session ends them through it (issue 21).
 */
export function sessionRoom(sessionId: string): string {
  return `session:${sessionId}`;
}

/**
 * The sockets of user `userId` that joined its provisional name without its token (tutorial logins): when the
 * owner proves the token, the name is reserved and these end, on every node (issue 16).
 */
export function unprovenRoom(userId: number): string {
  return `unproven:${userId}`;
}
