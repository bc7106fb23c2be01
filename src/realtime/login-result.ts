import type { Claim } from '../identity';
import { sortByName } from '../names';
import { LOGIN_ONLINE_LIMIT, type LoginResult } from '../protocol';
import type { Services } from './context';

/**
 * What a login answers, in its `login` ack or as the `session` event: the user (handle and display name), the
 * token of its session to keep, who is online (the first LOGIN_ONLINE_LIMIT by name, and how many) and whom the
 * user blocked. `beforeBinding`: asked before the socket is in presence (the handshake's `session`, which must
 * be the connection's first event; issue 16), so the user is counted as online already, as the answer after
 * binding would count it.
 */
export async function loginResult({ presence, store }: Pick<Services, 'presence' | 'store'>, claim: Claim, { beforeBinding = false } = {}): Promise<LoginResult> {
  const [online, onlineCount, counted, blocked] = await Promise.all([
    presence.online(LOGIN_ONLINE_LIMIT),
    presence.onlineCount(),
    beforeBinding ? presence.isOnline(claim.user.id) : Promise.resolve(true),
    store.blockedBy(claim.user.id),
  ]);
  const { name, displayName } = claim.user;
  const result: LoginResult = {
    user: { name, displayName },
    ...(claim.token && { token: claim.token, ...(claim.sessionId && { sessionId: claim.sessionId }) }),
    online,
    onlineCount,
    blocked,
  };
  if (counted) return result;
  return { ...result, online: sortByName([...online, name], (n) => n).slice(0, LOGIN_ONLINE_LIMIT), onlineCount: onlineCount + 1 };
}
