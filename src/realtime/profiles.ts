import type { SessionUser } from '../protocol';
import { userRoom, type Services } from './context';

/**
 * A user's names changed (issue 21): `profile`, or in JWT mode a token from the host with other names.
 *
 * Everyone hears `profileChanged { name, displayName, formerName? }`, and every connection of the user, on
 * every node, starts showing the new names: a new display name is written into each socket's user (through
 * the adapter to the other nodes, `displayNameChanged`); a new handle ends the user's other connections
 * instead, since presence and rooms know them by it (they reconnect, and log in under the new handle).
 * `except`: the connection that made the change, which binds the new names itself.
 */
export function announceRename(services: Services, user: SessionUser, formerName: string | undefined, except: string): void {
  const { io, now, metrics } = services;
  io.emit('profileChanged', { name: user.name, displayName: user.displayName, ...(formerName !== undefined && { formerName }), ts: now() });
  metrics.eventsOut.inc({ event: 'profileChanged' });
  if (formerName !== undefined) {
    io.in(userRoom(user.id)).except(except).disconnectSockets(true);
    return;
  }
  applyDisplayName(services, user.id, user.displayName);
  if (services.clustered) io.serverSideEmit('displayNameChanged', user.id, user.displayName);
}

/** Writes `displayName` into this node's sockets of user `userId`. */
export function applyDisplayName({ io }: Pick<Services, 'io'>, userId: number, displayName: string): void {
  const room = io.of('/').adapter.rooms.get(userRoom(userId));
  for (const id of room ?? []) {
    const user = io.of('/').sockets.get(id)?.data.user;
    if (user?.id === userId) user.displayName = displayName;
  }
}

/** Listens for other nodes' display-name changes (single node: none ever come). */
export function followDisplayNames(services: Services): void {
  services.io.on('displayNameChanged', (userId, displayName) => applyDisplayName(services, userId, displayName));
}
