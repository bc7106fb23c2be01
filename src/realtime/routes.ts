import {
  historySchema,
  jwtLoginSchema,
  loginSchema,
  logoutSchema,
  privateMsgSchema,
  receivedSchema,
  sendMsgSchema,
  syncSchema,
  typingSchema,
  usersSchema,
} from '../schemas';
import type { Routes } from './dispatch';
import { login, loginWithJwt } from './handlers/login';
import { logout } from './handlers/logout';
import { privateMsg, received, sendMsg } from './handlers/messages';
import { history, users } from './handlers/queries';
import { sync } from './handlers/sync';
import { typing } from './handlers/typing';
import type { EventMiddleware } from './context';
import { rateLimit, readLimit, requireLogin, validate } from './middleware';

/** Adapts a handler (the last step, which takes no `next`) to a middleware slot. */
function handler<P>(fn: (ctx: any) => Promise<void>): EventMiddleware<P> {
  return (ctx) => fn(ctx);
}

/**
 * Every client→server event, as its middleware pipeline. Order inside each list is execution order. `login`
 * depends on AUTH_MODE: a name (and token) in the open mode, the host's JWT in the jwt mode.
 */
export const routesFor = (authMode: 'open' | 'jwt'): Routes => ({
  login: authMode === 'jwt' ? [validate(jwtLoginSchema), handler(loginWithJwt)] : [validate(loginSchema), handler(login)],
  sendMsg: [validate(sendMsgSchema), requireLogin, rateLimit('messages'), handler(sendMsg)],
  privateMsg: [validate(privateMsgSchema), requireLogin, rateLimit('messages'), handler(privateMsg)],
  history: [validate(historySchema), readLimit, handler(history)],
  users: [validate(usersSchema), readLimit, handler(users)],
  typing: [validate(typingSchema), requireLogin, rateLimit('typing'), handler(typing)],
  sync: [validate(syncSchema), readLimit, handler(sync)],
  logout: [validate(logoutSchema), requireLogin, handler(logout)],
  received: [validate(receivedSchema), requireLogin, handler(received)],
});
