import { ChatError } from '../../errors';
import type { LoggedInContext } from '../context';
import { announceRename } from '../profiles';

/**
 * `profile { displayName }`: changes the caller's display name (display-names.ts). Everyone hears
 * `profileChanged`, and every connection of the caller shows the new name (profiles.ts). In JWT mode names are
 * the host's (`forbidden`).
 */
export async function profile(ctx: LoggedInContext<{ displayName: string }>): Promise<void> {
  if (ctx.services.jwt) throw new ChatError('forbidden', 'Your name comes from the host application; change it there.');
  const { name, key } = ctx.user;
  const renamed = await ctx.services.store.renameUser(ctx.user.id, { name, key, displayName: ctx.payload.displayName });
  if (!renamed.ok) throw new ChatError('not_logged_in', 'This user no longer exists; log in again.');
  const user = { ...ctx.user, displayName: renamed.user.displayName };
  announceRename(ctx.services, user, undefined, ctx.socket.id);
  ctx.body = { user: { name: user.name, displayName: user.displayName } };
}
