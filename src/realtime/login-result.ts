import type { Claim } from '../identity';
import { sortByName } from '../names';
import { LOGIN_ONLINE_LIMIT, type LoginResult } from '../protocol';
import type { Services } from './context';

/**
 * What a login answers, in its `login` ack or as the `session` event: the user, the token to keep, and who is
 * online (the first LOGIN_ONLINE_LIMIT by name, and how many). `beforeBinding`: asked before the socket is in
 * presence (the handshake's `session`, which must be the connection's first event; issue 16), so the user is
 * counted as online already, as the answer after binding would count it.
 */
export async function loginResult({ presence }: Pick<Services, 'presence'>, claim: Claim, { beforeBinding = false } = {}): Promise<LoginResult> {
  const [online, onlineCount, counted] = await Promise.all([
    presence.online(LOGIN_ONLINE_LIMIT),
    presence.onlineCount(),
    beforeBinding ? presence.isOnline(claim.user.id) : Promise.resolve(true),
  ]);
  const { name } = claim.user;
  const token = claim.token === undefined ? {} : { token: claim.token };
  if (counted) return { user: { name }, ...token, online, onlineCount };
  const withSelf = sortByName([...online, name], (n) => n).slice(0, LOGIN_ONLINE_LIMIT);
  return { user: { name }, ...token, online: withSelf, onlineCount: onlineCount + 1 };
}
