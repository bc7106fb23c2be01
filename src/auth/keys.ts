/**
 * The keys that verify JWTs, read once at start-up, and which signature algorithm fits which key.
 * Parsing uses node:crypto, which is synchronous, so configuration stays a plain function call; the
 * KeyObjects it makes are accepted by jose as they are.
 */
import crypto, { type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import type { JWK } from 'jose';

/** The signature algorithms the chat accepts. `none` is not among them and never will be. */
export const SUPPORTED_ALGORITHMS = ['HS256', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384'] as const;
export type JwtAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number];

/** What a key is, as far as choosing an algorithm goes. */
export type KeyKind = 'secret' | 'rsa' | 'ec-p256' | 'ec-p384';

/** Each algorithm verifies with exactly one kind of key: an HMAC secret never stands in for a public key. */
export const ALGORITHM_KEY: Record<JwtAlgorithm, KeyKind> = {
  HS256: 'secret',
  RS256: 'rsa',
  RS384: 'rsa',
  RS512: 'rsa',
  PS256: 'rsa',
  PS384: 'rsa',
  PS512: 'rsa',
  ES256: 'ec-p256',
  ES384: 'ec-p384',
};

/** The algorithm accepted for a key when JWT_ALGORITHMS does not say. */
export const DEFAULT_ALGORITHM: Record<KeyKind, JwtAlgorithm> = {
  secret: 'HS256',
  rsa: 'RS256',
  'ec-p256': 'ES256',
  'ec-p384': 'ES384',
};

export const MIN_SECRET_BYTES = 32;
const MIN_RSA_BITS = 2048;

/** A public key from a PEM file. */
export interface PublicKeyInfo {
  key: KeyObject;
  kind: KeyKind;
}
/** What the chat needs to know of one member of a JWKS: its kid, kind, and the algorithm its JWK names, if any. */
export interface JwksKey {
  kid: string;
  kind: KeyKind;
  alg: JwtAlgorithm | undefined;
}

/** Either the value or a problem written for the operator (never containing key material). */
export type Loaded<T> = { ok: true; value: T } | { ok: false; problem: string };

const fail = (problem: string): { ok: false; problem: string } => ({ ok: false, problem });

/** The kind of an asymmetric key, or a problem when the chat does not verify with that kind. */
export function keyKind(key: KeyObject): Loaded<KeyKind> {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) return fail(`the RSA key has ${bits} bits; at least ${MIN_RSA_BITS} are needed`);
    return { ok: true, value: 'rsa' };
  }
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return { ok: true, value: 'ec-p256' };
    if (curve === 'secp384r1') return { ok: true, value: 'ec-p384' };
    return fail(`EC curve ${curve ?? 'unknown'} is not supported; use P-256 (ES256) or P-384 (ES384)`);
  }
  return fail(`${type ?? 'this'} keys are not supported; use an RSA (2048 bits or more) or an EC P-256 or P-384 key`);
}

function readText(path: string): Loaded<string> {
  try {
    return { ok: true, value: fs.readFileSync(path, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    return fail(`cannot read ${path} (${code})`);
  }
}

/** A PEM file holding one SPKI public key (`-----BEGIN PUBLIC KEY-----`). */
export function readPublicKeyFile(path: string): Loaded<PublicKeyInfo> {
  const text = readText(path);
  if (!text.ok) return text;
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text.value)) {
    return fail(`${path} holds a private key; give the chat the public key only`);
  }
  const blocks = text.value.match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? [];
  if (blocks.length !== 1) return fail(`${path} must hold exactly one PEM public key (-----BEGIN PUBLIC KEY-----)`);
  let key: KeyObject;
  try {
    key = crypto.createPublicKey({ key: blocks[0], format: 'pem', type: 'spki' });
  } catch {
    return fail(`${path} does not hold a valid PEM public key`);
  }
  const kind = keyKind(key);
  return kind.ok ? { ok: true, value: { key, kind: kind.value } } : fail(`${path}: ${kind.problem}`);
}

/** Members that only private (or symmetric) JWKs have. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** A JWKS file (`{ "keys": [...] }`) of public RSA or EC keys, each with a distinct `kid`. */
export function readJwksFile(path: string): Loaded<{ jwks: { keys: JWK[] }; keys: JwksKey[] }> {
  const text = readText(path);
  if (!text.ok) return text;
  let set: unknown;
  try {
    set = JSON.parse(text.value);
  } catch {
    return fail(`${path} is not valid JSON`);
  }
  const members = (set as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(members) || members.length === 0) return fail(`${path} must be a JWKS: { "keys": [ ... ] }, not empty`);
  const keys: JwksKey[] = [];
  for (const [index, jwk] of members.entries()) {
    const where = `${path}, key ${index}`;
    if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return fail(`${where} is not a JSON object`);
    const { kid, alg, use, kty } = jwk as Record<string, unknown>;
    if (typeof kid !== 'string' || kid === '') return fail(`${where} has no "kid"; every key needs one`);
    if (keys.some((k) => k.kid === kid)) return fail(`${where}: "kid" ${JSON.stringify(kid)} appears twice`);
    if (kty !== 'RSA' && kty !== 'EC') return fail(`${where}: "kty" must be RSA or EC`);
    const secretMember = PRIVATE_MEMBERS.find((m) => Object.hasOwn(jwk, m));
    if (secretMember) return fail(`${where} holds private key material ("${secretMember}"); publish public keys only`);
    if (use !== undefined && use !== 'sig') return fail(`${where}: "use" must be "sig" when present`);
    let key: KeyObject;
    try {
      key = crypto.createPublicKey({ key: jwk as crypto.JsonWebKey, format: 'jwk' });
    } catch {
      return fail(`${where} is not a valid public key`);
    }
    const kind = keyKind(key);
    if (!kind.ok) return fail(`${where}: ${kind.problem}`);
    if (alg !== undefined && !(SUPPORTED_ALGORITHMS.includes(alg as JwtAlgorithm) && ALGORITHM_KEY[alg as JwtAlgorithm] === kind.value)) {
      return fail(`${where}: "alg" ${JSON.stringify(alg)} is not a supported algorithm for this key`);
    }
    keys.push({ kid, kind: kind.value, alg: alg as JwtAlgorithm | undefined });
  }
  return { ok: true, value: { jwks: { keys: members as JWK[] }, keys } };
}
