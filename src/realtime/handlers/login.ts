import { ChatError } from '../../errors';
import { claimName } from '../../identity';
import { nameKey } from '../../names';
import { LOGIN_ONLINE_LIMIT, type SessionUser } from '../../protocol';
import { userRoom, type EventContext } from '../context';

/** How many queued private messages one login delivers at most; the rest stay queued for `history`. */
const PENDING_BATCH = 500;

/**
 * `login {username|id, token?}`: binds the socket to a user (see identity.ts for name protection), joins
 * the user's room, and after the ack sends the welcome, announces a newly online user (coalesced, see
 * presence/feed.ts), and delivers private
 * messages that arrived while the user was offline.
 */
export async function login(ctx: EventContext<{ name: string; token?: string }>): Promise<void> {
  const { store, presence, presenceFeed, io, config, now, metrics } = ctx.services;
  const { socket } = ctx;
  const current = socket.data.user;
  if (current && current.key !== nameKey(ctx.payload.name)) {
    throw new ChatError('already_logged_in', `This connection is already logged in as "${current.name}".`);
  }

  const claim = await claimName(ctx.payload.name, ctx.payload.token, {
    store,
    presence,
    now: now(),
    reservationMs: config.nameReservationMs,
  });
  const user: SessionUser = { id: claim.user.id, name: claim.user.name, key: claim.user.key };
  socket.data.user = user;
  socket.join(userRoom(user.key));
  const cameOnline = current ? false : await presence.add(user, socket.id);
  const [online, onlineCount] = await Promise.all([presence.online(LOGIN_ONLINE_LIMIT), presence.onlineCount()]);
  ctx.body = { user: { name: user.name }, token: claim.token, online, onlineCount };
  ctx.log.info({ socket: socket.id, user: user.name, cameOnline }, 'logged in');
  if (current) return;

  ctx.after.push(async () => {
    socket.emit('msg1', { type: 'welcome', text: `Welcome, ${user.name}!`, ts: now() });
    metrics.eventsOut.inc({ event: 'msg1' });
    if (cameOnline) presenceFeed.changed(user.name, true);
    const pending = await store.undelivered(user.id, PENDING_BATCH);
    if (pending.length === 0) return;
    for (const message of pending) io.to(userRoom(user.key)).emit('privateMsg', message);
    metrics.eventsOut.inc({ event: 'privateMsg' }, pending.length);
    await store.markDelivered(pending.map((m) => m.id));
  });
}
