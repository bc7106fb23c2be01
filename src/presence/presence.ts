/**
 * Which users have at least one live socket.
 *
 * Guarantees: `add` reports true exactly once per offline→online transition of a user and `remove` true
 * exactly once per online→offline transition, however many sockets (tabs, devices) come and go in between.
 * Delivery never consults this registry (it goes through per-user rooms); it only answers "who is online"
 * and "did a recipient have a live socket when a message was sent".
 */
export interface Presence {
  /** Records a live socket of `user`; resolves true when the user just came online. */
  add(user: PresenceUser, socketId: string): Promise<boolean>;
  /** Forgets a socket; resolves true when it was the user's last one. */
  remove(user: PresenceUser, socketId: string): Promise<boolean>;
  isOnline(key: string): Promise<boolean>;
  /** Names of online users, sorted by key; the first `limit` of them when given. */
  online(limit?: number): Promise<string[]>;
  onlineCount(): Promise<number>;
}

export interface PresenceUser {
  key: string;
  name: string;
}
