import fs from 'node:fs';
import path from 'node:path';
import {
  base64url,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type GenerateKeyPairResult,
  type JWTHeaderParameters,
  type JWTPayload,
} from 'jose';
import type { JwtAuthConfig } from '../src/auth/config';
import { createJwtVerifier, JwtError, MAX_TOKEN_LENGTH, type JwtFailure, type JwtVerifier } from '../src/auth/jwt';
import { createApp } from '../src/app';
import { loadConfig, testConfig } from '../src/config';
import { tempDir } from './tmpdir';

const ISSUER = 'https://host.example';
const AUDIENCE = 'chat.host.example';
const SECRET = 'test-secret-0123456789-abcdefghij-klmnop';
/** The clock every verifier here reads (epoch ms), so expiry is tested to the second without waiting. */
const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);
const nowS = NOW / 1000;

const secretBytes = new TextEncoder().encode(SECRET);
let rsa: GenerateKeyPairResult;
let otherRsa: GenerateKeyPairResult;
let ec1: GenerateKeyPairResult;
let ec2: GenerateKeyPairResult;
let strangerEc: GenerateKeyPairResult;
let rsaPem: string;
const tmp = tempDir('chat-jwt-');
const rsaFile = path.join(tmp.dir, 'rsa.pem');
const jwksFile = path.join(tmp.dir, 'jwks.json');

beforeAll(async () => {
  [rsa, otherRsa, ec1, ec2, strangerEc] = await Promise.all([
    generateKeyPair('RS256'),
    generateKeyPair('RS256'),
    generateKeyPair('ES256'),
    generateKeyPair('ES256'),
    generateKeyPair('ES256'),
  ]);
  rsaPem = await exportSPKI(rsa.publicKey);
  fs.writeFileSync(rsaFile, rsaPem);
  const keys = [
    { ...(await exportJWK(ec1.publicKey)), kid: 'k1', use: 'sig' },
    { ...(await exportJWK(ec2.publicKey)), kid: 'k2' },
  ];
  fs.writeFileSync(jwksFile, JSON.stringify({ keys }));
});

afterAll(() => tmp.cleanup());

/** A verifier for the configuration an operator would get from these variables. */
const BASE_ENV = { AUTH_MODE: 'jwt', JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE };
function verifier(env: Record<string, string>): JwtVerifier {
  const config = loadConfig({ ...BASE_ENV, ...env });
  return createJwtVerifier(config.auth as JwtAuthConfig, { now: () => NOW });
}
const hs = () => verifier({ JWT_SECRET: SECRET });
const rs = () => verifier({ JWT_PUBLIC_KEY_FILE: rsaFile });
const es = () => verifier({ JWT_JWKS_FILE: jwksFile });

/** A token that every verifier here accepts, unless `claims` (undefined removes one) or `header` say otherwise. */
function sign(
  key: CryptoKey | Uint8Array,
  alg: string,
  claims: Record<string, unknown> = {},
  header: Partial<JWTHeaderParameters> = {},
): Promise<string> {
  const payload: JWTPayload = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'user-42',
    preferred_username: 'alice',
    iat: nowS - 10,
    exp: nowS + 300,
    ...claims,
  };
  return new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT', ...header }).sign(key);
}

