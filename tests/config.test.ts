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
      'NAME_RESERVATION_DAYS',
      'PORT',
      'SQLITE_SYNCHRONOUS',
      'TRUST_PROXY',
    ].sort(),
  );
});
