import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';
import { ConfigError, loadConfig } from '../src/config';
import { within } from './helpers';
import { ENTRY, PROCESS_START_MS } from './process';
import { tempDir } from './tmpdir';

test('defaults need no environment at all', () => {
  expect(loadConfig({})).toEqual({
    port: 3000,
    host: undefined,
    storage: { kind: 'sqlite', path: './data/chat.db', synchronous: 'full' },
    logLevel: 'info',
    adminToken: undefined,
    publicOrigins: [],
    allowedOrigins: [],
    trustProxy: false,
    proxyHops: 1,
    nameReservationMs: 30 * 86_400_000,
    signInCodeMs: 10 * 60_000,
    retentionMs: 0,
    legacyLogin: true,
    legacyGraceMs: 120_000,
    allowEio3: false,
    rateLimits: {
      enabled: true,
      messagesBurst: { points: 20, seconds: 10 },
      messages: { points: 120, seconds: 60 },
      typing: { points: 60, seconds: 60 },
      loginsPerAddress: { points: 60, seconds: 60 },
      badTokensPerAddress: { points: 20, seconds: 600 },
      badTokensPerName: { points: 50, seconds: 600 },
      connectionsPerAddress: { points: 200, seconds: 60 },
      readsPerSocket: { points: 120, seconds: 60 },
      readsPerAddress: { points: 1200, seconds: 60 },
      readMarks: { points: 300, seconds: 60 },
      roomChanges: { points: 30, seconds: 60 },
      moderation: { points: 30, seconds: 60 },
      socketsPerUser: 20,
      socketsPerAddress: 1000,
    },
    roomLimits: { maxRoomsPerUser: 1000, maxMembersPerRoom: 100_000 },
    auth: { mode: 'open' },
    basePath: '',
    clusterEventMaxAgeMs: 5000,
  });
});