/** The token is refused with this reason, as an `unauthorized` ChatError whose message reveals nothing more. */
async function expectRefused(v: JwtVerifier, token: string, reason: JwtFailure): Promise<JwtError> {
  const err = await v.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(JwtError);
  const jwtError = err as JwtError;
  expect({ reason: jwtError.reason, code: jwtError.code, status: jwtError.status }).toEqual({ reason, code: 'unauthorized', status: 401 });
  expect(jwtError.toBody()).toEqual({ code: 'unauthorized', message: jwtError.message });
  expect(jwtError.message).not.toMatch(/alice|user-42|host\.example|"|ERR_|claim/);
  return jwtError;
}

describe('accepted tokens', () => {
  test('HS256 with JWT_SECRET', async () => {
    const result = await hs().verify(await sign(secretBytes, 'HS256'));
    expect(result).toEqual({
      account: { issuer: ISSUER, subject: 'user-42' },
      username: 'alice',
      displayName: 'alice', // no "name" claim: the handle is shown
      issuedAt: expect.any(Number),
      expiresAt: (nowS + 300 + 5) * 1000, // exp plus the default 5 s tolerance: when this server stops accepting it
      claims: expect.objectContaining({ sub: 'user-42', iss: ISSUER, aud: AUDIENCE }),
    });
  });

  test('RS256 with a PEM public key file', async () => {
    await expect(rs().verify(await sign(rsa.privateKey, 'RS256'))).resolves.toMatchObject({ username: 'alice' });
  });

  test('ES256 with a JWKS file, the key chosen by kid; an unknown or missing kid is refused', async () => {
    const v = es();
    await expect(v.verify(await sign(ec1.privateKey, 'ES256', {}, { kid: 'k1' }))).resolves.toMatchObject({ username: 'alice' });
    await expect(v.verify(await sign(ec2.privateKey, 'ES256', { preferred_username: 'bob' }, { kid: 'k2' }))).resolves.toMatchObject({
      username: 'bob',
    });
    const unknownKid = await expectRefused(v, await sign(ec1.privateKey, 'ES256', {}, { kid: 'k3' }), 'invalid');
    expect(unknownKid.detail).toMatch(/no applicable key/);
    const otherKid = await expectRefused(v, await sign(ec1.privateKey, 'ES256', {}, { kid: 'k2' }), 'invalid');
    expect(otherKid.detail).toMatch(/signature verification failed/);
    // jose would pick the only fitting key of a one-key set for a token without kid; the chat does not.
    const noKid = await sign(ec1.privateKey, 'ES256');
    expect((await expectRefused(v, noKid, 'invalid')).detail).toMatch(/no "kid"/);
    const single = path.join(tmp.dir, 'single.json');
    fs.writeFileSync(single, JSON.stringify({ keys: [{ ...(await exportJWK(ec1.publicKey)), kid: 'k1' }] }));
    expect((await expectRefused(verifier({ JWT_JWKS_FILE: single }), noKid, 'invalid')).detail).toMatch(/no "kid"/);
  });

  test('the audience may be one of several in an `aud` array', async () => {
    await expect(hs().verify(await sign(secretBytes, 'HS256', { aud: ['other', AUDIENCE] }))).resolves.toMatchObject({ username: 'alice' });
  });

  test('JWT_ALGORITHMS widens or narrows what a key accepts', async () => {
    const ps256 = await generateKeyPair('PS256');
    const pem = path.join(tmp.dir, 'ps.pem');
    fs.writeFileSync(pem, await exportSPKI(ps256.publicKey));
    const token = await sign(ps256.privateKey, 'PS256');
    await expectRefused(verifier({ JWT_PUBLIC_KEY_FILE: pem }), token, 'invalid'); // an RSA key means RS256 by default
    await expect(verifier({ JWT_PUBLIC_KEY_FILE: pem, JWT_ALGORITHMS: 'RS256,PS256' }).verify(token)).resolves.toMatchObject({ username: 'alice' });
    await expectRefused(verifier({ JWT_PUBLIC_KEY_FILE: rsaFile, JWT_ALGORITHMS: 'PS256' }), await sign(rsa.privateKey, 'RS256'), 'invalid');
  });
});

describe('time', () => {
  test('an expired token is refused; within the clock tolerance it is still accepted', async () => {
    const lateBy2s = await sign(secretBytes, 'HS256', { exp: nowS - 2 });
    await expect(hs().verify(lateBy2s)).resolves.toMatchObject({ expiresAt: (nowS + 3) * 1000 });
    await expectRefused(verifier({ JWT_SECRET: SECRET, JWT_CLOCK_TOLERANCE_SECONDS: '0' }), lateBy2s, 'expired');
    await expectRefused(hs(), await sign(secretBytes, 'HS256', { exp: nowS - 6 }), 'expired');
    await expectRefused(hs(), await sign(secretBytes, 'HS256', { exp: nowS - 3600 }), 'expired');
  });

  test('expiry is checked to the millisecond, not only to the second', async () => {
    const v = (ms: number) =>
      createJwtVerifier(loadConfig({ ...BASE_ENV, JWT_SECRET: SECRET, JWT_CLOCK_TOLERANCE_SECONDS: '0' }).auth as JwtAuthConfig, {
        now: () => NOW + ms,
      });
    const token = await sign(secretBytes, 'HS256', { exp: nowS + 0.5 });
    await expect(v(400).verify(token)).resolves.toMatchObject({ expiresAt: NOW + 500 });
    await expectRefused(v(700), token, 'expired');
  });

  test('exp is required and must be a number', async () => {
    await expectRefused(hs(), await sign(secretBytes, 'HS256', { exp: undefined }), 'no_expiry');
    await expectRefused(hs(), await sign(secretBytes, 'HS256', { exp: String(nowS + 300) }), 'invalid');
  });

  test('a token whose nbf or iat is ahead of the clock (beyond the tolerance) is not valid yet', async () => {
    await expectRefused(hs(), await sign(secretBytes, 'HS256', { nbf: nowS + 60 }), 'not_yet_valid');
    await expectRefused(hs(), await sign(secretBytes, 'HS256', { iat: nowS + 60 }), 'not_yet_valid');
    await expect(hs().verify(await sign(secretBytes, 'HS256', { nbf: nowS + 4, iat: nowS + 4 }))).resolves.toMatchObject({ username: 'alice' });
    await expect(hs().verify(await sign(secretBytes, 'HS256', { nbf: nowS - 1 }))).resolves.toMatchObject({ username: 'alice' });
  });
});

describe('issuer and audience', () => {
  test('a wrong or missing issuer is refused', async () => {
    await expectRefused(hs(), await sign(secretBytes, 'HS256', { iss: 'https://evil.example' }), 'wrong_issuer');
    await expectRefused(hs(), await sign(secretBytes, 'HS256', { iss: undefined }), 'wrong_issuer');
  });

  test('a wrong or missing audience is refused', async () => {
    await expectRefused(rs(), await sign(rsa.privateKey, 'RS256', { aud: 'another-app' }), 'wrong_audience');
    await expectRefused(rs(), await sign(rsa.privateKey, 'RS256', { aud: undefined }), 'wrong_audience');
  });

  test('expired, invalid, wrong issuer and wrong audience read differently to the client', async () => {
    const messages = await Promise.all([
      expectRefused(hs(), await sign(secretBytes, 'HS256', { exp: nowS - 60 }), 'expired'),
      expectRefused(hs(), 'not.a.token', 'invalid'),
      expectRefused(hs(), await sign(secretBytes, 'HS256', { iss: 'x' }), 'wrong_issuer'),
      expectRefused(hs(), await sign(secretBytes, 'HS256', { aud: 'x' }), 'wrong_audience'),
    ]);
    expect(new Set(messages.map((e) => e.message)).size).toBe(4);
  });
});

describe('signatures and algorithms', () => {
  test('a wrong signature is refused, whatever the key source', async () => {
    await expectRefused(hs(), await sign(new TextEncoder().encode(`${SECRET}-not-the-same`), 'HS256'), 'invalid');
    await expectRefused(rs(), await sign(otherRsa.privateKey, 'RS256'), 'invalid');
    await expectRefused(es(), await sign(strangerEc.privateKey, 'ES256', {}, { kid: 'k1' }), 'invalid');
  });

  test('a payload changed after signing is refused', async () => {
    const [header, , signature] = (await sign(rsa.privateKey, 'RS256')).split('.');
    const forged = base64url.encode(JSON.stringify({ iss: ISSUER, aud: AUDIENCE, exp: nowS + 300, preferred_username: 'admin' }));
    await expectRefused(rs(), `${header}.${forged}.${signature}`, 'invalid');
  });

  test('an unsecured token (alg none) is refused by every key source', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    const payload = base64url.encode(
      JSON.stringify({ iss: ISSUER, aud: AUDIENCE, iat: nowS, exp: nowS + 300, preferred_username: 'alice' }),
    );
    for (const v of [hs(), rs(), es()]) await expectRefused(v, `${header}.${payload}.`, 'invalid');
  });

  test('algorithm confusion: an HS256 token keyed with the public key is refused by a public-key config', async () => {
    // The classic attack: the public key is public, so an attacker uses its bytes as an HMAC secret and hopes
    // the verifier hands the same bytes to HMAC when the header says HS256.
    await expectRefused(rs(), await sign(new TextEncoder().encode(rsaPem), 'HS256'), 'invalid');
    const jwk = JSON.parse(fs.readFileSync(jwksFile, 'utf8')).keys[0];
    await expectRefused(es(), await sign(new TextEncoder().encode(JSON.stringify(jwk)), 'HS256', {}, { kid: 'k1' }), 'invalid');
  });

  test('and the other way: an RS256 or ES256 token is refused by a secret config', async () => {
    await expectRefused(hs(), await sign(rsa.privateKey, 'RS256'), 'invalid');
    await expectRefused(hs(), await sign(ec1.privateKey, 'ES256', {}, { kid: 'k1' }), 'invalid');
    await expectRefused(rs(), await sign(ec1.privateKey, 'ES256'), 'invalid'); // nor another kind of public key
  });

  test('malformed tokens are refused', async () => {
    for (const token of ['', 'abc', 'a.b.c', 'a.b', '...', `${base64url.encode('{"alg":"HS256"}')}.e30.`]) {
      await expectRefused(hs(), token, 'invalid');
    }
  });

  test('tokens longer than the bound are refused before parsing', async () => {
    await expectRefused(hs(), 'a'.repeat(MAX_TOKEN_LENGTH + 1), 'too_long');
    const padded = await sign(secretBytes, 'HS256', { padding: 'x'.repeat(MAX_TOKEN_LENGTH) });
    await expectRefused(hs(), padded, 'too_long');
    const fits = await sign(secretBytes, 'HS256', { padding: 'x'.repeat(MAX_TOKEN_LENGTH / 2) });
    await expect(hs().verify(fits)).resolves.toMatchObject({ username: 'alice' });
  });
});

