import type { Presence, PresenceUser } from './presence';

/** Presence for a single node: a map from user key to that user's socket ids. */
export class MemoryPresence implements Presence {
  private readonly sockets = new Map<string, { name: string; ids: Set<string> }>();

  async add(user: PresenceUser, socketId: string): Promise<boolean> {
    const entry = this.sockets.get(user.key);
    if (entry) {
      entry.ids.add(socketId);
      return false;
    }
    this.sockets.set(user.key, { name: user.name, ids: new Set([socketId]) });
    return true;
  }

  async remove(user: PresenceUser, socketId: string): Promise<boolean> {
    const entry = this.sockets.get(user.key);
    if (!entry || !entry.ids.delete(socketId)) return false;
    if (entry.ids.size > 0) return false;
    this.sockets.delete(user.key);
    return true;
  }

  async isOnline(key: string): Promise<boolean> {
    return this.sockets.has(key);
  }

  async online(): Promise<string[]> {
    return [...this.sockets.keys()].sort().map((key) => this.sockets.get(key)!.name);
  }
}