test('every variable is read', () => {
  const config = loadConfig({
    PORT: '8080',
    HOST: '127.0.0.1',
    DATABASE_URL: 'sqlite:/var/lib/chat/chat.db',
    LOG_LEVEL: 'debug',
    ADMIN_TOKEN: '0123456789abcdef',
    PUBLIC_ORIGINS: 'https://Chat.Example.com',
    ALLOWED_ORIGINS: 'https://a.example, https://b.example:8443',
    TRUST_PROXY: 'true',
    TRUST_PROXY_HOPS: '2',
    NAME_RESERVATION_DAYS: '7',
    SIGN_IN_CODE_MINUTES: '3',
    RETENTION_DAYS: '90',
    SQLITE_SYNCHRONOUS: 'normal',
    LEGACY_LOGIN: 'off',
    LEGACY_NAME_GRACE_SECONDS: '30',
    ALLOW_EIO3: 'true',
    RATE_LIMITS: 'off',
    RATE_LIMIT_MESSAGES_BURST: '5/1',
    RATE_LIMIT_MESSAGES: '50/30',
    RATE_LIMIT_TYPING: '9/9',
    RATE_LIMIT_LOGINS_PER_ADDRESS: '7/70',
    RATE_LIMIT_BAD_TOKENS_PER_ADDRESS: '3/300',
    RATE_LIMIT_BAD_TOKENS_PER_NAME: '4/400',
    RATE_LIMIT_CONNECTIONS_PER_ADDRESS: '11/11',
    RATE_LIMIT_READS_PER_SOCKET: '12/12',
    RATE_LIMIT_READS_PER_ADDRESS: '13/13',
    RATE_LIMIT_READ_MARKS: '17/17',
    RATE_LIMIT_ROOM_CHANGES: '18/18',
    RATE_LIMIT_MODERATION: '16/16',
    MAX_SOCKETS_PER_USER: '3',
    MAX_SOCKETS_PER_ADDRESS: '14',
    MAX_ROOMS_PER_USER: '19',
    MAX_MEMBERS_PER_ROOM: '15',
    BASE_PATH: '/apps/chat',
    CLUSTER_EVENT_MAX_AGE_SECONDS: '2.5',
  });
  expect(config).toMatchObject({
    port: 8080,
    host: '127.0.0.1',
    storage: { kind: 'sqlite', path: '/var/lib/chat/chat.db', synchronous: 'normal' },
    logLevel: 'debug',
    adminToken: '0123456789abcdef',
    publicOrigins: ['https://chat.example.com'],
    allowedOrigins: ['https://a.example', 'https://b.example:8443'],
    trustProxy: true,
    proxyHops: 2,
    nameReservationMs: 7 * 86_400_000,
    signInCodeMs: 3 * 60_000,
    retentionMs: 90 * 86_400_000,
    legacyLogin: false,
    legacyGraceMs: 30_000,
    allowEio3: true,
    rateLimits: {
      enabled: false,
      messagesBurst: { points: 5, seconds: 1 },
      messages: { points: 50, seconds: 30 },
      typing: { points: 9, seconds: 9 },
      loginsPerAddress: { points: 7, seconds: 70 },
      badTokensPerAddress: { points: 3, seconds: 300 },
      badTokensPerName: { points: 4, seconds: 400 },
      connectionsPerAddress: { points: 11, seconds: 11 },
      readsPerSocket: { points: 12, seconds: 12 },
      readsPerAddress: { points: 13, seconds: 13 },
      readMarks: { points: 17, seconds: 17 },
      roomChanges: { points: 18, seconds: 18 },
      moderation: { points: 16, seconds: 16 },
      socketsPerUser: 3,
      socketsPerAddress: 14,
    },
    roomLimits: { maxRoomsPerUser: 19, maxMembersPerRoom: 15 },
    basePath: '/apps/chat',
    clusterEventMaxAgeMs: 2500,
  });
  expect(loadConfig({ DATABASE_URL: ':memory:' }).storage).toMatchObject({ kind: 'sqlite', path: ':memory:' });
  expect(loadConfig({ DATABASE_URL: 'sqlite::memory:' }).storage).toMatchObject({ kind: 'sqlite', path: ':memory:' });
  expect(loadConfig({ ALLOWED_ORIGINS: '*' }).allowedOrigins).toBe('*');
  expect(
    loadConfig({
      DATABASE_URL: 'postgres://chat@db.internal:5432/chat',
      DATABASE_POOL_SIZE: '25',
      DATABASE_CONNECT_TIMEOUT_SECONDS: '3',
      DATABASE_QUERY_TIMEOUT_SECONDS: '7.5',
      DATABASE_IDLE_TIMEOUT_SECONDS: '60',
    }).storage,
  ).toEqual({
    kind: 'postgres',
    url: 'postgres://chat@db.internal:5432/chat',
    poolSize: 25,
    connectTimeoutMs: 3000,
    queryTimeoutMs: 7500,
    idleTimeoutMs: 60_000,
  });
  expect(loadConfig({ PORT: '' }).port).toBe(3000); // empty counts as unset
});

test('DATABASE_URL=postgres://… or postgresql://… selects PostgreSQL, with a pool of 10 by default', () => {
  expect(loadConfig({ DATABASE_URL: 'postgresql://localhost/chat' }).storage).toEqual({
    kind: 'postgres',
    url: 'postgresql://localhost/chat',
    poolSize: 10,
    connectTimeoutMs: 10_000,
    queryTimeoutMs: 30_000,
    idleTimeoutMs: 30_000,
  });
  expect(() => loadConfig({ DATABASE_URL: 'postgres://[broken' })).toThrow(/DATABASE_URL: not a valid postgres:\/\/ URL/);
});

test('a setting of the other storage engine is refused, alongside every other problem', () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return [];
    } catch (err) {
      return (err as ConfigError).problems;
    }
  };
  expect(problems({ DATABASE_URL: 'postgres://localhost/chat', SQLITE_SYNCHRONOUS: 'normal' })).toEqual([
    'SQLITE_SYNCHRONOUS: applies only to SQLite storage (see DATABASE_URL)',
  ]);
  expect(problems({ DATABASE_POOL_SIZE: '5' })).toEqual(['DATABASE_POOL_SIZE: applies only to PostgreSQL storage (see DATABASE_URL)']);
  expect(problems({ DATABASE_URL: 'postgres://localhost/chat', DATABASE_POOL_SIZE: '0', PORT: 'x' }).map((p) => p.split(':')[0]).sort()).toEqual([
    'DATABASE_POOL_SIZE',
    'PORT',
  ]);
});

