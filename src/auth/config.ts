/**
 * How users prove who they are, read from AUTH_MODE and the JWT_* variables. loadConfig (src/config.ts) hands
 * over the variables that are set; every problem found is reported, each naming its variable, and none of
 * them ever quotes the secret. Key files are read and parsed here, at start-up, never per connection.
 */
import crypto, { type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { z } from 'zod';
import {
  ALGORITHM_KEY,
  DEFAULT_ALGORITHM,
  SUPPORTED_ALGORITHMS,
  MIN_SECRET_BYTES,
  readJwksFile,
  readPublicKeyFile,
  type JwtAlgorithm,
  type KeyKind,
} from './keys';

export type { JwtAlgorithm } from './keys';

const KEY_VARIABLES = ['JWT_SECRET', 'JWT_PUBLIC_KEY_FILE', 'JWT_JWKS_FILE'] as const;
const JWT_VARIABLES = [
  ...KEY_VARIABLES,
  'JWT_ALGORITHMS',
  'JWT_ISSUER',
  'JWT_AUDIENCE',
  'JWT_USERNAME_CLAIM',
  'JWT_DISPLAY_NAME_CLAIM',
  'JWT_CLOCK_TOLERANCE_SECONDS',
  'JWT_TOKEN_URL',
] as const;
/** Every variable this module reads. */
export const AUTH_VARIABLES = ['AUTH_MODE', ...JWT_VARIABLES] as const;
export type AuthVariable = (typeof AUTH_VARIABLES)[number];

export const AUTH_DEFAULTS = {
  AUTH_MODE: 'open',
  JWT_USERNAME_CLAIM: 'preferred_username',
  JWT_DISPLAY_NAME_CLAIM: 'name',
  JWT_CLOCK_TOLERANCE_SECONDS: '5',
} as const;

/** Where the verification keys come from. The secret is a KeyObject: logged or serialised, it shows as `{}`. */
export type JwtKeySource =
  | { kind: 'secret'; secret: KeyObject }
  | { kind: 'public-key'; path: string; key: KeyObject }
  | { kind: 'jwks'; path: string; jwks: { keys: JWK[] } };

export interface JwtAuthConfig {
  mode: 'jwt';
  key: JwtKeySource;
  /** The accepted `alg` values; every one of them fits the key source (ALGORITHM_KEY). */
  algorithms: JwtAlgorithm[];
  /** The exact `iss` a token must carry. */
  issuer: string;
  /** A value the token's `aud` must be or contain. */
  audience: string;
  /** The claim holding the user's handle (a chat name). */
  usernameClaim: string;
  /** The claim holding the name people see (a display name); without it, the handle is shown. */
  displayNameClaim: string;
  /** Leeway for `exp`, `nbf` and `iat` against this server's clock. */
  clockToleranceSeconds: number;
  /**
   * Where the bundled page fetches a token for its user (the host application's endpoint, called with the
   * browser's cookies): an absolute http(s) URL. Unset: the bundled page cannot sign in (custom clients can).
   */
  tokenUrl?: string;
}

/** `open`: the chat's own names and tokens (docs/protocol.md). `jwt`: names come from a host application's JWTs. */
export type AuthConfig = { mode: 'open' } | JwtAuthConfig;

/** Registered claims that can never hold a chat name (`sub` is who the user is, not a name). */
const NOT_A_NAME_CLAIM = ['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti'];

const tolerance = z.coerce.number().int().min(0).max(300);

export function loadAuthConfig(
  env: Partial<Record<AuthVariable, string>>,
): { ok: true; auth: AuthConfig } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const report = (variable: string, message: string) => problems.push(`${variable}: ${message}`);
  const mode = env.AUTH_MODE ?? AUTH_DEFAULTS.AUTH_MODE;

  if (mode === 'open') {
    // A JWT setting without AUTH_MODE=jwt is a half-done switch; starting open would let anyone take any name.
    for (const variable of JWT_VARIABLES) {
      if (env[variable] !== undefined) report(variable, 'is set, but AUTH_MODE is not jwt');
    }
    return problems.length > 0 ? { ok: false, problems } : { ok: true, auth: { mode: 'open' } };
  }
  if (mode !== 'jwt') return { ok: false, problems: ['AUTH_MODE: must be open or jwt'] };

  const issuer = env.JWT_ISSUER;
  if (issuer === undefined) report('JWT_ISSUER', 'is required when AUTH_MODE=jwt');
  const audience = env.JWT_AUDIENCE;
  if (audience === undefined) report('JWT_AUDIENCE', 'is required when AUTH_MODE=jwt');

  const usernameClaim = env.JWT_USERNAME_CLAIM ?? AUTH_DEFAULTS.JWT_USERNAME_CLAIM;
  if (NOT_A_NAME_CLAIM.includes(usernameClaim)) report('JWT_USERNAME_CLAIM', `"${usernameClaim}" cannot hold a user name`);
  const displayNameClaim = env.JWT_DISPLAY_NAME_CLAIM ?? AUTH_DEFAULTS.JWT_DISPLAY_NAME_CLAIM;
  if (NOT_A_NAME_CLAIM.includes(displayNameClaim)) report('JWT_DISPLAY_NAME_CLAIM', `"${displayNameClaim}" cannot hold a display name`);

  const toleranceResult = tolerance.safeParse(env.JWT_CLOCK_TOLERANCE_SECONDS ?? AUTH_DEFAULTS.JWT_CLOCK_TOLERANCE_SECONDS);
  if (!toleranceResult.success) report('JWT_CLOCK_TOLERANCE_SECONDS', `${toleranceResult.error.issues[0].message} (seconds, 0 to 300)`);

  const tokenUrl = env.JWT_TOKEN_URL;
  if (tokenUrl !== undefined && !/^https?:\/\/[^/\s]+(\/\S*)?$/.test(tokenUrl)) {
    report('JWT_TOKEN_URL', 'must be an absolute http(s) URL, e.g. https://app.example.com/chat-token');
  }

  const listed = env.JWT_ALGORITHMS === undefined ? undefined : parseAlgorithms(env.JWT_ALGORITHMS, report);
  const source = loadKeySource(env, report);

  let algorithms: JwtAlgorithm[] = [];
  if (source) {
    const fits = (alg: JwtAlgorithm) => source.slots.some((s) => ALGORITHM_KEY[alg] === s.kind && (s.alg ?? alg) === alg);
    for (const alg of listed ?? []) {
      if (!fits(alg)) report('JWT_ALGORITHMS', `${alg} does not fit the key in ${source.variable}`);
    }
    algorithms = listed ?? [...new Set(source.slots.map((s) => s.alg ?? DEFAULT_ALGORITHM[s.kind]))];
  }

  if (problems.length > 0 || !source || issuer === undefined || audience === undefined || !toleranceResult.success) {
    return { ok: false, problems };
  }
  return {
    ok: true,
    auth: {
      mode: 'jwt',
      key: source.key,
      algorithms,
      issuer,
      audience,
      usernameClaim,
      displayNameClaim,
      clockToleranceSeconds: toleranceResult.data,
      ...(tokenUrl !== undefined && { tokenUrl }),
    },
  };
}

