import { ChatError } from '../../errors';
import { claimName } from '../../identity';
import { isKeyOf } from '../../names';
import { LOGIN_ONLINE_LIMIT, MAX_SYNC_PAGE, type SessionUser } from '../../protocol';
import { userRoom, type ChatSocket, type EventContext, type Services } from '../context';

/**
 * `login {username|id, token?}`: binds the socket to a user (see identity.ts for name protection), joins
 * the user's room, and after the ack sends the welcome, announces a newly online user (coalesced, see
 * presence/feed.ts), and sends the private messages no socket of the user has received yet.
 */
export async function login(ctx: EventContext<{ name: string; token?: string }>): Promise<void> {
  const { store, presence, presenceFeed, io, config, now, metrics } = ctx.services;
  const { socket, session } = ctx;
  const current = session.user;
  if (current && !isKeyOf(current.key, ctx.payload.name)) {
    throw new ChatError('already_logged_in', `This connection is already logged in as "${current.name}".`);
  }

  const claim = await claimName(ctx.payload.name, ctx.payload.token, {
    store,
    presence,
    now: now(),
    reservationMs: config.nameReservationMs,
  });
  if (!socket.connected) {
    // Gone while the claim ran: nobody will ever get this token, so do not keep the name for it.
    if (claim.created) await store.releaseUser(claim.user.id);
    return;
  }
  // A predecessor that still had sockets somewhere (only possible if presence lagged) loses them.
  if (claim.replaced !== undefined) io.in(userRoom(claim.replaced)).disconnectSockets(true);

  const user: SessionUser = { id: claim.user.id, name: claim.user.name, key: claim.user.key };
  const cameOnline = current ? false : await session.begin(user);
  const [online, onlineCount] = await Promise.all([presence.online(LOGIN_ONLINE_LIMIT), presence.onlineCount()]);
  ctx.body = { user: { name: user.name }, token: claim.token, online, onlineCount };
  ctx.log.info({ socket: socket.id, user: user.name, cameOnline }, 'logged in');
  if (current) return;

  ctx.after.push(async () => {
    socket.emit('msg1', { type: 'welcome', text: `Welcome, ${user.name}!`, ts: now() });
    metrics.eventsOut.inc({ event: 'msg1' });
    if (cameOnline) presenceFeed.changed(user.name, true);
    await sendUndelivered(socket, user, ctx.services);
  });
}

/**
 * Sends this socket every private message to `user` that no socket of the user is known to have received,
 * oldest first, all of them, a page at a time. Marking them delivered is left to the client's `received`
 * event or the socket's delivery tracker (delivery-tracker.ts): a message counts as delivered only once a
 * socket proved it got it.
 */
export async function sendUndelivered(socket: ChatSocket, user: SessionUser, { store, metrics }: Services): Promise<void> {
  let after = 0;
  for (;;) {
    const page = await store.undelivered(user.id, after, MAX_SYNC_PAGE);
    if (page.length === 0 || !socket.connected) return;
    for (const message of page) socket.emit('privateMsg', message);
    metrics.eventsOut.inc({ event: 'privateMsg' }, page.length);
    if (page.length < MAX_SYNC_PAGE) return;
    after = page[page.length - 1].id;
  }
}