test('TRUST_PROXY_HOPS is 1 to 10, and only with TRUST_PROXY', () => {
  expect(loadConfig({ TRUST_PROXY: 'true', TRUST_PROXY_HOPS: '10' }).proxyHops).toBe(10);
  expect(() => loadConfig({ TRUST_PROXY: 'true', TRUST_PROXY_HOPS: '0' })).toThrow(/TRUST_PROXY_HOPS/);
  expect(() => loadConfig({ TRUST_PROXY_HOPS: '2' })).toThrow(/TRUST_PROXY_HOPS: applies only with TRUST_PROXY=true/);
  expect(() => loadConfig({ TRUST_PROXY: 'false', TRUST_PROXY_HOPS: '2' })).toThrow(/TRUST_PROXY_HOPS: applies only with TRUST_PROXY=true/);
});

test('every problem is reported at once', () => {
  let error: unknown;
  try {
    loadConfig({
      PORT: '70000',
      LOG_LEVEL: 'chatty',
      ADMIN_TOKEN: 'short',
      ALLOWED_ORIGINS: 'not-an-origin',
      PUBLIC_ORIGINS: 'https://ok.example/with/path',
      TRUST_PROXY: 'maybe',
      NAME_RESERVATION_DAYS: '-1',
      DATABASE_URL: 'mysql://localhost/chat',
      SQLITE_SYNCHRONOUS: 'off',
      LEGACY_LOGIN: 'maybe',
      LEGACY_NAME_GRACE_SECONDS: '-5',
      ALLOW_EIO3: 'sure',
      RATE_LIMITS: 'maybe',
      RATE_LIMIT_MESSAGES: 'ten per minute',
      RATE_LIMIT_TYPING: '0/10',
      MAX_SOCKETS_PER_USER: '0',
      BASE_PATH: '/chat/',
    });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const problems = (error as ConfigError).problems.map((p) => p.split(':')[0]);
  expect(problems.sort()).toEqual(
    [
      'ADMIN_TOKEN',
      'ALLOWED_ORIGINS',
      'ALLOW_EIO3',
      'BASE_PATH',
      'PUBLIC_ORIGINS',
      'DATABASE_URL',
      'LEGACY_LOGIN',
      'LEGACY_NAME_GRACE_SECONDS',
      'LOG_LEVEL',
      'MAX_SOCKETS_PER_USER',
      'NAME_RESERVATION_DAYS',
      'RATE_LIMITS',
      'RATE_LIMIT_MESSAGES',
      'RATE_LIMIT_TYPING',
      'PORT',
      'SQLITE_SYNCHRONOUS',
      'TRUST_PROXY',
    ].sort(),
  );
});

test('BASE_PATH is a prefix like /chat: a leading slash, none at the end, plain segments; empty is the root', () => {
  for (const good of ['/chat', '/apps/chat', '/chat-2.0', '/~me']) expect(loadConfig({ BASE_PATH: good }).basePath).toBe(good);
  expect(loadConfig({ BASE_PATH: '' }).basePath).toBe('');
  for (const bad of ['chat', '/', '/chat/', '//chat', '/a//b', '/a/../b', '/..', '/.', '/chat?x=1', '/chat#top', '/ch at', '/caf%C3%A9', 'https://example.com/chat']) {
    expect(() => loadConfig({ BASE_PATH: bad })).toThrow(/BASE_PATH: must look like \/chat/);
  }
});

describe('AUTH_MODE=jwt', () => {
  const SECRET = 'jwt-secret-for-the-config-tests-0123456789';
  const BASE = { AUTH_MODE: 'jwt', JWT_ISSUER: 'https://host.example', JWT_AUDIENCE: 'chat' };
  const tmp = tempDir('chat-config-');
  const file = (name: string, text: string) => {
    const at = path.join(tmp.dir, name);
    fs.writeFileSync(at, text);
    return at;
  };
  const pem = (key: crypto.KeyObject) => key.export({ type: 'spki', format: 'pem' }) as string;
  const jwk = (key: crypto.KeyObject, kid: string) => ({ ...key.export({ format: 'jwk' }), kid });
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const p256 = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rsaFile = file('rsa.pem', pem(rsa.publicKey));
  const ecFile = file('ec.pem', pem(p256.publicKey));
  const jwksFile = file('jwks.json', JSON.stringify({ keys: [jwk(p256.publicKey, 'a'), jwk(rsa.publicKey, 'b')] }));
  afterAll(() => tmp.cleanup());

  /** The variables named by each problem, sorted; the whole message when one problem names several. */
  const problemsOf = (env: Record<string, string>): string[] => {
    try {
      loadConfig(env);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).problems.map((p) => p.split(': ')[0]).sort();
    }
    throw new Error('the configuration was accepted');
  };
  const messageOf = (env: Record<string, string>): string => {
    try {
      loadConfig(env);
    } catch (err) {
      return (err as ConfigError).message;
    }
    throw new Error('the configuration was accepted');
  };

  test('every variable is read, with a secret', () => {
    const { auth } = loadConfig({
      ...BASE,
      JWT_SECRET: SECRET,
      JWT_ALGORITHMS: 'HS256',
      JWT_USERNAME_CLAIM: 'nickname',
      JWT_DISPLAY_NAME_CLAIM: 'https://host.example/full_name',
      JWT_CLOCK_TOLERANCE_SECONDS: '30',
    });
    expect(auth).toEqual({
      mode: 'jwt',
      key: { kind: 'secret', secret: expect.any(crypto.KeyObject) },
      algorithms: ['HS256'],
      issuer: 'https://host.example',
      audience: 'chat',
      usernameClaim: 'nickname',
      displayNameClaim: 'https://host.example/full_name',
      clockToleranceSeconds: 30,
    });
    if (auth.mode !== 'jwt' || auth.key.kind !== 'secret') throw new Error('unreachable');
    expect(auth.key.secret.export().toString()).toBe(SECRET);
  });

  test('defaults: preferred_username, 5 s of clock tolerance, the algorithm of the key', () => {
    expect(loadConfig({ ...BASE, JWT_SECRET: SECRET }).auth).toMatchObject({
      algorithms: ['HS256'],
      usernameClaim: 'preferred_username',
      displayNameClaim: 'name',
      clockToleranceSeconds: 5,
    });
    expect(loadConfig({ ...BASE, JWT_PUBLIC_KEY_FILE: rsaFile }).auth).toMatchObject({
      key: { kind: 'public-key', path: rsaFile, key: expect.any(crypto.KeyObject) },
      algorithms: ['RS256'],
    });
    expect(loadConfig({ ...BASE, JWT_PUBLIC_KEY_FILE: ecFile }).auth).toMatchObject({ algorithms: ['ES256'] });
    expect(loadConfig({ ...BASE, JWT_JWKS_FILE: jwksFile }).auth).toMatchObject({
      key: { kind: 'jwks', path: jwksFile, jwks: { keys: [expect.objectContaining({ kid: 'a' }), expect.objectContaining({ kid: 'b' })] } },
      algorithms: ['ES256', 'RS256'],
    });
  });

  test('JWT_ALGORITHMS lists what a key accepts, and must fit it', () => {
    expect(loadConfig({ ...BASE, JWT_PUBLIC_KEY_FILE: rsaFile, JWT_ALGORITHMS: 'RS256, PS256' }).auth).toMatchObject({
      algorithms: ['RS256', 'PS256'],
    });
    expect(loadConfig({ ...BASE, JWT_JWKS_FILE: jwksFile, JWT_ALGORITHMS: 'ES256' }).auth).toMatchObject({ algorithms: ['ES256'] });
    for (const [env, fragment] of [
      [{ JWT_PUBLIC_KEY_FILE: rsaFile, JWT_ALGORITHMS: 'HS256' }, 'HS256 does not fit the key in JWT_PUBLIC_KEY_FILE'],
      [{ JWT_PUBLIC_KEY_FILE: rsaFile, JWT_ALGORITHMS: 'ES256' }, 'ES256 does not fit'],
      [{ JWT_PUBLIC_KEY_FILE: ecFile, JWT_ALGORITHMS: 'ES384' }, 'ES384 does not fit'],
      [{ JWT_SECRET: SECRET, JWT_ALGORITHMS: 'RS256' }, 'RS256 does not fit the key in JWT_SECRET'],
      [{ JWT_JWKS_FILE: jwksFile, JWT_ALGORITHMS: 'HS256' }, 'HS256 does not fit the key in JWT_JWKS_FILE'],
      [{ JWT_SECRET: SECRET, JWT_ALGORITHMS: 'none' }, 'not supported: none'],
      [{ JWT_SECRET: SECRET, JWT_ALGORITHMS: 'HS256,hs512' }, 'not supported: hs512'],
      [{ JWT_SECRET: SECRET, JWT_ALGORITHMS: ' , ' }, 'lists no algorithm'],
    ] as const) {
      expect(problemsOf({ ...BASE, ...env })).toEqual(['JWT_ALGORITHMS']);
      expect(messageOf({ ...BASE, ...env })).toContain(fragment);
    }
  });

  test('missing issuer, audience and key are all reported', () => {
    expect(problemsOf({ AUTH_MODE: 'jwt' })).toEqual(
      ['JWT_AUDIENCE', 'JWT_ISSUER', 'JWT_SECRET, JWT_PUBLIC_KEY_FILE or JWT_JWKS_FILE'].sort(),
    );
  });

  test('two key sources at once are refused', () => {
    expect(problemsOf({ ...BASE, JWT_SECRET: SECRET, JWT_JWKS_FILE: jwksFile })).toEqual(['JWT_SECRET, JWT_JWKS_FILE']);
    expect(problemsOf({ ...BASE, JWT_SECRET: SECRET, JWT_PUBLIC_KEY_FILE: rsaFile, JWT_JWKS_FILE: jwksFile })).toEqual([
      'JWT_SECRET, JWT_PUBLIC_KEY_FILE, JWT_JWKS_FILE',
    ]);
  });

  test('a secret shorter than 32 bytes is refused, without being quoted', () => {
    const short = 'only-31-bytes-long-secret-value';
    expect(Buffer.byteLength(short)).toBe(31);
    expect(problemsOf({ ...BASE, JWT_SECRET: short })).toEqual(['JWT_SECRET']);
    expect(messageOf({ ...BASE, JWT_SECRET: short })).not.toContain(short);
    // 32 bytes in 8 characters: the bound is on bytes
    expect(loadConfig({ ...BASE, JWT_SECRET: '\u{1F511}'.repeat(8) }).auth.mode).toBe('jwt');
  });

  test('the secret never shows when the configuration is logged or printed', () => {
    const config = loadConfig({ ...BASE, JWT_SECRET: SECRET });
    const bytes = Buffer.from(SECRET);
    // as text, or as bytes the way JSON, util.inspect or a logger would show a Buffer
    const forms = [SECRET, bytes.toString('hex'), bytes.toString('hex').match(/../g)!.join(' '), bytes.toString('base64'), bytes.join(',')];
    for (const shown of [JSON.stringify(config), util.inspect(config, { depth: null, showHidden: true, maxArrayLength: null })]) {
      for (const form of forms) expect(shown).not.toContain(form);
    }
  });

  test('an unreadable or wrong key file is reported, naming its variable', () => {
    const missing = path.join(tmp.dir, 'nope.pem');
    const cases: [Record<string, string>, string, string][] = [
      [{ JWT_PUBLIC_KEY_FILE: missing }, 'JWT_PUBLIC_KEY_FILE', 'cannot read'],
      [{ JWT_PUBLIC_KEY_FILE: tmp.dir }, 'JWT_PUBLIC_KEY_FILE', 'cannot read'],
      [{ JWT_PUBLIC_KEY_FILE: file('empty.pem', '') }, 'JWT_PUBLIC_KEY_FILE', 'exactly one PEM public key'],
      [{ JWT_PUBLIC_KEY_FILE: jwksFile }, 'JWT_PUBLIC_KEY_FILE', 'exactly one PEM public key'],
      [
        { JWT_PUBLIC_KEY_FILE: file('garbage.pem', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n') },
        'JWT_PUBLIC_KEY_FILE',
        'not hold a valid PEM public key',
      ],
      [
        { JWT_PUBLIC_KEY_FILE: file('private.pem', rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string) },
        'JWT_PUBLIC_KEY_FILE',
        'holds a private key',
      ],
      [
        { JWT_PUBLIC_KEY_FILE: file('small.pem', pem(crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey)) },
        'JWT_PUBLIC_KEY_FILE',
        'at least 2048',
      ],
      [
        { JWT_PUBLIC_KEY_FILE: file('ed.pem', pem(crypto.generateKeyPairSync('ed25519').publicKey)) },
        'JWT_PUBLIC_KEY_FILE',
        'ed25519 keys are not supported',
      ],
      [{ JWT_JWKS_FILE: missing }, 'JWT_JWKS_FILE', 'cannot read'],
      [{ JWT_JWKS_FILE: rsaFile }, 'JWT_JWKS_FILE', 'not valid JSON'],
      [{ JWT_JWKS_FILE: file('empty.json', '{"keys":[]}') }, 'JWT_JWKS_FILE', 'must be a JWKS'],
      [
        { JWT_JWKS_FILE: file('nokid.json', JSON.stringify({ keys: [{ ...jwk(rsa.publicKey, 'x'), kid: undefined }] })) },
        'JWT_JWKS_FILE',
        'has no "kid"',
      ],
      [
        { JWT_JWKS_FILE: file('twice.json', JSON.stringify({ keys: [jwk(rsa.publicKey, 'x'), jwk(p256.publicKey, 'x')] })) },
        'JWT_JWKS_FILE',
        'appears twice',
      ],
      [
        { JWT_JWKS_FILE: file('privjwk.json', JSON.stringify({ keys: [jwk(p256.privateKey, 'x')] })) },
        'JWT_JWKS_FILE',
        'private key material',
      ],
      [
        { JWT_JWKS_FILE: file('oct.json', JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'x' }] })) },
        'JWT_JWKS_FILE',
        '"kty" must be RSA or EC',
      ],
      [
        { JWT_JWKS_FILE: file('badalg.json', JSON.stringify({ keys: [{ ...jwk(rsa.publicKey, 'x'), alg: 'ES256' }] })) },
        'JWT_JWKS_FILE',
        'not a supported algorithm for this key',
      ],
      [
        { JWT_JWKS_FILE: file('enc.json', JSON.stringify({ keys: [{ ...jwk(rsa.publicKey, 'x'), use: 'enc' }] })) },
        'JWT_JWKS_FILE',
        '"use" must be "sig"',
      ],
      [
        { JWT_JWKS_FILE: file('broken.json', JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA', kid: 'x' }] })) },
        'JWT_JWKS_FILE',
        'not a valid public key',
      ],
    ];
    for (const [env, variable, fragment] of cases) {
      expect([problemsOf({ ...BASE, ...env }), env]).toEqual([[variable], env]);
      expect(messageOf({ ...BASE, ...env })).toContain(fragment);
    }
  });

  test('a JWKS key with an alg accepts that algorithm only', () => {
    const pinned = file('pinned.json', JSON.stringify({ keys: [{ ...jwk(rsa.publicKey, 'x'), alg: 'PS256' }] }));
    expect(loadConfig({ ...BASE, JWT_JWKS_FILE: pinned }).auth).toMatchObject({ algorithms: ['PS256'] });
    expect(problemsOf({ ...BASE, JWT_JWKS_FILE: pinned, JWT_ALGORITHMS: 'RS256' })).toEqual(['JWT_ALGORITHMS']);
  });

  test('JWT settings without AUTH_MODE=jwt are refused: the chat would otherwise start open', () => {
    expect(problemsOf({ JWT_SECRET: SECRET, JWT_ISSUER: 'https://host.example' })).toEqual(['JWT_ISSUER', 'JWT_SECRET']);
    expect(problemsOf({ AUTH_MODE: 'open', JWT_JWKS_FILE: jwksFile })).toEqual(['JWT_JWKS_FILE']);
    expect(messageOf({ AUTH_MODE: 'open', JWT_SECRET: SECRET })).not.toContain(SECRET);
    expect(loadConfig({ AUTH_MODE: 'open' }).auth).toEqual({ mode: 'open' });
  });

  test('every problem is reported at once, with the others of the configuration', () => {
    expect(
      problemsOf({
        PORT: 'eighty',
        AUTH_MODE: 'jwt',
        JWT_SECRET: 'short',
        JWT_ALGORITHMS: 'XS256',
        JWT_USERNAME_CLAIM: 'exp',
        JWT_CLOCK_TOLERANCE_SECONDS: '-1',
      }),
    ).toEqual(
      ['PORT', 'JWT_SECRET', 'JWT_ALGORITHMS', 'JWT_USERNAME_CLAIM', 'JWT_CLOCK_TOLERANCE_SECONDS', 'JWT_ISSUER', 'JWT_AUDIENCE'].sort(),
    );
    expect(problemsOf({ AUTH_MODE: 'oauth', JWT_CLOCK_TOLERANCE_SECONDS: '1.5' })).toEqual(['AUTH_MODE']);
    expect(problemsOf({ ...BASE, JWT_SECRET: SECRET, JWT_CLOCK_TOLERANCE_SECONDS: '301' })).toEqual(['JWT_CLOCK_TOLERANCE_SECONDS']);
  });
});