describe('the username claim', () => {
  test('must be present, a string, and a valid chat name', async () => {
    await expectRefused(hs(), await sign(secretBytes, 'HS256', { preferred_username: undefined }), 'invalid_username');
    for (const value of [42, null, ['alice'], { name: 'alice' }, true]) {
      await expectRefused(hs(), await sign(secretBytes, 'HS256', { preferred_username: value }), 'invalid_username');
    }
    for (const value of ['', '   ', 'alice smith', '<b>alice</b>', 'a'.repeat(33), 'al\u0000ice']) {
      await expectRefused(hs(), await sign(secretBytes, 'HS256', { preferred_username: value }), 'invalid_username');
    }
  });

  test('is normalised like every chat name', async () => {
    const result = await hs().verify(await sign(secretBytes, 'HS256', { preferred_username: '  Zoe\u0308 ' }));
    expect(result.username).toBe('Zo\u00eb');
    await expect(hs().verify(await sign(secretBytes, 'HS256', { preferred_username: '李小龍' }))).resolves.toMatchObject({ username: '李小龍' });
  });

  test('JWT_USERNAME_CLAIM names another claim', async () => {
    const v = verifier({ JWT_SECRET: SECRET, JWT_USERNAME_CLAIM: 'https://host.example/chat_name' });
    const token = await sign(secretBytes, 'HS256', { 'https://host.example/chat_name': 'carol' });
    await expect(v.verify(token)).resolves.toMatchObject({ username: 'carol' });
    // preferred_username is no longer looked at
    await expectRefused(v, await sign(secretBytes, 'HS256'), 'invalid_username');
  });
});

test('a refusal keeps what failed for the server log, and only there', async () => {
  const err = await expectRefused(hs(), await sign(secretBytes, 'HS256', { aud: 'x' }), 'wrong_audience');
  expect(err.detail).toMatch(/aud/);
  expect(err.toBody()).not.toHaveProperty('detail');
});
