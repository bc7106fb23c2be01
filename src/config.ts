/**
 * The one place that reads the environment. `loadConfig` turns a fixed list of variables into a typed
 * Config, reporting every problem at once; the process refuses to start on any of them.
 * Every variable here is documented in .env.example and in the README.
 */
import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * `full`: every commit is fsynced before anything is acked (survives a power loss). `normal`: WAL commits are
 * not fsynced (survives a process crash, may lose the last commits on a power loss or OS crash), and the event
 * loop is not stalled by the fsync (measured here: 305 µs per commit with full, 33 µs with normal).
 */
export type SqliteSync = 'full' | 'normal';
/**
 * SQLite: one process owns one file (the default). PostgreSQL: several nodes share one database (cluster mode);
 * `poolSize` is the connections each node opens for queries, plus one it keeps for LISTEN.
 */
export type StorageConfig =
  | { kind: 'sqlite'; path: string; synchronous: SqliteSync }
  | { kind: 'postgres'; url: string; poolSize: number };

export interface Config {
  port: number;
  /** Undefined: every interface (Node's default, IPv6 and IPv4 where available). */
  host: string | undefined;
  storage: StorageConfig;
  logLevel: LogLevel;
  /** Undefined: the admin HTTP API is disabled. */
  adminToken: string | undefined;
  /** Origins allowed to open a socket besides the page's own; '*' allows any. */
  allowedOrigins: '*' | string[];
  /** Trust X-Forwarded-* headers (set when running behind nginx or another proxy). */
  trustProxy: boolean;
  /** How long a name stays bound to its token after its owner was last seen. */
  nameReservationMs: number;
  /** Messages older than this are deleted (hourly); 0 keeps everything. */
  retentionMs: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export const DEFAULTS = {
  PORT: '3000',
  DATABASE_URL: './data/chat.db',
  LOG_LEVEL: 'info',
  TRUST_PROXY: 'false',
  NAME_RESERVATION_DAYS: '30',
  RETENTION_DAYS: '0',
  SQLITE_SYNCHRONOUS: 'full',
  DATABASE_POOL_SIZE: '10',
} as const;

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v));

const origin = z.string().regex(/^https?:\/\/[^/\s]+$/, 'each origin looks like https://chat.example.com');

/** Environment variable → validator. Empty strings count as unset. */
const ENV = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(Number(DEFAULTS.PORT)),
  HOST: z.string().min(1).optional(),
  DATABASE_URL: z.string().min(1).default(DEFAULTS.DATABASE_URL).transform(parseDatabaseUrl),
  LOG_LEVEL: z.enum(LOG_LEVELS).default(DEFAULTS.LOG_LEVEL),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((v, ctx) => {
      if (v.trim() === '*') return '*' as const;
      const list = v.split(',').map((s) => s.trim()).filter(Boolean);
      for (const item of list) {
        const r = origin.safeParse(item);
        if (!r.success) ctx.addIssue({ code: 'custom', message: `"${item}": ${r.error.issues[0].message}` });
      }
      return list;
    }),
  TRUST_PROXY: bool.default(false),
  NAME_RESERVATION_DAYS: z.coerce.number().positive().max(36500).default(Number(DEFAULTS.NAME_RESERVATION_DAYS)),
  RETENTION_DAYS: z.coerce.number().nonnegative().max(36500).default(Number(DEFAULTS.RETENTION_DAYS)),
  SQLITE_SYNCHRONOUS: z.enum(['full', 'normal']).default(DEFAULTS.SQLITE_SYNCHRONOUS),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(Number(DEFAULTS.DATABASE_POOL_SIZE)),
});

const POSTGRES_URL = /^postgres(ql)?:\/\//;

/** Settings that only mean something for one storage engine; setting one for the other is a mistake worth reporting. */
const ENGINE_ONLY: Record<string, 'sqlite' | 'postgres'> = { SQLITE_SYNCHRONOUS: 'sqlite', DATABASE_POOL_SIZE: 'postgres' };

function misplacedSettings(present: Record<string, string | undefined>): string[] {
  const engine = POSTGRES_URL.test(present.DATABASE_URL ?? '') ? 'postgres' : 'sqlite';
  return Object.entries(ENGINE_ONLY)
    .filter(([key, only]) => present[key] !== undefined && only !== engine)
    .map(([key, only]) => `${key}: applies only to ${only === 'sqlite' ? 'SQLite' : 'PostgreSQL'} storage (see DATABASE_URL)`);
}

type Database = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

function parseDatabaseUrl(url: string, ctx: z.RefinementCtx): Database {
  if (url === ':memory:' || url === 'sqlite::memory:') return { kind: 'sqlite', path: ':memory:' };
  if (POSTGRES_URL.test(url)) {
    if (!URL.canParse(url)) {
      ctx.addIssue({ code: 'custom', message: 'not a valid postgres:// URL' });
      return z.NEVER;
    }
    return { kind: 'postgres', url };
  }
  if (url.startsWith('sqlite://')) return { kind: 'sqlite', path: url.slice('sqlite://'.length) };
  if (url.startsWith('sqlite:')) return { kind: 'sqlite', path: url.slice('sqlite:'.length) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    ctx.addIssue({ code: 'custom', message: 'expected postgres://…, a SQLite file path, sqlite:PATH or :memory:' });
    return z.NEVER;
  }
  return { kind: 'sqlite', path: url };
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Reads the configuration from `env` (normally process.env). Throws a ConfigError listing every problem. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const present = Object.fromEntries(
    Object.keys(ENV.shape)
      .map((key) => [key, env[key]?.trim()] as const)
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = ENV.safeParse(present);
  const problems = [
    ...(result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)),
    ...misplacedSettings(present),
  ];
  if (!result.success || problems.length > 0) throw new ConfigError(problems);
  const e = result.data;
  const db = e.DATABASE_URL;
  return {
    port: e.PORT,
    host: e.HOST,
    storage:
      db.kind === 'sqlite'
        ? { ...db, synchronous: e.SQLITE_SYNCHRONOUS }
        : { ...db, poolSize: e.DATABASE_POOL_SIZE },
    logLevel: e.LOG_LEVEL,
    adminToken: e.ADMIN_TOKEN,
    allowedOrigins: e.ALLOWED_ORIGINS,
    trustProxy: e.TRUST_PROXY,
    nameReservationMs: e.NAME_RESERVATION_DAYS * DAY_MS,
    retentionMs: e.RETENTION_DAYS * DAY_MS,
  };
}

/** A configuration for tests and embedding: in-memory storage, quiet logs, ephemeral port. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({ PORT: '0', DATABASE_URL: ':memory:', LOG_LEVEL: 'silent' }), ...overrides };
}
