import { sortByName } from '../names';
import type { Presence, PresenceTransition, PresenceUser } from './presence';

/** Presence for a single node: a map from user id to that user's socket ids. */
export class MemoryPresence implements Presence {
  private readonly users = new Map<number, { key: string; name: string; sockets: Set<string> }>();
  /** The sorted names, kept until a user comes or goes (logins ask for it; sorting N names each time showed up in profiles). */
  private sorted: string[] | undefined;

  async add(user: PresenceUser, socketId: string): Promise<boolean> {
    const entry = this.users.get(user.id);
    if (entry) {
      entry.sockets.add(socketId);
      // Renamed while online (issue 21): the newest socket's name shows.
      if (entry.name !== user.name || entry.key !== user.key) {
        Object.assign(entry, { name: user.name, key: user.key });
        this.sorted = undefined;
      }
      return false;
    }
    this.users.set(user.id, { key: user.key, name: user.name, sockets: new Set([socketId]) });
    this.sorted = undefined;
    return true;
  }

  async remove(user: PresenceUser, socketId: string): Promise<boolean> {
    const entry = this.users.get(user.id);
    if (!entry || !entry.sockets.delete(socketId)) return false;
    if (entry.sockets.size > 0) return false;
    this.users.delete(user.id);
    this.sorted = undefined;
    return true;
  }

  async isOnline(userId: number): Promise<boolean> {
    return this.users.has(userId);
  }

  async onlineAmong(userIds: number[]): Promise<Set<number>> {
    return new Set(userIds.filter((id) => this.users.has(id)));
  }

  async socketCount(userId: number): Promise<number> {
    return this.users.get(userId)?.sockets.size ?? 0;
  }

  async online(limit?: number): Promise<string[]> {
    this.sorted ??= sortByName(this.users.values(), (u) => u.name).map((u) => u.name);
    return limit === undefined ? this.sorted : this.sorted.slice(0, limit);
  }

  async onlineCount(): Promise<number> {
    return this.users.size;
  }

  /** One process sees every socket: nothing changes behind its back. */
  onExternalChange(_listener: (changes: PresenceTransition[]) => void): () => void {
    return () => undefined;
  }

  async close(): Promise<void> {}
}
