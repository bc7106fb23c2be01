/**
 * The one place that reads the environment. `loadConfig` turns a fixed list of variables into a typed
 * Config, reporting every problem at once; the process refuses to start on any of them.
 * Every variable here is documented in .env.example and docs/configuration.md (tests/docs-config.test.ts checks both).
 */
import { z } from 'zod';
import type { LimitRule, RateLimitConfig } from './limits/rate-limits';
import type { RoomLimits } from './store/rooms';
import { AUTH_VARIABLES, loadAuthConfig, type AuthConfig } from './auth/config';

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
  | ({ kind: 'postgres'; url: string; poolSize: number } & PostgresTimeouts);

/**
 * How long PostgreSQL may take (issue 16: without these, a database that silently stops answering held every
 * socket's queue and the shutdown forever): to connect; for a statement (the server cancels it, and the client
 * gives up on a server that does not answer at all; also the longest a transaction may sit idle); and how long
 * an unused pooled connection is kept.
 */
export interface PostgresTimeouts {
  connectTimeoutMs: number;
  queryTimeoutMs: number;
  idleTimeoutMs: number;
}

export interface Config {
  port: number;
  /** Undefined: every interface (Node's default, IPv6 and IPv4 where available). */
  host: string | undefined;
  storage: StorageConfig;
  logLevel: LogLevel;
  /** Undefined: the admin HTTP API is disabled. */
  adminToken: string | undefined;
  /**
   * The origins the server's own page is served from (`https://chat.example.com`). Set, they replace any trust
   * in the Host header for the socket origin check; empty, only IP-literal and localhost hosts are trusted.
   */
  publicOrigins: string[];
  /** Origins allowed to open a socket besides the page's own; '*' allows any. */
  allowedOrigins: '*' | string[];
  /** Trust X-Forwarded-* headers (set when running behind nginx or another proxy). */
  trustProxy: boolean;
  /**
   * With trustProxy: how many proxies in front append to X-Forwarded-For (nginx alone: 1; a load balancer
   * and nginx: 2). The client address is the entry that many from the right (client-address.ts).
   */
  proxyHops: number;
  /** How long a name stays bound to its token after its owner was last seen. */
  nameReservationMs: number;
  /** How long a sign-in code (issue 21) opens a new session before it expires. */
  signInCodeMs: number;
  /** Messages older than this are deleted (hourly); 0 keeps everything. */
  retentionMs: number;
  /**
   * Tutorial-style logins (`login {id}` without a token) claim names provisionally: shared by every such
   * login and held only `legacyGraceMs` after the last connection (identity.ts). Off: `{id}` is `{username}`.
   */
  legacyLogin: boolean;
  legacyGraceMs: number;
  /** Accept Socket.IO v2 clients (Engine.IO protocol 3), Socket.IO's `allowEIO3`. */
  allowEio3: boolean;
  rateLimits: RateLimitConfig;
  /** Caps on rooms (issue 17): rooms a user may be a member of, members a room may have. */
  roomLimits: RoomLimits;
  /** Who a user is: the chat's own names and tokens, or a host application's JWT (src/auth/config.ts). */
  auth: AuthConfig;
  /**
   * The URL prefix everything is served under (page, HTTP API, probes, Socket.IO), e.g. `/chat`; '' is the
   * root. Starts with `/` and has no trailing slash (http/base-path.ts).
   */
  basePath: string;
  /** Set: cluster mode (cluster.ts), with the Socket.IO adapter, presence and rate limits in this Redis. */
  redisUrl: string | undefined;
  /** This node's identity in the cluster; unset: machine/HOST:PORT, or machine:pid:random when the port is picked (presence/node-id.ts). */
  nodeId: string | undefined;
  /**
   * Cluster mode: typing, presence and notices older than this when Redis can take or give them (an outage)
   * are dropped, not delivered late (cluster-events.ts).
   */
  clusterEventMaxAgeMs: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export const DEFAULTS = {
  PORT: '3000',
  DATABASE_URL: './data/chat.db',
  LOG_LEVEL: 'info',
  TRUST_PROXY: 'false',
  TRUST_PROXY_HOPS: '1',
  NAME_RESERVATION_DAYS: '30',
  SIGN_IN_CODE_MINUTES: '10',
  RETENTION_DAYS: '0',
  SQLITE_SYNCHRONOUS: 'full',
  LEGACY_LOGIN: 'on',
  LEGACY_NAME_GRACE_SECONDS: '120',
  ALLOW_EIO3: 'false',
  RATE_LIMITS: 'on',
  RATE_LIMIT_MESSAGES_BURST: '20/10',
  RATE_LIMIT_MESSAGES: '120/60',
  RATE_LIMIT_TYPING: '60/60',
  RATE_LIMIT_LOGINS_PER_ADDRESS: '60/60',
  RATE_LIMIT_BAD_TOKENS_PER_ADDRESS: '20/600',
  RATE_LIMIT_BAD_TOKENS_PER_NAME: '50/600',
  RATE_LIMIT_CONNECTIONS_PER_ADDRESS: '200/60',
  RATE_LIMIT_READS_PER_SOCKET: '120/60',
  RATE_LIMIT_READS_PER_ADDRESS: '1200/60',
  RATE_LIMIT_READ_MARKS: '300/60',
  RATE_LIMIT_ROOM_CHANGES: '30/60',
  RATE_LIMIT_MODERATION: '30/60',
  MAX_SOCKETS_PER_USER: '20',
  MAX_SOCKETS_PER_ADDRESS: '1000',
  MAX_ROOMS_PER_USER: '1000',
  MAX_MEMBERS_PER_ROOM: '100000',
  DATABASE_POOL_SIZE: '10',
  DATABASE_CONNECT_TIMEOUT_SECONDS: '10',
  DATABASE_QUERY_TIMEOUT_SECONDS: '30',
  DATABASE_IDLE_TIMEOUT_SECONDS: '30',
  CLUSTER_EVENT_MAX_AGE_SECONDS: '5',
} as const;

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v));

