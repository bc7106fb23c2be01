/**
 * Which users have at least one live socket.
 *
 * Guarantees: `add` reports true exactly once per offline→online transition of a user and `remove` true
 * exactly once per online→offline transition, however many sockets (tabs, devices) come and go in between.
 * Users are told apart by id: a retired user and the new holder of its name are two users. A socket added
 * with another name for a user already online (renamed meanwhile, issue 21) makes that the name `online` lists.
 * Delivery never consults this registry (it goes through per-user rooms); it only answers "who is online".
 *
 * Implementations: memory.ts for one process; redis.ts for a cluster of nodes sharing Redis, which keeps the
 * guarantees cluster-wide (each transition is decided by one Lua script and reported to one node) with
 * these differences, each detailed in redis.ts:
 * - A node that dies without closing is noticed when its heartbeat expires: by default at most 20 s after
 *   it died (the TTL, 15 s after its last heartbeat, then up to 5 s until the next reaper pass); the node
 *   that reaps it reports its users' going offline through `onExternalChange`, and the app announces them
 *   after its presence window (feed.ts, up to 2 s more): about 22 s at most.
 * - While Redis is unreachable, add/remove resolve false at once (the cluster-wide answer is unknown) and
 *   the reads answer from the node's own sockets; once Redis is back, the transitions that happened
 *   meanwhile are reported through `onExternalChange`, also after Redis lost its data.
 */
export interface Presence {
  /** Records a live socket of `user`; resolves true when the user just came online. */
  add(user: PresenceUser, socketId: string): Promise<boolean>;
  /** Forgets a socket; resolves true when it was the user's last one. */
  remove(user: PresenceUser, socketId: string): Promise<boolean>;
  isOnline(userId: number): Promise<boolean>;
  /** Which of these users are online (one question for a whole page of users). */
  onlineAmong(userIds: number[]): Promise<Set<number>>;
  /** How many live sockets the user has (on every node); for MAX_SOCKETS_PER_USER. */
  socketCount(userId: number): Promise<number>;
  /** Names of online users, sorted by name (names.ts, `sortByName`); the first `limit` of them when given. */
  online(limit?: number): Promise<string[]>;
  onlineCount(): Promise<number>;
  /**
   * Transitions the registry discovered itself rather than through this process's add/remove: in a cluster,
   * the users of a node that died went offline, or a resync after the registry's storage was lost changed
   * who is online. Exactly one process hears each such transition, so it announces it (as add/remove's
   * `true` results are announced by their caller). Returns the unsubscribe function.
   */
  onExternalChange(listener: (changes: PresenceTransition[]) => void): () => void;
  /** Stops timers and connections; the registry is not used afterwards. */
  close(): Promise<void>;
}

export interface PresenceTransition {
  user: PresenceUser;
  online: boolean;
}

export interface PresenceUser {
  id: number;
  key: string;
  name: string;
}
