import { claimName, type Claim, type ClaimForm } from '../identity';
import { LOGIN_ONLINE_LIMIT, MAX_SYNC_PAGE, type LoginResult, type SessionUser } from '../protocol';
import { userRoom, type ChatSocket, type Services } from './context';
import type { Session } from './session';

/**
 * The steps every login takes once its claim succeeded, whether it came with the handshake (`auth`) or as a
 * `login` event: bind the socket (session, room, presence), answer, then welcome it.
 */
export interface SignedIn {
  user: SessionUser;
  result: LoginResult;
  /** False when the socket was already logged in as this user (a repeated login): nothing to welcome. */
  fresh: boolean;
  cameOnline: boolean;
}

/** Claims `name` with this app's rules (identity.ts), for the `login` event and the handshake alike. */
export function claim(services: Services, name: string, token: string | undefined, form: ClaimForm): Promise<Claim> {
  const { store, presence, config, now } = services;
  return claimName(name, token, form, {
    store,
    presence,
    now: now(),
    reservationMs: config.nameReservationMs,
    legacyLogin: config.legacyLogin,
    legacyGraceMs: config.legacyGraceMs,
  });
}

/** Binds `session` to the claimed user and builds the answer (the `login` ack or the `session` event). */
export async function signIn(session: Session, claim: Claim, services: Services): Promise<SignedIn> {
  const { io, presence } = services;
  // A predecessor that still had sockets somewhere (only possible if presence lagged) loses them.
  if (claim.replaced !== undefined) io.in(userRoom(claim.replaced)).disconnectSockets(true);
  const user: SessionUser = { id: claim.user.id, name: claim.user.name, key: claim.user.key };
  const current = session.user;
  const fresh = current?.id !== user.id;
  let cameOnline = false;
  if (fresh) {
    if (current) await session.end({ seen: true }); // same name, but the user behind it changed
    cameOnline = await session.begin(user);
  }
  const [online, onlineCount] = await Promise.all([presence.online(LOGIN_ONLINE_LIMIT), presence.onlineCount()]);
  const result: LoginResult = { user: { name: user.name }, ...(claim.token && { token: claim.token }), online, onlineCount };
  return { user, result, fresh, cameOnline };
}

/**
 * After the answer: the welcome notice, the presence announcement, the private messages no socket of the
 * user has confirmed yet, and then the events that waited for this login (session.ts).
 */
export async function welcome(session: Session, { user, fresh, cameOnline }: SignedIn, services: Services): Promise<void> {
  if (!fresh) return;
  const { socket } = session;
  const { now, metrics, presenceFeed } = services;
  socket.emit('msg1', { type: 'welcome', text: `Welcome, ${user.name}!`, ts: now() });
  metrics.eventsOut.inc({ event: 'msg1' });
  if (cameOnline) presenceFeed.changed(user.name, true);
  await sendUndelivered(socket, user, services);
  await session.releaseParked();
}

/**
 * Sends this socket every private message to `user` that no socket of the user is known to have received,
 * oldest first, all of them, a page at a time. Marking them delivered is left to the client's `received`
 * event or the socket's delivery tracker (delivery-tracker.ts): a message counts as delivered only once a
 * socket proved it got it.
 */
async function sendUndelivered(socket: ChatSocket, user: SessionUser, { store, metrics }: Services): Promise<void> {
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