/** "20/10": 20 actions per 10 seconds. */
const rule = z
  .string()
  .regex(/^\d+\/\d+$/, 'write it as POINTS/SECONDS, e.g. 20/10')
  .transform((v): LimitRule => {
    const [points, seconds] = v.split('/').map(Number);
    return { points, seconds };
  })
  .refine((r) => r.points >= 1 && r.seconds >= 1 && r.seconds <= 86_400, 'points and seconds at least 1, at most a day');
/** `/chat`, `/apps/chat`: segments of unreserved URL characters (not `.` or `..`), no trailing slash. */
const basePath = z
  .string()
  .regex(
    /^(\/(?!\.\.?(\/|$))[\w~.-]+)+$/,
    'must look like /chat: a leading slash and none at the end, segments of letters, digits, "_", "-", "." or "~" (not "." or ".."); leave it empty for the root',
  );

/** A duration in seconds, fractions allowed, at least a tenth and at most an hour. */
const seconds = z.coerce.number().min(0.1).max(3600);

const origin = z.string().regex(/^https?:\/\/[^/\s]+$/, 'each origin looks like https://chat.example.com');

/** Environment variable → validator. Empty strings count as unset. AUTH_MODE and JWT_* are read by src/auth/config.ts. */
const ENV = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(Number(DEFAULTS.PORT)),
  HOST: z.string().min(1).optional(),
  DATABASE_URL: z.string().min(1).default(DEFAULTS.DATABASE_URL).transform(parseDatabaseUrl),
  LOG_LEVEL: z.enum(LOG_LEVELS).default(DEFAULTS.LOG_LEVEL),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  PUBLIC_ORIGINS: z.string().default('').transform(originList),
  ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((v, ctx) => (v.trim() === '*' ? ('*' as const) : originList(v, ctx))),
  TRUST_PROXY: bool.default(false),
  TRUST_PROXY_HOPS: z.coerce.number().int().min(1).max(10).default(Number(DEFAULTS.TRUST_PROXY_HOPS)),
  NAME_RESERVATION_DAYS: z.coerce.number().positive().max(36500).default(Number(DEFAULTS.NAME_RESERVATION_DAYS)),
  RETENTION_DAYS: z.coerce.number().nonnegative().max(36500).default(Number(DEFAULTS.RETENTION_DAYS)),
  SIGN_IN_CODE_MINUTES: z.coerce.number().int().min(1).max(60).default(Number(DEFAULTS.SIGN_IN_CODE_MINUTES)),
  SQLITE_SYNCHRONOUS: z.enum(['full', 'normal']).default(DEFAULTS.SQLITE_SYNCHRONOUS),
  LEGACY_LOGIN: z.enum(['on', 'off']).default(DEFAULTS.LEGACY_LOGIN),
  LEGACY_NAME_GRACE_SECONDS: z.coerce.number().int().min(0).max(86_400).default(Number(DEFAULTS.LEGACY_NAME_GRACE_SECONDS)),
  ALLOW_EIO3: bool.default(false),
  RATE_LIMITS: z.enum(['on', 'off']).default(DEFAULTS.RATE_LIMITS),
  RATE_LIMIT_MESSAGES_BURST: rule.prefault(DEFAULTS.RATE_LIMIT_MESSAGES_BURST),
  RATE_LIMIT_MESSAGES: rule.prefault(DEFAULTS.RATE_LIMIT_MESSAGES),
  RATE_LIMIT_TYPING: rule.prefault(DEFAULTS.RATE_LIMIT_TYPING),
  RATE_LIMIT_LOGINS_PER_ADDRESS: rule.prefault(DEFAULTS.RATE_LIMIT_LOGINS_PER_ADDRESS),
  RATE_LIMIT_BAD_TOKENS_PER_ADDRESS: rule.prefault(DEFAULTS.RATE_LIMIT_BAD_TOKENS_PER_ADDRESS),
  RATE_LIMIT_BAD_TOKENS_PER_NAME: rule.prefault(DEFAULTS.RATE_LIMIT_BAD_TOKENS_PER_NAME),
  RATE_LIMIT_CONNECTIONS_PER_ADDRESS: rule.prefault(DEFAULTS.RATE_LIMIT_CONNECTIONS_PER_ADDRESS),
  RATE_LIMIT_READS_PER_SOCKET: rule.prefault(DEFAULTS.RATE_LIMIT_READS_PER_SOCKET),
  RATE_LIMIT_READS_PER_ADDRESS: rule.prefault(DEFAULTS.RATE_LIMIT_READS_PER_ADDRESS),
  RATE_LIMIT_READ_MARKS: rule.prefault(DEFAULTS.RATE_LIMIT_READ_MARKS),
  RATE_LIMIT_ROOM_CHANGES: rule.prefault(DEFAULTS.RATE_LIMIT_ROOM_CHANGES),
  RATE_LIMIT_MODERATION: rule.prefault(DEFAULTS.RATE_LIMIT_MODERATION),
  MAX_SOCKETS_PER_USER: z.coerce.number().int().min(1).max(10_000).default(Number(DEFAULTS.MAX_SOCKETS_PER_USER)),
  MAX_SOCKETS_PER_ADDRESS: z.coerce.number().int().min(1).max(1_000_000).default(Number(DEFAULTS.MAX_SOCKETS_PER_ADDRESS)),
  MAX_ROOMS_PER_USER: z.coerce.number().int().min(1).max(1_000_000).default(Number(DEFAULTS.MAX_ROOMS_PER_USER)),
  MAX_MEMBERS_PER_ROOM: z.coerce.number().int().min(1).max(10_000_000).default(Number(DEFAULTS.MAX_MEMBERS_PER_ROOM)),
  BASE_PATH: basePath.optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(Number(DEFAULTS.DATABASE_POOL_SIZE)),
  DATABASE_CONNECT_TIMEOUT_SECONDS: seconds.default(Number(DEFAULTS.DATABASE_CONNECT_TIMEOUT_SECONDS)),
  DATABASE_QUERY_TIMEOUT_SECONDS: seconds.default(Number(DEFAULTS.DATABASE_QUERY_TIMEOUT_SECONDS)),
  DATABASE_IDLE_TIMEOUT_SECONDS: seconds.default(Number(DEFAULTS.DATABASE_IDLE_TIMEOUT_SECONDS)),
  REDIS_URL: z.string().regex(/^rediss?:\/\/\S+$/, 'expected redis://host:port (or rediss://)').optional(),
  NODE_ID: z.string().regex(/^[\w.:-]{1,100}$/, 'letters, digits and _ . : - only').optional(),
  CLUSTER_EVENT_MAX_AGE_SECONDS: z.coerce.number().positive().max(3600).default(Number(DEFAULTS.CLUSTER_EVENT_MAX_AGE_SECONDS)),
});