/** A comma-separated list of algorithm names; undefined (after reporting) when any is wrong. */
function parseAlgorithms(value: string, report: (variable: string, message: string) => void): JwtAlgorithm[] | undefined {
  const names = [...new Set(value.split(',').map((s) => s.trim()).filter(Boolean))];
  const unknown = names.filter((name) => !(SUPPORTED_ALGORITHMS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    report('JWT_ALGORITHMS', `not supported: ${unknown.join(', ')} (supported: ${SUPPORTED_ALGORITHMS.join(', ')})`);
    return undefined;
  }
  if (names.length === 0) {
    report('JWT_ALGORITHMS', 'lists no algorithm');
    return undefined;
  }
  return names as JwtAlgorithm[];
}

/** The one key source, with the kinds of key it offers (and the algorithm a JWK pins, if any). */
function loadKeySource(
  env: Partial<Record<AuthVariable, string>>,
  report: (variable: string, message: string) => void,
): { variable: string; key: JwtKeySource; slots: { kind: KeyKind; alg?: JwtAlgorithm }[] } | undefined {
  const set = KEY_VARIABLES.filter((variable) => env[variable] !== undefined);
  if (set.length === 0) {
    report('JWT_SECRET, JWT_PUBLIC_KEY_FILE or JWT_JWKS_FILE', 'one is required when AUTH_MODE=jwt');
    return undefined;
  }
  if (set.length > 1) {
    report(set.join(', '), 'set only one key source');
    return undefined;
  }
  const variable = set[0];
  const value = env[variable] as string;
  switch (variable) {
    case 'JWT_SECRET': {
      if (Buffer.byteLength(value, 'utf8') < MIN_SECRET_BYTES) {
        report(variable, `must be at least ${MIN_SECRET_BYTES} bytes (e.g. the output of openssl rand -base64 32)`);
        return undefined;
      }
      const secret = crypto.createSecretKey(Buffer.from(value, 'utf8'));
      return { variable, key: { kind: 'secret', secret }, slots: [{ kind: 'secret' }] };
    }
    case 'JWT_PUBLIC_KEY_FILE': {
      const loaded = readPublicKeyFile(value);
      if (!loaded.ok) return void report(variable, loaded.problem);
      const { key, kind } = loaded.value;
      return { variable, key: { kind: 'public-key', path: value, key }, slots: [{ kind }] };
    }
    case 'JWT_JWKS_FILE': {
      const loaded = readJwksFile(value);
      if (!loaded.ok) return void report(variable, loaded.problem);
      const { jwks, keys } = loaded.value;
      return { variable, key: { kind: 'jwks', path: value, jwks }, slots: keys };
    }
  }
}
