import type { EventEmitter } from 'node:events';
import { addressKey } from './address-key';
import { Tally } from './tally';

/**
 * How long a handshake admitted by `allowRequest` may take to become an Engine.IO connection before its place
 * is given back (a client gone mid-upgrade leaves no event to say so).
 */
export const RESERVATION_MS = 10_000;

/**
 * Live connections per client address on this node (MAX_SOCKETS_PER_ADDRESS, issue 16). The new-connection
 * rate (RATE_LIMIT_CONNECTIONS_PER_ADDRESS) bounds how fast an address opens them, not how many it keeps: idle
 * anonymous sockets cost memory and a file descriptor each, and one address could hold thousands.
 *
 * Guarantee: on one node the cap is exact. A place is taken when a handshake is admitted (before any await, so
 * handshakes arriving together cannot all take the last one), becomes the connection's when Engine.IO opens
 * it, and is given back when that connection closes, when the handshake fails, or RESERVATION_MS after it was
 * admitted if it never became a connection. An address is counted as the other per-address limits count it
 * (address-key.ts: an IPv6 /64 is one address). In a cluster each node counts its own connections: an address
 * spread over k nodes may hold k times the cap (nginx's address hash keeps one address on one node).
 */
export class AddressSockets {
  private readonly held = new Tally<string>();
  /** Admitted handshakes not yet connections, by their request: how to give their place back. */
  private readonly pending = new WeakMap<object, { key: string; timer: NodeJS.Timeout }>();

  constructor(private readonly config: { enabled: boolean; socketsPerAddress: number }) {}

  /** Takes a place for the handshake `request` from `address`; false (taking nothing) when it has none left. */
  reserve(request: object, address: string): boolean {
    if (!this.config.enabled) return true;
    const key = addressKey(address);
    if (this.held.count(key) >= this.config.socketsPerAddress) return false;
    this.held.add(key);
    const timer = setTimeout(() => this.failed(request), RESERVATION_MS).unref();
    this.pending.set(request, { key, timer });
    return true;
  }

  /** The handshake `request` became `connection`: its place is held until the connection closes. */
  opened(request: object, connection: EventEmitter): void {
    const reservation = this.take(request);
    if (reservation) connection.once('close', () => this.held.remove(reservation.key));
  }

  /** The handshake `request` was refused later on, or failed: its place is given back. */
  failed(request: object): void {
    const reservation = this.take(request);
    if (reservation) this.held.remove(reservation.key);
  }

  /** Connections (and admitted handshakes) `address` holds now. */
  count(address: string): number {
    return this.held.count(addressKey(address));
  }

  private take(request: object): { key: string } | undefined {
    const reservation = this.pending.get(request);
    if (!reservation) return undefined;
    this.pending.delete(request);
    clearTimeout(reservation.timer);
    return reservation;
  }
}
