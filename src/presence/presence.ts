/**
 * Which users have at least one live socket.
 *
 * Guarantees: `add` reports true exactly once per offline→online transition of a user and `remove` true
 * exactly once per online→offline transition, however many sockets (tabs, devices) come and go in between.
 * Users are told apart by id: a retired user and the new holder of its name are two users.
 * Delivery never consults this registry (it goes through per-user rooms); it only answers "who is online".
 */
export interface Presence {
  /** Records a live socket of `user`; resolves true when the user just came online. */
  add(user: PresenceUser, socketId: string): Promise<boolean>;
  /** Forgets a socket; resolves true when it was the user's last one. */
  remove(user: PresenceUser, socketId: string): Promise<boolean>;
  isOnline(userId: number): Promise<boolean>;
  /** Names of online users, sorted by key; the first `limit` of them when given. */
  online(limit?: number): Promise<string[]>;
  onlineCount(): Promise<number>;
}

export interface PresenceUser {
  id: number;
  key: string;
  name: string;
}
