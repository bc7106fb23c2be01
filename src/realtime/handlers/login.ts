import { ChatError } from '../../errors';
import type { Claim, ClaimForm } from '../../identity';
import { isKeyOf } from '../../names';
import type { EventContext } from '../context';
import { loginResult } from '../login-result';
import { claim, claimCode, claimJwt, signInConnected, welcome } from '../sign-in';

type LoginInput = { name: string; token?: string; form: ClaimForm } | { code: string };

/**
 * `login {username|id, token?}`: binds the socket to a user (see identity.ts for name protection); after the
 * ack, the welcome, the presence announcement and the private messages not confirmed yet (sign-in.ts).
 * `login {code}`: a sign-in code opens a new session of the user who made it (sign-in-codes.ts), on a socket
 * not logged in yet.
 */
export async function login(ctx: EventContext<LoginInput>): Promise<void> {
  const { socket, session, payload } = ctx;
  const current = session.user;
  const address = ctx.services.addressOf(socket);
  const agent = ctx.services.deviceOf(socket).agent;
  if ('code' in payload) {
    if (current) throw new ChatError('already_logged_in', `This connection is already logged in as "${current.name}"; a sign-in code is for a new device.`);
    await finish(ctx, await claimCode(ctx.services, address, payload.code, agent));
    return;
  }
  if (current && !isKeyOf(current.key, payload.name)) {
    throw new ChatError('already_logged_in', `This connection is already logged in as "${current.name}".`);
  }
  await finish(ctx, await claim(ctx.services, address, payload.name, payload.token, payload.form, agent));
}

/**
 * JWT mode: `login {token}` with the host application's token. On a socket already logged in as the token's
 * user it only moves the session's end to the new token's expiry (how a client refreshes without reconnecting).
 */
export async function loginWithJwt(ctx: EventContext<{ token: string }>): Promise<void> {
  const { socket, session } = ctx;
  const claimed = await claimJwt(ctx.services, ctx.services.addressOf(socket), ctx.payload.token);
  const current = session.user;
  if (current && current.id !== claimed.user.id) {
    throw new ChatError('already_logged_in', `This connection is already logged in as "${current.name}".`);
  }
  await finish(ctx, claimed);
}

/** Signs the socket in, unless it left while the claim or the sign-in ran (sign-in.ts, signInConnected). */
async function finish(ctx: EventContext, claimed: Claim): Promise<void> {
  const signedIn = await signInConnected(ctx.session, claimed, ctx.services);
  if (!signedIn) return;
  ctx.body = await loginResult(ctx.services, claimed);
  ctx.log.info({ socket: ctx.socket.id, user: signedIn.user.name, cameOnline: signedIn.cameOnline }, 'logged in');
  ctx.after.push(() => welcome(ctx.session, signedIn, ctx.services));
}
