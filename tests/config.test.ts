import { ConfigError, loadConfig } from '../src/config';

test('defaults need no environment at all', () => {
  expect(loadConfig({})).toEqual({
    port: 3000,
    host: undefined,
    storage: { kind: 'sqlite', path: './data/chat.db', synchronous: 'full' },
    logLevel: 'info',
    adminToken: undefined,
    allowedOrigins: [],
    trustProxy: false,
    nameReservationMs: 30 * 86_400_000,
    retentionMs: 0,
  });
});

test('every variable is read', () => {
  const config = loadConfig({
    PORT: '8080',
    HOST: '127.0.0.1',
    DATABASE_URL: 'sqlite:/var/lib/chat/chat.db',
    LOG_LEVEL: 'debug',
    ADMIN_TOKEN: '0123456789abcdef',
    ALLOWED_ORIGINS: 'https://a.example, https://b.example:8443',
    TRUST_PROXY: 'true',
    NAME_RESERVATION_DAYS: '7',
    RETENTION_DAYS: '90',
    SQLITE_SYNCHRONOUS: 'normal',
  });
  expect(config).toMatchObject({
    port: 8080,
    host: '127.0.0.1',
    storage: { kind: 'sqlite', path: '/var/lib/chat/chat.db', synchronous: 'normal' },
    logLevel: 'debug',
    adminToken: '0123456789abcdef',
    allowedOrigins: ['https://a.example', 'https://b.example:8443'],
    trustProxy: true,
    nameReservationMs: 7 * 86_400_000,
    retentionMs: 90 * 86_400_000,
  });
  expect(loadConfig({ DATABASE_URL: ':memory:' }).storage).toMatchObject({ kind: 'sqlite', path: ':memory:' });
  expect(loadConfig({ DATABASE_URL: 'sqlite::memory:' }).storage).toMatchObject({ kind: 'sqlite', path: ':memory:' });
  expect(loadConfig({ ALLOWED_ORIGINS: '*' }).allowedOrigins).toBe('*');
  expect(loadConfig({ DATABASE_URL: 'postgres://chat@db.internal:5432/chat', DATABASE_POOL_SIZE: '25' }).storage).toEqual({
    kind: 'postgres',
    url: 'postgres://chat@db.internal:5432/chat',
    poolSize: 25,
  });
  expect(loadConfig({ PORT: '' }).port).toBe(3000); // empty counts as unset
});

test('DATABASE_URL=postgres://… or postgresql://… selects PostgreSQL, with a pool of 10 by default', () => {
  expect(loadConfig({ DATABASE_URL: 'postgresql://localhost/chat' }).storage).toEqual({
    kind: 'postgres',
    url: 'postgresql://localhost/chat',
    poolSize: 10,
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

test('every problem is reported at once', () => {
  let error: unknown;
  try {
    loadConfig({
      PORT: '70000',
      LOG_LEVEL: 'chatty',
      ADMIN_TOKEN: 'short',
      ALLOWED_ORIGINS: 'not-an-origin',
      TRUST_PROXY: 'maybe',
      NAME_RESERVATION_DAYS: '-1',
      DATABASE_URL: 'mysql://localhost/chat',
      SQLITE_SYNCHRONOUS: 'off',
    });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const problems = (error as ConfigError).problems.map((p) => p.split(':')[0]);
  expect(problems.sort()).toEqual(
    ['ADMIN_TOKEN', 'ALLOWED_ORIGINS', 'DATABASE_URL', 'LOG_LEVEL', 'NAME_RESERVATION_DAYS', 'PORT', 'SQLITE_SYNCHRONOUS', 'TRUST_PROXY'].sort(),
  );
});