describe('cluster mode (REDIS_URL)', () => {
  // Port 1: nothing listens there, so a server that wrongly accepted this would reach no one's Redis.
  const REDIS_URL = 'redis://127.0.0.1:1';
  const REFUSED = 'REDIS_URL: cluster mode needs DATABASE_URL=postgres://… (a SQLite file cannot be shared by several nodes)';

  test('with a SQLite DATABASE_URL (or none: the default file) it is refused, saying why', () => {
    for (const db of [undefined, './data/chat.db', 'sqlite:chat.db', 'sqlite:///var/chat.db', ':memory:']) {
      let error: unknown;
      try {
        loadConfig({ REDIS_URL, ...(db !== undefined && { DATABASE_URL: db }) });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([REFUSED]);
    }
  });

  test('with PostgreSQL it starts, with or without NODE_ID', () => {
    const config = loadConfig({ REDIS_URL, DATABASE_URL: 'postgres://localhost/chat' });
    expect(config).toMatchObject({ redisUrl: REDIS_URL, nodeId: undefined, storage: { kind: 'postgres' } });
    expect(loadConfig({ REDIS_URL, DATABASE_URL: 'postgres://localhost/chat', NODE_ID: 'node-a' }).nodeId).toBe('node-a');
  });

  test('the server (dist/index.js) refuses it at start-up: exit status 2, the reason in its JSON log, nothing opened', async () => {
    const tmp = tempDir('chat-config-'); // its own directory: no .env, and a SQLite file would show up here
    const child = spawn(process.execPath, [ENTRY], {
      cwd: tmp.dir,
      env: { PATH: process.env.PATH ?? '', PORT: '0', REDIS_URL, DATABASE_URL: './chat.db' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const closed = new Promise((resolve) => child.once('close', (c, signal) => resolve(signal ?? c)));
    try {
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (chunk) => (stdout += chunk));
      child.stderr!.on('data', (chunk) => (stderr += chunk));
      // The exit is awaited; the bound is the one process.ts gives a server to start, which (loading its
      // modules) takes seconds on a loaded machine.
      const code = await within(closed, 'the server exiting', PROCESS_START_MS);
      expect(code).toBe(2);
      const lines = stdout.trim().split('\n').map((line) => JSON.parse(line));
      expect(lines).toEqual([expect.objectContaining({ level: 60, problems: [REFUSED] })]);
      expect(stderr).toBe('');
      expect(fs.readdirSync(tmp.dir)).toEqual([]); // it refused before creating the SQLite file
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); // it did not refuse
      await closed;
      tmp.cleanup();
    }
  });
});
