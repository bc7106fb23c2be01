import { ChatError } from '../errors';
import { JwtError } from '../auth/jwt';
import { claimByToken, claimName, claimVouched, type Claim, type ClaimForm } from '../identity';
import type { Slot } from '../limits/socket-slots';
import { nameKey } from '../names';
import { MAX_SYNC_PAGE, type SessionUser } from '../protocol';
import { unprovenRoom, userRoom, type ChatSocket, type Services } from './context';
import type { Session } from './session';

/**
 * The steps every login takes once its claim succeeded, whether it came with the handshake (`auth`) or as a
 * `login` event: bind the socket (session, room, presence), answer (login-result.ts), then welcome it.
 */
export interface SignedIn {
  user: SessionUser;
  /** False when the socket was already logged in as this user (a repeated login): nothing to welcome. */
  fresh: boolean;
  cameOnline: boolean;
}

/**
 * Claims `name` with this app's rules (identity.ts), for the `login` event and the handshake alike, within the
 * login limits of `address`: attempts per address, and wrong tokens per address and per name.
 */
export async function claim(services: Services, address: string, name: string, token: string | undefined, form: ClaimForm): Promise<Claim> {
  const { store, presence, config, now, limits } = services;
  await limits.check('loginsPerAddress', address);
  const login = () =>
    claimName(name, token, form, {
      store,
      presence,
      now: now(),
      reservationMs: config.nameReservationMs,
      legacyLogin: config.legacyLogin,
      legacyGraceMs: config.legacyGraceMs,
    });
  if (token === undefined) return login();
  return limits.countingWrongTokens(address, nameKey(name), login, (err) => err instanceof ChatError && err.code === 'username_taken');
}

/** A login by token alone (handshake `auth: { token }`), within the same limits. */
export async function claimToken(services: Services, address: string, token: string): Promise<Claim> {
  const { store, now, limits } = services;
  await limits.check('loginsPerAddress', address);
  const login = () => claimByToken(token, { store, now: now() });
  return limits.countingWrongTokens(address, undefined, login, (err) => err instanceof ChatError && err.code === 'unauthorized');
}

/**
 * JWT mode: a login with the host application's token (handshake `auth: { token }` or `login { token }`),
 * within the same limits; a forged or malformed token counts as a wrong token, an expired one does not.
 */
export async function claimJwt(services: Services, address: string, token: string): Promise<Claim> {
  const { jwt, limits, store, now, log } = services;
  if (!jwt) throw new ChatError('unauthorized', 'This chat does not sign in with tokens from a host application.');
  await limits.check('loginsPerAddress', address);
  const login = async () => {
    try {
      const { username, expiresAt } = await jwt.verify(token);
      return await claimVouched(username, expiresAt, { store, now: now() });
    } catch (err) {
      if (err instanceof JwtError) log.info({ reason: err.reason, detail: err.detail, address }, 'JWT refused');
      throw err;
    }
  };
  return limits.countingWrongTokens(address, undefined, login, (err) => err instanceof JwtError && err.reason !== 'expired');
}

/**
 * Binds `session` to the claimed user. The socket takes one of the user's MAX_SOCKETS_PER_USER places: `reserved` when the handshake already took it,
 * else one reserved here (refused `rate_limited` when none is left); the reservation ends once the socket is
 * in presence, or when binding fails.
 */
export async function signIn(session: Session, claim: Claim, services: Services, reserved?: Slot): Promise<SignedIn> {
  const { io, slots } = services;
  // A predecessor that still had sockets somewhere (only possible if presence lagged) loses them.
  if (claim.replaced !== undefined) io.in(userRoom(claim.replaced)).disconnectSockets(true);
  const user: SessionUser = { id: claim.user.id, name: claim.user.name, key: claim.user.key };
  // Joined a provisional name without its token: ends when the owner secures the name (issue 16).
  const unproven = claim.user.provisional && claim.token === undefined && !claim.created;
  if (claim.token !== undefined) session.socket.leave(unprovenRoom(user.id)); // this socket proved it now
  if (claim.secured) endUnproven(services, user);
  const current = session.user;
  const fresh = current?.id !== user.id;
  let cameOnline = false;
  let slot = reserved;
  try {
    if (fresh) {
      slot ??= await slots.reserve(user.id);
      if (current) await session.end({ seen: true }); // same name, but the user behind it changed
      cameOnline = await session.begin(user, { unproven });
      // The owner may have secured the name since this login joined it, before this socket was in the room
      // that announcement ended: read again, now that it is.
      if (unproven && !(await stillProvisional(services, claim.user))) {
        await session.end({ seen: false });
        throw new ChatError('username_taken', `The name "${user.name}" was just secured by its owner; pick another name.`);
      }
    }
  } finally {
    slot?.release(); // the socket is in presence now (or binding failed): the reservation has done its work
  }
  // A JWT's session ends when the token does; a login with a fresh token (the same user) moves the end.
  if (claim.expiresAt !== undefined) session.expireAt(claim.expiresAt, () => expire(session, services));
  return { user, fresh, cameOnline };
}

/**
 * `signIn`, for a socket that is still connected once it is done. A socket can leave before or while the
 * sign-in awaits presence: nobody receives the answer then, so a name this claim created is given back (its
 * token would be held by nobody; issue 8) and the result is undefined. The socket's disconnect bookkeeping,
 * queued behind, ends whatever the sign-in bound.
 */
export async function signInConnected(session: Session, claim: Claim, services: Services, slot?: Slot): Promise<SignedIn | undefined> {
  if (!session.socket.connected) slot?.release(); // signIn releases it otherwise
  const signedIn = session.socket.connected ? await signIn(session, claim, services, slot) : undefined;
  if (signedIn && session.socket.connected) return signedIn;
  if (claim.created) await services.store.releaseUser(claim.user.id);
  return undefined;
}

/**
 * The owner of `user`'s provisional name proved it: every connection that joined the name without the token,
 * on every node (the room is the adapter's), is told and disconnected. Tutorial clients reconnect and log in
 * with `{ id }` again, which the now reserved name refuses.
 */
function endUnproven({ io, now, log }: Services, user: SessionUser): void {
  const unproven = io.in(unprovenRoom(user.id));
  const text = `The owner of "${user.name}" secured the name with its token; log in with another name.`;
  unproven.emit('msg1', { type: 'error', code: 'username_taken', text, ts: now() });
  unproven.disconnectSockets(true);
  log.info({ user: user.name }, 'name secured: connections that joined it without the token end');
}

/** Whether `user` is still the provisional holder of its key. */
async function stillProvisional({ store }: Services, user: { id: number; key: string }): Promise<boolean> {
  const now = await store.findUser(user.key);
  return now?.id === user.id && now.provisional;
}

/** The token behind a session expired: say so, and disconnect (the client reconnects with a fresh token). */
function expire(session: Session, { now, log }: Services): void {
  const { socket } = session;
  log.info({ socket: socket.id, user: session.user?.name }, 'session expired');
  socket.emit('msg1', { type: 'error', code: 'session_expired', text: 'Your sign-in expired; reconnect with a fresh token.', ts: now() });
  socket.disconnect(true);
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
  if (cameOnline) presenceFeed.changed(user, true);
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
