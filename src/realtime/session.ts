import type { SessionUser } from '../protocol';
import { userRoom, type ChatSocket, type Services } from './context';
import { confirmDelivered } from './delivery';
import { trackDeliveries } from './delivery-tracker';

/**
 * The login state of one socket: which user it acts as, its membership in that user's room, its presence,
 * and the tracking of what it received. `begin` and `end` are the only ways in and out, so these always
 * change together.
 */
export class Session {
  private stopTracking: (() => void) | undefined;

  constructor(
    readonly socket: ChatSocket,
    private readonly services: Services,
  ) {}

  get user(): SessionUser | undefined {
    return this.socket.data.user;
  }

  /** Binds the socket to `user`; resolves true when the user just came online. */
  async begin(user: SessionUser): Promise<boolean> {
    const { presence, log } = this.services;
    this.socket.data.user = user;
    this.socket.join(userRoom(user.id));
    this.stopTracking = trackDeliveries(this.socket, user.key, (ids) => {
      confirmDelivered(this.services, user.id, ids).catch((err) => log.error({ err, socket: this.socket.id }, 'marking delivered failed'));
    });
    return presence.add(user, this.socket.id);
  }

  /**
   * Detaches the socket from its user (logout or disconnect); resolves true when that was the user's last
   * socket. `seen` records the user as seen now (unless released: see ChatStore.seenUsers).
   */
  async end({ seen }: { seen: boolean }): Promise<{ user: SessionUser; wentOffline: boolean } | undefined> {
    const user = this.socket.data.user;
    if (!user) return undefined;
    const { presence, presenceFeed, store, now } = this.services;
    this.socket.data.user = undefined;
    this.stopTracking?.();
    this.stopTracking = undefined;
    this.socket.leave(userRoom(user.id));
    const wentOffline = await presence.remove(user, this.socket.id);
    if (wentOffline) presenceFeed.changed(user.name, false);
    if (seen) await store.seenUsers([user.id], now());
    return { user, wentOffline };
  }
}
