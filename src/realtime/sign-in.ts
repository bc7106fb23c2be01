import { ChatError } from '../errors';
import { claimVouched } from '../auth/accounts';
import { JwtError } from '../auth/jwt';
import { claimByToken, claimName, type Claim, type ClaimForm } from '../identity';
import type { Slot } from '../limits/socket-slots';
import { nameKey } from '../names';
import { MAX_SYNC_PAGE, type SessionUser } from '../protocol';
import { claimByCode } from '../sign-in-codes';
import { unprovenRoom, userRoom, type ChatSocket, type Services } from './context';
import { announceRename } from './profiles';
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
export async function claim(services: Services, address: string, name: string, token: string | undefined, form: ClaimForm, agent = ''): Promise<Claim> {
  const { store, presence, config, now, limits } = services;
  await limits.check('loginsPerAddress', address);
  const login = async () =>
    unlessBanned(services, await claimName(name, token, form, {
      store,
      presence,
      now: now(),
      device: { address, agent },
      reservationMs: config.nameReservationMs,
      legacyLogin: config.legacyLogin,
      legacyGraceMs: config.legacyGraceMs,
    }));
  if (token === undefined) return login();
  return limits.countingWrongTokens(address, nameKey(name), login, (err) => err instanceof ChatError && err.code === 'username_taken');
}

/** A login by token alone (handshake `auth: { token }`), within the same limits. */
export async function claimToken(services: Services, address: string, token: string): Promise<Claim> {
  const { store, now, limits } = services;
  await limits.check('loginsPerAddress', address);
  const login = async () => unlessBanned(services, await claimByToken(token, { store, now: now() }));
  return limits.countingWrongTokens(address, undefined, login, (err) => err instanceof ChatError && err.code === 'unauthorized');
}

/**
 * A login with a sign-in code (`login { code }`, handshake `auth: { code }`), within the same limits: a wrong,
 * expired or used code counts as a wrong token of `address` (sign-in-codes.ts).
 */
export async function claimCode(services: Services, address: string, code: string, agent = ''): Promise<Claim> {
  const { store, now, limits } = services;
  await limits.check('loginsPerAddress', address);
  const login = async () => unlessBanned(services, await claimByCode(code, { store, now: now(), device: { address, agent } }));
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
      const verified = await jwt.verify(token);
      if (verified.displayNameProblem) log.info({ problem: verified.displayNameProblem, address }, 'JWT display name not used');
      const claimed = await unlessBanned(services, await claimVouched(verified, { store, now: now() }));
      if (claimed.refusedHandle) log.warn({ user: claimed.user.name, refused: verified.username }, 'JWT handle not taken: another user holds it');
      return claimed;
    } catch (err) {
      if (err instanceof JwtError) log.info({ reason: err.reason, detail: err.detail, address }, 'JWT refused');
      throw err;
    }
  };
  return limits.countingWrongTokens(address, undefined, login, (err) => err instanceof JwtError && err.reason !== 'expired');
}

/** The claim, unless its user is banned (issue 19): then `banned`, with the operator's reason. */
async function unlessBanned<C extends Claim>({ store }: Services, claimed: C): Promise<C> {
  const ban = await store.banOf(claimed.user.id);
  if (ban) throw bannedError(ban.reason);
  return claimed;
}

export function bannedError(reason: string | null): ChatError {
  return new ChatError('banned', `This account is banned${reason ? `: ${reason}` : '.'}`);
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
  const user: SessionUser = { id: claim.user.id, name: claim.user.name, key: claim.user.key, displayName: claim.user.displayName };
  // The host renamed the user (JWT mode): the others hear of it, and the user's other connections are updated.
  if (claim.renamed) announceRename(services, user, claim.renamed.formerName, session.socket.id);
  // A new user has read the public timeline so far: its unread count starts at what comes next (store/reads.ts).
  if (claim.created) await services.store.markRead(user.id, { kind: 'public' }, Number.MAX_SAFE_INTEGER);
  // Joined a provisional name without its token: ends when the owner secures the name (issue 16).
  const unproven = claim.user.provisional && claim.token === undefined && !claim.created;
  if (claim.token !== undefined) session.socket.leave(unprovenRoom(user.id)); // this socket proved it now
  if (claim.secured) endUnproven(services, user);
  const current = session.user;
  // A new handle (JWT mode) binds anew too: presence and rooms know the socket by the old one.
  const fresh = current?.id !== user.id || current.name !== user.name;
  let cameOnline = false;
  let slot = reserved;
  try {
    if (fresh) {
      slot ??= await slots.reserve(user.id);
      if (current) await session.end({ seen: true }); // same name, but the user behind it changed
      cameOnline = await session.begin(user, { unproven });
      // A ban committed after the claim was checked, before this socket was in the user's room (where the ban's
      // disconnection reaches it): caught here, since the ban committed before that disconnection was sent.
      const ban = await services.store.banOf(user.id);
      if (ban) {
        await session.end({ seen: false });
        throw bannedError(ban.reason);
      }
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
  // In the session's room before its row is read again: ending the session after this read reaches this
  // socket through the room, ending it before makes the read fail (store/sessions.ts).
  await session.device(claim.sessionId, services.deviceOf(session.socket));
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
