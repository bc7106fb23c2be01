import { ChatError } from '../../errors';
import type { ClaimForm } from '../../identity';
import { nameKey } from '../../names';
import type { EventContext } from '../context';
import { claim, signIn, welcome } from '../sign-in';

/**
 * `login {username|id, token?}`: binds the socket to a user (see identity.ts for name protection); after the
 * ack, the welcome, the presence announcement and the private messages not confirmed yet (sign-in.ts).
 */
export async function login(ctx: EventContext<{ name: string; token?: string; form: ClaimForm }>): Promise<void> {
  const { socket, session } = ctx;
  const current = session.user;
  if (current && current.key !== nameKey(ctx.payload.name)) {
    throw new ChatError('already_logged_in', `This connection is already logged in as "${current.name}".`);
  }
  const address = ctx.services.addressOf(socket);
  const claimed = await claim(ctx.services, address, ctx.payload.name, ctx.payload.token, ctx.payload.form);
  if (!socket.connected) {
    // Gone while the claim ran: nobody will ever get this token, so do not keep the name for it.
    if (claimed.created) await ctx.services.store.releaseUser(claimed.user.id);
    return;
  }
  const signedIn = await signIn(session, claimed, ctx.services);
  ctx.body = signedIn.result;
  ctx.log.info({ socket: socket.id, user: signedIn.user.name, cameOnline: signedIn.cameOnline }, 'logged in');
  ctx.after.push(() => welcome(session, signedIn, ctx.services));
}
