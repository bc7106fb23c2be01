import type { LoggedInContext } from '../context';

/**
 * `logout {release?}`: detaches this connection from its user (it can log in again, as anyone). The name
 * stays reserved for its token unless `release` is set, in which case anyone may claim it once the user has
 * no live connection left; a new claimant becomes a new user and cannot read the old private messages.
 * A release holds until the token is used again: other tabs closing later do not reserve the name anew.
 */
export async function logout(ctx: LoggedInContext<{ release: boolean }>): Promise<void> {
  const { store } = ctx.services;
  await ctx.session.end({ seen: !ctx.payload.release });
  if (ctx.payload.release) await store.releaseUser(ctx.user.id);
  ctx.body = {};
}
