import { ChatError } from '../../errors';
import type { ClaimForm } from '../../identity';
import { isKeyOf } from '../../names';
import type { EventContext } from '../context';
import { loginResult } from '../login-result';
import { claim, claimJwt, signInConnected, welcome } from '../sign-in';
import type { Claim } from '../../identity';

/**
 * `login {username|id, token?}`: binds the socket to a user (see identity.ts for name protection); after the
 * ack, the welcome, the presence announcement and the private messages not confirmed yet (sign-in.ts).
 */
export async function login(ctx: EventContext<{ name: string; token?: string; form: ClaimForm }>): Promise<void> {
  const { socket, session } = ctx;
  const current = session.user;
  if (current && !isKeyOf(current.key, ctx.payload.name)) {
    throw new ChatError('already_logged_in', `This connection is already logged in as "${current.name}".`);
  }
  const address = ctx.services.addressOf(socket);
  await finish(ctx, await claim(ctx.services, address, ctx.payload.name, ctx.payload.token, ctx.payload.form));
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
