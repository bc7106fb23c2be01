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
export type StorageConfig = { kind: 'sqlite'; path: string; synchronous: SqliteSync };

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
  /**
   * The URL prefix everything is served under (page, HTTP API, probes, Socket.IO), e.g. `/chat`; '' is the
   * root. Starts with `/` and has no trailing slash (http/base-path.ts).
   */
  basePath: string;
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
} as const;

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v));

/** `/chat`, `/apps/chat`: segments of unreserved URL characters (not `.` or `..`), no trailing slash. */
const basePath = z
  .string()
  .regex(
    /^(\/(?!\.\.?(\/|$))[\w~.-]+)+$/,
    'must look like /chat: a leading slash and none at the end, segments of letters, digits, "_", "-", "." or "~" (not "." or ".."); leave it empty for the root',
  );

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
  BASE_PATH: basePath.optional(),
});

function parseDatabaseUrl(url: string, ctx: z.RefinementCtx): { kind: 'sqlite'; path: string } {
  if (url === ':memory:' || url === 'sqlite::memory:') return { kind: 'sqlite', path: ':memory:' };
  if (/^postgres(ql)?:\/\//.test(url)) {
    ctx.addIssue({ code: 'custom', message: 'PostgreSQL storage is not available yet; use a SQLite path' });
    return z.NEVER;
  }
  if (url.startsWith('sqlite://')) return { kind: 'sqlite', path: url.slice('sqlite://'.length) };
  if (url.startsWith('sqlite:')) return { kind: 'sqlite', path: url.slice('sqlite:'.length) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    ctx.addIssue({ code: 'custom', message: 'expected a SQLite file path, sqlite:PATH or :memory:' });
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
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = result.data;
  return {
    port: e.PORT,
    host: e.HOST,
    storage: { ...e.DATABASE_URL, synchronous: e.SQLITE_SYNCHRONOUS },
    logLevel: e.LOG_LEVEL,
    adminToken: e.ADMIN_TOKEN,
    allowedOrigins: e.ALLOWED_ORIGINS,
    trustProxy: e.TRUST_PROXY,
    nameReservationMs: e.NAME_RESERVATION_DAYS * DAY_MS,
    retentionMs: e.RETENTION_DAYS * DAY_MS,
    basePath: e.BASE_PATH ?? '',
  };
}

/** A configuration for tests and embedding: in-memory storage, quiet logs, ephemeral port. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({ PORT: '0', DATABASE_URL: ':memory:', LOG_LEVEL: 'silent' }), ...overrides };
}
