import type { z } from 'zod';
import {
  conversationsSchema,
  createRoomSchema,
  deleteMsgSchema,
  editMsgSchema,
  endSessionSchema,
  historySchema,
  jwtLoginSchema,
  loginSchema,
  logoutSchema,
  membersSchema,
  privateMsgSchema,
  profileSchema,
  readSchema,
  receivedSchema,
  reportSchema,
  roomMsgSchema,
  roomSchema,
  roomsSchema,
  roomUserSchema,
  sendMsgSchema,
  sessionsSchema,
  signInCodeSchema,
  syncSchema,
  typingSchema,
  userSchema,
  usersSchema,
} from '../schemas';
import type { ClientEvent } from '../protocol';
import { login, loginWithJwt } from './handlers/login';
import { logout } from './handlers/logout';
import { privateMsg, received, roomMsg, sendMsg } from './handlers/messages';
import { block, deleteMsg, editMsg, report, unblock } from './handlers/moderation';
import { profile } from './handlers/profile';
import { endSession, sessions, signInCode } from './handlers/sessions';
import { history, users } from './handlers/queries';
import { conversations, read } from './handlers/reads';
import { createRoom, invite, joinRoom, leaveRoom, members, removeMember, rooms } from './handlers/rooms';
import { sync } from './handlers/sync';
import { typing } from './handlers/typing';
import type { EventContext, EventMiddleware, LoggedInContext } from './context';
import { rateLimit, readLimit, requireLogin, validate } from './middleware';

/**
 * One event's pipeline, in execution order, and whether it needs a login. Built only by `open` and
 * `loggedIn`, whose types tie the handler's payload to what the schema outputs: a handler cannot be routed
 * behind a schema that parses something else.
 */
export interface Route {
  readonly middleware: ReadonlyArray<EventMiddleware<never>>;
  readonly needsLogin: boolean;
  /** A message: it may start while the message before it commits; its handler calls `ctx.release()`. */
  readonly pipelined?: boolean;
}

export type Routes = Record<ClientEvent, Route>;

/** An event anyone may send, logged in or not: validated, through `guards` (read limits), then handled. */
function open<S extends z.ZodType>(
  schema: S,
  handler: (ctx: EventContext<z.output<S>>) => Promise<void>,
  ...guards: EventMiddleware[]
): Route {
  const last: EventMiddleware<z.output<S>> = (ctx) => handler(ctx);
  return { middleware: [validate(schema), ...guards, last], needsLogin: false };
}

/**
 * An event of a logged-in socket: validated, refused `not_logged_in` without a login (or held until the
 * first one, dispatch.ts), then through `guards` (rate limits) to the handler, which sees `ctx.user` set.
 */
function loggedIn<S extends z.ZodType>(
  schema: S,
  handler: (ctx: LoggedInContext<z.output<S>>) => Promise<void>,
  ...guards: EventMiddleware[]
): Route {
  const last: EventMiddleware<z.output<S>> = (ctx) => handler(ctx as LoggedInContext<z.output<S>>); // requireLogin set ctx.user
  return { middleware: [validate(schema), requireLogin, ...guards, last], needsLogin: true };
}

/** A message event (stores a message): see Route.pipelined. */
function message(route: Route): Route {
  return { ...route, pipelined: true };
}

/**
 * Every client→server event, as its pipeline. `login` depends on AUTH_MODE: a name (and token) in the open
 * mode, the host's JWT in the jwt mode.
 */
export const routesFor = (authMode: 'open' | 'jwt'): Routes => ({
  login: authMode === 'jwt' ? open(jwtLoginSchema, loginWithJwt) : open(loginSchema, login),
  sendMsg: message(loggedIn(sendMsgSchema, sendMsg, rateLimit('messages'))),
  privateMsg: message(loggedIn(privateMsgSchema, privateMsg, rateLimit('messages'))),
  history: open(historySchema, history, readLimit),
  users: open(usersSchema, users, readLimit),
  typing: loggedIn(typingSchema, typing, rateLimit('typing')),
  sync: open(syncSchema, sync, readLimit),
  logout: loggedIn(logoutSchema, logout),
  received: loggedIn(receivedSchema, received),
  // Issue 21. A code and a display name change cost what a message costs (stored, or told to everyone).
  signInCode: loggedIn(signInCodeSchema, signInCode, rateLimit('messages')),
  sessions: loggedIn(sessionsSchema, sessions),
  endSession: loggedIn(endSessionSchema, endSession),
  profile: loggedIn(profileSchema, profile, rateLimit('messages')),
  // Issue 17: the lists are reads like `users` (issue 16's read limits); read marks come as often as messages.
  createRoom: loggedIn(createRoomSchema, createRoom, rateLimit('roomChanges')),
  joinRoom: loggedIn(roomSchema, joinRoom, rateLimit('roomChanges')),
  leaveRoom: loggedIn(roomSchema, leaveRoom, rateLimit('roomChanges')),
  invite: loggedIn(roomUserSchema, invite, rateLimit('roomChanges')),
  removeMember: loggedIn(roomUserSchema, removeMember, rateLimit('roomChanges')),
  roomMsg: message(loggedIn(roomMsgSchema, roomMsg, rateLimit('messages'))),
  rooms: loggedIn(roomsSchema, rooms, readLimit),
  members: loggedIn(membersSchema, members, readLimit),
  read: loggedIn(readSchema, read, rateLimit('readMarks')),
  conversations: loggedIn(conversationsSchema, conversations, readLimit),
  // Issue 19.
  editMsg: loggedIn(editMsgSchema, editMsg, rateLimit('messages')),
  deleteMsg: loggedIn(deleteMsgSchema, deleteMsg, rateLimit('messages')),
  block: loggedIn(userSchema, block, rateLimit('moderation')),
  unblock: loggedIn(userSchema, unblock, rateLimit('moderation')),
  report: loggedIn(reportSchema, report, rateLimit('moderation')),
});
