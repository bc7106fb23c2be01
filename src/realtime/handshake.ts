import type { ExtendedError } from 'socket.io';
import { ChatError, errorBody } from '../errors';
import type { Claim } from '../identity';
import type { Slot } from '../limits/socket-slots';
import type { SessionInfo } from '../protocol';
import { handshakeAuthSchema, jwtLoginSchema, parsePayload } from '../schemas';
import type { ChatSocket, Services } from './context';
import { loginResult } from './login-result';
import { claim, claimCode, claimJwt, claimToken } from './sign-in';

/**
 * What a handshake login leaves for the connection handler: the claim, the place it reserved for the socket,
 * and the `session` event, ready to be the connection's first (issue 16).
 */
export interface HandshakeClaim {
  claim: Claim;
  slot: Slot;
  session: SessionInfo;
}

/**
 * Login in the handshake, the Socket.IO convention: `io(url, { auth: { username, token } })`, `{ auth: { token } }`
 * or `{ auth: { code } }` (a sign-in code; in JWT mode, `{ token }` is the host application's JWT). The claim runs in connection middleware, before any packet of the connection is
 * handled, so the packets a client buffered while disconnected are processed as that user. A refused claim
 * refuses the connection: the client gets `connect_error` whose `data` is `{ code, message }`, the same codes as
 * an ack. No `auth` (or `{}`): an anonymous connection, which may still use the `login` event.
 *
 * The claim is only kept here; the connection handler binds the socket once it is really connected
 * (connection.ts), so a client that leaves mid-handshake never appears online. The socket's place under
 * MAX_SOCKETS_PER_USER is reserved here, though, so that a full user is refused with `connect_error` rather
 * than connected and then left without a login; it is released when the binding is done, or when the
 * connection closes first.
 */
export function handshakeLogin(services: Services) {
  const claims = new WeakMap<ChatSocket, HandshakeClaim>();
  /** Engine.IO sessions that already had a Socket.IO connect: the first was counted with the session. */
  const connectedSessions = new WeakSet<object>();

  const middleware = async (socket: ChatSocket, next: (err?: ExtendedError) => void): Promise<void> => {
    const auth = socket.handshake.auth as Record<string, unknown> | undefined;
    const { store, log, limits } = services;
    const address = services.addressOf(socket);
    try {
      // A client may send several connects on one Engine.IO session: each after the first is a new connection.
      if (connectedSessions.has(socket.conn)) await limits.check('connectionsPerAddress', address);
      connectedSessions.add(socket.conn);
      if (!auth || Object.keys(auth).length === 0) return next();
      let claimed: Claim;
      if (services.jwt) {
        claimed = await claimJwt(services, address, parsePayload(jwtLoginSchema, auth).token);
      } else {
        const { name, token, code } = parsePayload(handshakeAuthSchema, auth);
        const { agent } = services.deviceOf(socket);
        if (name !== undefined) claimed = await claim(services, address, name, token, 'username', agent);
        else if (token !== undefined) claimed = await claimToken(services, address, token);
        else if (code !== undefined) claimed = await claimCode(services, address, code, agent);
        else return next();
      }
      const slot = await services.slots.reserve(claimed.user.id).catch(async (err: unknown) => {
        if (claimed.created) await store.releaseUser(claimed.user.id); // refused: nobody gets this token
        throw err;
      });
      if (socket.conn.readyState !== 'open') {
        slot.release();
        // Gone while the claim ran: nobody will ever get this token, so do not keep the name for it.
        if (claimed.created) await store.releaseUser(claimed.user.id);
        return next(refusal(new ChatError('not_logged_in', 'The connection closed during the handshake.')));
      }
      // Socket.IO may still drop the socket before it connects (its connection closed meanwhile).
      socket.conn.once('close', () => slot.release());
      // Ready before the socket connects: from then on it is in every broadcast, and `session` must come first.
      const session = await loginResult(services, claimed, { beforeBinding: true });
      claims.set(socket, { claim: claimed, slot, session });
      next();
    } catch (err) {
      if (!(err instanceof ChatError)) log.error({ err }, 'handshake login failed');
      services.metrics.error(errorBody(err).code);
      next(refusal(err));
    }
  };

  /** The claim the handshake made for `socket`, once (the connection handler binds it). */
  const take = (socket: ChatSocket): HandshakeClaim | undefined => {
    const claim = claims.get(socket);
    claims.delete(socket);
    return claim;
  };

  return { middleware, take };
}

/** A `connect_error` for the client: `message` and `data: { code, message }`, nothing internal. */
function refusal(err: unknown): ExtendedError {
  const body = errorBody(err);
  const error: ExtendedError = new Error(body.message);
  error.data = body;
  return error;
}
