import type { ChatSocket } from './context';
import { isKeyOf } from '../names';
import type { ChatMessage } from '../protocol';

/**
 * Confirms that one socket received the private messages sent to its user, so that only messages some socket
 * really got are marked delivered (issue 8), without asking clients to ack (the tutorial's client never does).
 *
 * Engine.IO delivers a connection's packets in order, over WebSocket and long-polling alike, and a client
 * answers a ping only after handling everything sent before it. So once the pong to a ping arrives, every
 * message written to the connection before that ping has reached the client. A message still unconfirmed
 * when the connection ends stays undelivered and is sent again at the user's next login (at least once).
 */
export function trackDeliveries(socket: ChatSocket, userKey: string, confirm: (ids: number[]) => void): () => void {
  const engine = socket.conn;
  /** Ids written to this connection and not yet confirmed, in the order written. */
  const unconfirmed: number[] = [];
  /** How many of `unconfirmed` were written before the last ping. */
  let beforePing = 0;

  const onPacket = (packet: { type: string }) => {
    if (packet.type === 'ping') beforePing = unconfirmed.length;
  };
  const onOutgoing = (event: string, message: ChatMessage) => {
    if (event !== 'privateMsg' || !('to' in message) || !isKeyOf(userKey, message.to)) return;
    // Watch for pings only while something waits for confirmation: every packet passes through this listener.
    if (unconfirmed.length === 0) engine.on('packetCreate', onPacket);
    unconfirmed.push(message.id);
  };
  const onHeartbeat = () => {
    if (beforePing === 0) return;
    const ids = unconfirmed.splice(0, beforePing);
    beforePing = 0;
    if (unconfirmed.length === 0) engine.off('packetCreate', onPacket);
    confirm(ids);
  };

  socket.onAnyOutgoing(onOutgoing);
  engine.on('heartbeat', onHeartbeat);
  return () => {
    socket.offAnyOutgoing(onOutgoing);
    engine.off('heartbeat', onHeartbeat);
    engine.off('packetCreate', onPacket);
  };
}
