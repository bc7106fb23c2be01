import { ChatError } from '../../errors';
import type { ClaimForm } from '../../identity';
import { isKeyOf } from '../../names';
import type { EventContext } from '../context';
import { claim, claimJwt, signIn, welcome } from '../sign-in';
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
  const claimed = await claim(ctx.services, address, ctx.payload.name, ctx.payload.token, ctx.payload.form);
  if (!socket.connected) {
    // Gone while the claim ran: nobody will ever get this token, so do not keep the name for it.
    if (claimed.created) await ctx.services.store.releaseUser(claimed.user.id);
    return;
  }
  await finish(ctx, claimed);
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
  if (!socket.connected) return;
  await finish(ctx, claimed);
}

async function finish(ctx: EventContext, claimed: Claim): Promise<void> {
  const signedIn = await signIn(ctx.session, claimed, ctx.services);
  ctx.body = signedIn.result;
  ctx.log.info({ socket: ctx.socket.id, user: signedIn.user.name, cameOnline: signedIn.cameOnline }, 'logged in');
  ctx.after.push(() => welcome(ctx.session, signedIn, ctx.services));
}