/** Every environment variable this module reads (AUTH_MODE and JWT_* are src/auth/config.ts's AUTH_VARIABLES). */
export const VARIABLES = Object.keys(ENV.shape) as ReadonlyArray<keyof typeof ENV.shape>;

/** A comma-separated list of origins, each checked. */
function originList(value: string, ctx: z.RefinementCtx): string[] {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of list) {
    const r = origin.safeParse(item);
    if (!r.success) ctx.addIssue({ code: 'custom', message: `"${item}": ${r.error.issues[0].message}` });
  }
  return list.map((item) => item.toLowerCase());
}


const POSTGRES_URL = /^postgres(ql)?:\/\//;

/** Settings that only mean something for one storage engine; setting one for the other is a mistake worth reporting. */
const ENGINE_ONLY: Record<string, 'sqlite' | 'postgres'> = {
  SQLITE_SYNCHRONOUS: 'sqlite',
  DATABASE_POOL_SIZE: 'postgres',
  DATABASE_CONNECT_TIMEOUT_SECONDS: 'postgres',
  DATABASE_QUERY_TIMEOUT_SECONDS: 'postgres',
  DATABASE_IDLE_TIMEOUT_SECONDS: 'postgres',
};

function misplacedSettings(present: Record<string, string | undefined>): string[] {
  const engine = POSTGRES_URL.test(present.DATABASE_URL ?? '') ? 'postgres' : 'sqlite';
  return Object.entries(ENGINE_ONLY)
    .filter(([key, only]) => present[key] !== undefined && only !== engine)
    .map(([key, only]) => `${key}: applies only to ${only === 'sqlite' ? 'SQLite' : 'PostgreSQL'} storage (see DATABASE_URL)`);
}

