import { userRoom, type LoggedInContext } from '../context';

/**
 * `logout {release?}`: detaches this connection from its user (it can log in again, as anyone). The name
 * stays reserved for its token unless `release` is set, in which case anyone may claim it once the user has
 * no live connection left; a new claimant becomes a new user and cannot read the old private messages.
 */
export async function logout(ctx: LoggedInContext<{ release: boolean }>): Promise<void> {
  const { presence, presenceFeed, store, now } = ctx.services;
  const { socket, user } = ctx;
  socket.data.user = undefined;
  socket.leave(userRoom(user.key));
  if (await presence.remove(user, socket.id)) presenceFeed.changed(user.name, false);
  if (ctx.payload.release) await store.releaseUser(user.id);
  else await store.touchUser(user.id, now());
  ctx.body = {};
}
