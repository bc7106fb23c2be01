/**
 * JWT mode for the event fuzz suite (issue 11): `login` payloads built around tokens signed as a host would
 * (for valid and invalid names), and tokens that must never log anyone in (forged, expired, foreign issuer or
 * audience, unsigned, tampered, malformed), in every shape and argument form; the mode that runs them.
 */
import fc from 'fast-check';
import { SignJWT, UnsecuredJWT } from 'jose';
import { loadConfig } from '../../src/config';
import type { Mode } from './event-run';
import { JWT_EDGES } from './edges';
import { jwtLoginRefusals } from './model';
import { commandFor, hostileValue, oddKey, oddString, ownObject, withinPacketLimit, type Command } from './payloads';

const SECRET = 'a-secret-the-fuzzed-host-signs-with-0123456789';
const ISSUER = 'https://host.example';
const AUDIENCE = 'chat';
export const JWT_ENV = { AUTH_MODE: 'jwt', JWT_SECRET: SECRET, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE };

interface Claims {
  name?: unknown;
  exp?: number | null;
  iat?: number;
  issuer?: string;
  audience?: string;
  secret?: string;
  /** `sub`: by default one account per name; null for none. */
  subject?: string | null;
}

/** A token as the host signs it (HS256), with `claims` overriding the right values. */
export function hostToken({ name, exp, iat, issuer = ISSUER, audience = AUDIENCE, secret = SECRET, subject }: Claims): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const sub = subject === undefined ? `account-of-${JSON.stringify(name)}` : subject;
  const jwt = new SignJWT({ ...(name !== undefined && { preferred_username: name }), ...(sub !== null && { sub }) })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt(iat ?? now);
  if (exp !== null) jwt.setExpirationTime(exp ?? now + 3600);
  return jwt.sign(new TextEncoder().encode(secret));
}

/** Tokens for a run, made once (signing is asynchronous, arbitraries are not). */
export interface TokenPool {
  /** Signed by the host for acceptable names: may log in. */
  good: string[];
  /** Signed by the host, but for a name the chat refuses: never log in. */
  badName: string[];
  /** Forged, expired, not the host's, unsigned, tampered or malformed: never log in. */
  forged: string[];
}

export async function tokenPool(): Promise<TokenPool> {
  const now = Math.floor(Date.now() / 1000);
  // docs/auth.md: the host's name must be a valid chat name; the script rules of new names in the open mode
  // are not applied to it (the host vouches for its users), so a mixed-script name logs in.
  const good = await Promise.all(['witness', 'round-trip', 'fuzzed', 'zoë', '名前', 'x'.repeat(32), 'аlice'].map((name) => hostToken({ name })));
  const badName = await Promise.all(['', ' ', 'x'.repeat(33), 'a b', 'a\u0000b', 42, null, ['witness']].map((name) => hostToken({ name })));
  const valid = await hostToken({ name: 'fuzzed' });
  const [head, body, signature] = valid.split('.');
  const tampered = `${head}.${Buffer.from(JSON.stringify({ preferred_username: 'witness', iss: ISSUER, aud: AUDIENCE, exp: now + 3600 })).toString('base64url')}.${signature}`;
  const forged = [
    await hostToken({ name: 'witness', secret: 'not-the-host-secret-but-long-enough-1234' }),
    await hostToken({ name: 'witness', exp: now - 3600 }),
    await hostToken({ name: 'witness', exp: null }),
    await hostToken({ name: 'witness', iat: now + 3600 }),
    await hostToken({ name: 'witness', issuer: 'https://elsewhere.example' }),
    await hostToken({ name: 'witness', audience: 'another-app' }),
    await hostToken({}),
    await hostToken({ name: 'witness', subject: null }),
    await hostToken({ name: 'witness', subject: '' }),
    new UnsecuredJWT({ preferred_username: 'witness' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime(now + 3600).encode(),
    tampered,
    `${head}.${body}`,
    `${head}.${body}.`,
    'not.a.jwt',
    ...JWT_EDGES, // lengths 0, 1, 8192 and 8193, in wide characters too (edges.ts)
  ];
  return { good, badName, forged };
}

/** `login` commands around the pool's tokens, in every payload and argument shape. */
export function jwtLoginCommand(pool: TokenPool): fc.Arbitrary<Command> {
  const token = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...pool.good) },
    { weight: 2, arbitrary: fc.constantFrom(...pool.badName) },
    { weight: 4, arbitrary: fc.constantFrom(...pool.forged) },
    { weight: 1, arbitrary: oddString },
    { weight: 1, arbitrary: hostileValue },
  );
  const payload = fc.oneof(
    { weight: 6, arbitrary: token.map((t) => ({ token: t })) },
    { weight: 1, arbitrary: fc.tuple(token, oddKey, hostileValue).map(([t, key, value]) => ownObject([['token', t], [key, value]])) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('username', 'id'), fc.oneof(fc.constantFrom('witness', 'round-trip'), oddString), fc.option(token)).map(([key, name, t]) => (t === null ? { [key]: name } : { [key]: name, token: t })) },
    { weight: 1, arbitrary: fc.constant({}) },
    { weight: 1, arbitrary: hostileValue },
  );
  return commandFor(fc.constant('login'), payload).filter(withinPacketLimit);
}

/** JWT mode: users log in with the host's tokens; a token from the pool's bad lists must never be accepted. */
export function jwtMode(pool: TokenPool): Mode {
  const refused = new Set([...pool.badName, ...pool.forged]);
  const tokenOf = (command: Command) => {
    const payload = command.args[0] as { token?: unknown } | undefined;
    return typeof payload === 'object' && payload !== null ? payload.token : undefined;
  };
  return {
    config: { auth: loadConfig(JWT_ENV).auth },
    loginPayload: async (name) => ({ token: await hostToken({ name }) }),
    refusals: (event, input) => (event === 'login' ? jwtLoginRefusals(input) : new Set()),
    mayCreateUser: (command) => pool.good.includes(tokenOf(command) as string),
    outcomeProblem: (command, accepted) => {
      const token = tokenOf(command);
      return accepted && typeof token === 'string' && refused.has(token) ? 'a token that must never log in was accepted' : undefined;
    },
  };
}
