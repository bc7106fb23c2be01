import type { IncomingMessage } from 'node:http';
import { ChatError } from '../errors';
import { clientAddress, trustedHops } from '../client-address';
import { originAllowed } from '../origins';
import type { Services } from './context';

/**
 * How long a new Engine.IO session may go without its Socket.IO connect before the server closes it
 * (Socket.IO's `connectTimeout`, 45 s by default). Real clients send the connect as soon as the session is
 * open; the bundled page in JWT mode first fetches a token from the host, which takes a round trip or two. Ten
 * seconds is generous for both and bounds what a client that opens sessions and never connects can hold.
 */
export const CONNECT_TIMEOUT_MS = 10_000;

type AllowCallback = (message: string | null | undefined, success: boolean) => void;

/** What a client refused by MAX_SOCKETS_PER_ADDRESS reads (in a long-polling handshake's 403 body). */
const TOO_MANY_SOCKETS = 'Too many connections from this address are open; close some first.';

/**
 * Engine.IO's `allowRequest`, run for every new Engine.IO session before the server keeps anything of it
 * (issue 11): the socket origin check (origins.ts), a place among the address's live connections
 * (MAX_SOCKETS_PER_ADDRESS, address-sockets.ts; issue 16), then one point of RATE_LIMIT_CONNECTIONS_PER_ADDRESS. So
 * a bare Engine.IO session that never sends the Socket.IO connect is counted too, and refused once its
 * address is over the limit: with 403 (long-polling) or 400 (WebSocket), which clients see as a transport
 * error and retry with their reconnection back-off. The first Socket.IO connect on a session is covered by
 * this point; further ones on the same session are counted by the handshake (handshake.ts).
 */
export function admitSession(services: Services) {
  return (req: IncomingMessage, callback: AllowCallback): void => {
    const { config, limits, log, metrics, addressSockets } = services;
    if (!originAllowed(req, config)) return callback(null, false);
    const address = clientAddress(req.headers, req.socket.remoteAddress, trustedHops(config));
    // Live connections first (MAX_SOCKETS_PER_ADDRESS): a refused one costs no point of the rate below.
    if (!addressSockets.reserve(req, address)) {
      metrics.error('rate_limited');
      log.debug({ address }, 'new connection refused: too many live connections from this address');
      return callback(TOO_MANY_SOCKETS, false);
    }
    limits.check('connectionsPerAddress', address).then(
      () => callback(null, true),
      (err: unknown) => {
        addressSockets.failed(req);
        if (err instanceof ChatError) {
          metrics.error(err.code);
          log.debug({ address, code: err.code }, 'new connection refused');
          return callback(err.message, false);
        }
        log.error({ err, address }, 'counting a new connection failed');
        metrics.error('internal_error');
        callback(null, false);
      },
    );
  };
}
