/**
 * Verifies the JWT a host application signed for its logged-in user (AUTH_MODE=jwt) and reads who the user is
 * (`iss` and `sub`) and their names (the handle and display-name claims) from it. Every refusal is a JwtError: a ChatError with code `unauthorized` and a message safe to show the
 * client, plus a `reason` from a closed set (so the caller can tell "expired: fetch a new token" from the rest)
 * and a `detail` for the server's log. Signature and format failures all read the same to the client.
 */
import type { KeyObject } from 'node:crypto';
import { createLocalJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { checkDisplayName } from '../display-names';
import { ChatError } from '../errors';
import { normalizeName } from '../names';
import type { JwtAuthConfig, JwtKeySource } from './config';

/** Longer tokens are refused before anything is parsed. A host's token with a name and a few claims is < 1 kB. */
export const MAX_TOKEN_LENGTH = 8192;

export type JwtFailure =
  | 'too_long'
  | 'invalid'
  | 'expired'
  | 'not_yet_valid'
  | 'no_expiry'
  | 'no_subject'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'invalid_username';

const MESSAGES: Record<JwtFailure, string> = {
  too_long: 'The sign-in token is too long.',
  invalid: 'The sign-in token is invalid.',
  expired: 'The sign-in token has expired; get a new one and reconnect.',
  not_yet_valid: 'The sign-in token is not valid yet.',
  no_expiry: 'The sign-in token has no expiry time.',
  no_subject: 'The sign-in token does not say who the user is (no "sub").',
  wrong_issuer: 'The sign-in token was not issued by the service this chat trusts.',
  wrong_audience: 'The sign-in token was issued for another service.',
  invalid_username: 'The sign-in token does not carry a valid chat name.',
};

export class JwtError extends ChatError {
  readonly reason: JwtFailure;
  /** For the server's log only: what exactly failed. Never holds the token, its claims or a key. */
  readonly detail: string;

  constructor(reason: JwtFailure, detail: string) {
    super('unauthorized', MESSAGES[reason]);
    this.name = 'JwtError';
    this.reason = reason;
    this.detail = detail;
  }
}

export interface VerifiedToken {
  /** Who the user is: the token's `iss` and `sub`. */
  account: { issuer: string; subject: string };
  /** The chat name from the username claim, normalised as every chat name is (names.ts). */
  username: string;
  /**
   * The display name from its claim (display-names.ts); the handle when the claim is absent or not a valid
   * display name (`displayNameProblem` then says why, for the log).
   */
  displayName: string;
  displayNameProblem?: string;
  /** When the token was issued (`iat`, epoch ms); the verification time when it has none. */
  issuedAt: number;
  /**
   * Epoch ms from which this server refuses the token: its `exp` plus the clock tolerance. Always later than
   * the moment `verify` checked it; the session it opened should end then.
   */
  expiresAt: number;
  /** The verified claims, for whoever needs more than the name. */
  claims: JWTPayload;
}

export interface JwtVerifier {
  /** Resolves with the user the token names, or rejects with a JwtError. */
  verify(token: string): Promise<VerifiedToken>;
}

export function createJwtVerifier(config: JwtAuthConfig, options: { now?: () => number } = {}): JwtVerifier {
  const now = options.now ?? Date.now;
  const key = verificationKey(config.key);
  const toleranceMs = config.clockToleranceSeconds * 1000;

  return {
    async verify(token) {
      if (typeof token !== 'string' || token === '') throw new JwtError('invalid', 'no token');
      if (token.length > MAX_TOKEN_LENGTH) throw new JwtError('too_long', `${token.length} characters`);
      const at = now();
      let claims: JWTPayload;
      try {
        ({ payload: claims } = await jwtVerify(token, key, {
          algorithms: config.algorithms,
          issuer: config.issuer,
          audience: config.audience,
          requiredClaims: ['exp'],
          clockTolerance: config.clockToleranceSeconds,
          currentDate: new Date(at),
        }));
      } catch (err) {
        throw joseFailure(err);
      }
      // jose compares whole seconds; this keeps the promise that expiresAt is still ahead.
      const expiresAt = (claims.exp as number) * 1000 + toleranceMs;
      if (expiresAt <= at) throw new JwtError('expired', '"exp" is past');
      // jose checks `iat` only against a maximum age. Issued in the future means a wrong clock at the host.
      if (typeof claims.iat === 'number' && claims.iat * 1000 > at + toleranceMs) {
        throw new JwtError('not_yet_valid', '"iat" is in the future');
      }
      const raw = claims[config.usernameClaim];
      const username = typeof raw === 'string' ? normalizeName(raw) : undefined;
      if (username === undefined) {
        const what = raw === undefined ? 'missing' : typeof raw !== 'string' ? 'not a string' : 'not a valid chat name';
        throw new JwtError('invalid_username', `claim "${config.usernameClaim}" is ${what}`);
      }
      if (typeof claims.sub !== 'string' || claims.sub === '' || claims.sub.length > MAX_SUBJECT_LENGTH) {
        throw new JwtError('no_subject', claims.sub === undefined ? 'no "sub"' : '"sub" is not a string of 1-256 characters');
      }
      const account = { issuer: config.issuer, subject: claims.sub };
      const issuedAt = typeof claims.iat === 'number' ? claims.iat * 1000 : at;
      const shown = displayNameOf(claims[config.displayNameClaim], config.displayNameClaim);
      const displayName = 'displayName' in shown ? shown.displayName : username;
      return { account, username, displayName, ...('problem' in shown && { displayNameProblem: shown.problem }), issuedAt, expiresAt, claims };
    },
  };
}

/** Longer subjects are refused (OpenID Connect keeps `sub` within 255 ASCII characters). */
const MAX_SUBJECT_LENGTH = 256;

/** The display-name claim's value, checked; a missing claim is no problem, only a reason to show the handle. */
function displayNameOf(raw: unknown, claim: string): { displayName: string } | { problem?: string } {
  if (raw === undefined) return {};
  if (typeof raw !== 'string') return { problem: `claim "${claim}" is not a string` };
  const checked = checkDisplayName(raw);
  return 'problem' in checked ? { problem: `claim "${claim}": ${checked.problem}` } : checked;
}

function verificationKey(source: JwtKeySource): KeyObject | JWTVerifyGetKey {
  switch (source.kind) {
    case 'secret':
      return source.secret;
    case 'public-key':
      return source.key;
    case 'jwks': {
      const jwks = createLocalJWKSet(source.jwks);
      // Keys are chosen by kid: without one a token is refused, even when only one key could fit it.
      return (header, token) => {
        if (typeof header.kid !== 'string') throw new JwtError('invalid', 'no "kid" in the token header');
        return jwks(header, token);
      };
    }
  }
}

/** Maps what jose threw to a refusal; anything jose does not explain is simply an invalid token. */
function joseFailure(err: unknown): JwtError {
  if (err instanceof JwtError) return err;
  const detail =
    err instanceof errors.JOSEError ? `${err.code}: ${err.message}` : err instanceof Error ? `${err.name}: ${err.message}` : 'unknown failure';
  if (err instanceof errors.JWTExpired) return new JwtError('expired', detail);
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return new JwtError('wrong_issuer', detail);
    if (err.claim === 'aud') return new JwtError('wrong_audience', detail);
    if (err.claim === 'exp' && err.reason === 'missing') return new JwtError('no_expiry', detail);
    if (err.claim === 'nbf' && err.reason === 'check_failed') return new JwtError('not_yet_valid', detail);
  }
  return new JwtError('invalid', detail);
}
