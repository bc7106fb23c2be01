import type { ChatSocket } from './context';
import { isKeyOf } from '../names';
import type { ChatMessage } from '../protocol';

/**
 * Confirms that one socket received the private messages sent to its user, so that only messages some socket
 * really got are marked delivered (issue 8), without asking clients to ack (the tutorial's client never does).
 *
 * Engine.IO delivers a connection's packets in order, over WebSocket and long-polling alike, so a heartbeat
 * packet the client answers proves that everything written before it has reached the client:
 * - Engine.IO 4: the server pings and the client pongs. The pong proves the ping, and every message
 *   written before that ping, arrived.
 * - Engine.IO 3 (socket.io-client 2, with ALLOW_EIO3): the client pings and the server pongs. The client sends
 *   its next ping only once it has the previous pong (engine.io-client 3 schedules it from the pong), so a
 *   ping proves that the server's previous pong, and every message written before it, arrived. (A client
 *   that pinged on a fixed clock regardless of pongs would weaken this to "almost surely".)
 * A message still unconfirmed when the connection ends stays undelivered and is sent again at the user's
 * next login (at least once).
 */
export function trackDeliveries(socket: ChatSocket, userKey: string, confirm: (ids: number[]) => void): () => void {
  const engine = socket.conn;
  const [sent, answered] = engine.protocol === 3 ? ['pong', 'ping'] : ['ping', 'pong'];
  /** Ids written to this connection and not yet confirmed, in the order written. */
  const unconfirmed: number[] = [];
  /** How many of `unconfirmed` were written before the last heartbeat packet the server sent. */
  let beforeSent = 0;

  const onSent = (packet: { type: string }) => {
    if (packet.type === sent) beforeSent = unconfirmed.length;
  };
  const onAnswered = (packet: { type: string }) => {
    if (packet.type !== answered || beforeSent === 0) return;
    const ids = unconfirmed.splice(0, beforeSent);
    beforeSent = 0;
    if (unconfirmed.length === 0) watch(false);
    confirm(ids);
  };
  // Watch packets only while something waits for confirmation: every packet passes through these listeners.
  const watch = (on: boolean) => {
    engine[on ? 'on' : 'off']('packetCreate', onSent);
    engine[on ? 'on' : 'off']('packet', onAnswered);
  };
  const onOutgoing = (event: string, message: ChatMessage) => {
    if (event !== 'privateMsg' || !('to' in message) || !isKeyOf(userKey, message.to)) return;
    if (unconfirmed.length === 0) watch(true);
    unconfirmed.push(message.id);
  };

  socket.onAnyOutgoing(onOutgoing);
  return () => {
    socket.offAnyOutgoing(onOutgoing);
    watch(false);
  };
}