/** TRUST_PROXY_HOPS means nothing without TRUST_PROXY: refused, so that a half-done proxy setup is noticed. */
function proxyProblems(present: Record<string, string | undefined>): string[] {
  const trusted = bool.safeParse(present.TRUST_PROXY ?? 'false');
  if (present.TRUST_PROXY_HOPS === undefined || !trusted.success || trusted.data) return [];
  return ['TRUST_PROXY_HOPS: applies only with TRUST_PROXY=true'];
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

/** Cluster mode needs a database every node can reach: a SQLite file belongs to one process. */
function clusterProblems(present: Record<string, string | undefined>): string[] {
  if (present.REDIS_URL === undefined || POSTGRES_URL.test(present.DATABASE_URL ?? '')) return [];
  return ['REDIS_URL: cluster mode needs DATABASE_URL=postgres://… (a SQLite file cannot be shared by several nodes)'];
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
    [...Object.keys(ENV.shape), ...AUTH_VARIABLES]
      .map((key) => [key, env[key]?.trim()] as const)
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = ENV.safeParse(present);
  const auth = loadAuthConfig(present);
  const problems = [
    ...(result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)),
    ...misplacedSettings(present),
    ...(auth.ok ? [] : auth.problems),
    ...clusterProblems(present),
    ...proxyProblems(present),
  ];
  if (!result.success || !auth.ok || problems.length > 0) throw new ConfigError(problems);
  const e = result.data;
  const db = e.DATABASE_URL;
  return {
    port: e.PORT,
    host: e.HOST,
    storage:
      db.kind === 'sqlite'
        ? { ...db, synchronous: e.SQLITE_SYNCHRONOUS }
        : {
            ...db,
            poolSize: e.DATABASE_POOL_SIZE,
            connectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_SECONDS * 1000,
            queryTimeoutMs: e.DATABASE_QUERY_TIMEOUT_SECONDS * 1000,
            idleTimeoutMs: e.DATABASE_IDLE_TIMEOUT_SECONDS * 1000,
          },
    logLevel: e.LOG_LEVEL,
    adminToken: e.ADMIN_TOKEN,
    publicOrigins: e.PUBLIC_ORIGINS,
    allowedOrigins: e.ALLOWED_ORIGINS,
    trustProxy: e.TRUST_PROXY,
    proxyHops: e.TRUST_PROXY_HOPS,
    nameReservationMs: e.NAME_RESERVATION_DAYS * DAY_MS,
    signInCodeMs: e.SIGN_IN_CODE_MINUTES * 60_000,
    retentionMs: e.RETENTION_DAYS * DAY_MS,
    legacyLogin: e.LEGACY_LOGIN === 'on',
    legacyGraceMs: e.LEGACY_NAME_GRACE_SECONDS * 1000,
    allowEio3: e.ALLOW_EIO3,
    rateLimits: {
      enabled: e.RATE_LIMITS === 'on',
      messagesBurst: e.RATE_LIMIT_MESSAGES_BURST,
      messages: e.RATE_LIMIT_MESSAGES,
      typing: e.RATE_LIMIT_TYPING,
      loginsPerAddress: e.RATE_LIMIT_LOGINS_PER_ADDRESS,
      badTokensPerAddress: e.RATE_LIMIT_BAD_TOKENS_PER_ADDRESS,
      badTokensPerName: e.RATE_LIMIT_BAD_TOKENS_PER_NAME,
      connectionsPerAddress: e.RATE_LIMIT_CONNECTIONS_PER_ADDRESS,
      readsPerSocket: e.RATE_LIMIT_READS_PER_SOCKET,
      readsPerAddress: e.RATE_LIMIT_READS_PER_ADDRESS,
      readMarks: e.RATE_LIMIT_READ_MARKS,
      roomChanges: e.RATE_LIMIT_ROOM_CHANGES,
      moderation: e.RATE_LIMIT_MODERATION,
      socketsPerUser: e.MAX_SOCKETS_PER_USER,
      socketsPerAddress: e.MAX_SOCKETS_PER_ADDRESS,
    },
    roomLimits: { maxRoomsPerUser: e.MAX_ROOMS_PER_USER, maxMembersPerRoom: e.MAX_MEMBERS_PER_ROOM },
    auth: auth.auth,
    basePath: e.BASE_PATH ?? '',
    redisUrl: e.REDIS_URL,
    nodeId: e.NODE_ID,
    clusterEventMaxAgeMs: e.CLUSTER_EVENT_MAX_AGE_SECONDS * 1000,
  };
}

/**
 * A configuration for tests and embedding: in-memory storage, quiet logs, ephemeral port, and no rate limits
 * (every test client comes from 127.0.0.1; the rate-limit tests switch them on).
 */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({ PORT: '0', DATABASE_URL: ':memory:', LOG_LEVEL: 'silent', RATE_LIMITS: 'off' }), ...overrides };
}
