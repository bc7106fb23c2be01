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
    basePath: '',
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
    BASE_PATH: '/apps/chat',
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
    basePath: '/apps/chat',
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
      TRUST_PROXY: 'maybe',
      NAME_RESERVATION_DAYS: '-1',
      DATABASE_URL: 'mysql://localhost/chat',
      SQLITE_SYNCHRONOUS: 'off',
      BASE_PATH: '/chat/',
    });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const problems = (error as ConfigError).problems.map((p) => p.split(':')[0]);
  expect(problems.sort()).toEqual(
    ['ADMIN_TOKEN', 'ALLOWED_ORIGINS', 'BASE_PATH', 'DATABASE_URL', 'LOG_LEVEL', 'NAME_RESERVATION_DAYS', 'PORT', 'SQLITE_SYNCHRONOUS', 'TRUST_PROXY'].sort(),
  );
});

test('BASE_PATH is a prefix like /chat: a leading slash, none at the end, plain segments; empty is the root', () => {
  for (const good of ['/chat', '/apps/chat', '/chat-2.0', '/~me']) expect(loadConfig({ BASE_PATH: good }).basePath).toBe(good);
  expect(loadConfig({ BASE_PATH: '' }).basePath).toBe('');
  for (const bad of ['chat', '/', '/chat/', '//chat', '/a//b', '/a/../b', '/..', '/.', '/chat?x=1', '/chat#top', '/ch at', '/caf%C3%A9', 'https://example.com/chat']) {
    expect(() => loadConfig({ BASE_PATH: bad })).toThrow(/BASE_PATH: must look like \/chat/);
  }
});
