import type { Presence, PresenceUser } from './presence';

/** Presence for a single node: a map from user key to that user's socket ids. */
export class MemoryPresence implements Presence {
  private readonly sockets = new Map<string, { name: string; ids: Set<string> }>();
  /** The sorted names, kept until a user comes or goes (logins ask for it; sorting N names each time showed up in profiles). */
  private sorted: string[] | undefined;

  async add(user: PresenceUser, socketId: string): Promise<boolean> {
    const entry = this.sockets.get(user.key);
    if (entry) {
      entry.ids.add(socketId);
      return false;
    }
    this.sockets.set(user.key, { name: user.name, ids: new Set([socketId]) });
    this.sorted = undefined;
    return true;
  }

  async remove(user: PresenceUser, socketId: string): Promise<boolean> {
    const entry = this.sockets.get(user.key);
    if (!entry || !entry.ids.delete(socketId)) return false;
    if (entry.ids.size > 0) return false;
    this.sockets.delete(user.key);
    this.sorted = undefined;
    return true;
  }

  async isOnline(key: string): Promise<boolean> {
    return this.sockets.has(key);
  }

  async online(limit?: number): Promise<string[]> {
    this.sorted ??= [...this.sockets.keys()].sort().map((key) => this.sockets.get(key)!.name);
    return limit === undefined ? this.sorted : this.sorted.slice(0, limit);
  }

  async onlineCount(): Promise<number> {
    return this.sockets.size;
  }
}
