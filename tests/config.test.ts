import { ConfigError, loadConfig } from '../src/config';

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
    nameReservationMs: 30 * 86_400_000,
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
      socketsPerUser: 20,
    },
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
    NAME_RESERVATION_DAYS: '7',
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
    MAX_SOCKETS_PER_USER: '3',
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
    nameReservationMs: 7 * 86_400_000,
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
      socketsPerUser: 3,
    },
  });
  expect(loadConfig({ DATABASE_URL: ':memory:' }).storage).toMatchObject({ kind: 'sqlite', path: ':memory:' });
  expect(loadConfig({ DATABASE_URL: 'sqlite::memory:' }).storage).toMatchObject({ kind: 'sqlite', path: ':memory:' });
  expect(loadConfig({ ALLOWED_ORIGINS: '*' }).allowedOrigins).toBe('*');
  expect(loadConfig({ PORT: '' }).port).toBe(3000); // empty counts as unset
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
