/**
 * Why the server could not start, said so that the person starting it knows what to do (issue 20, "The first
 * hour"): each failure is one problem and one hint. Failures this module recognises are the operator's to fix
 * (a port in use, a directory the server may not write, a database that is not there) and carry no stack
 * trace; anything else is unexpected and keeps its error, stack and all, for a bug report.
 *
 * Nothing secret is repeated: database and Redis URLs are shown as user@host:port/name, never with a password.
 */
import os from 'node:os';
import path from 'node:path';
import type { Config, ConfigError } from '../config';
import { SchemaTooNewError } from '../store/schema-version';

export interface StartupFailure {
  /** What is wrong, in a line: "port 3000 is in use". */
  problem: string;
  /** What to do about it: "set PORT to a free port…". */
  hint: string;
  /** A configuration's problems, one per variable. */
  problems?: string[];
  /** The error itself, for an unexpected failure only. */
  err?: unknown;
  /** 2 for a configuration the server refuses (a supervisor should not restart it as it is), 1 otherwise. */
  exitCode: 1 | 2;
}

/** What the server was doing when it failed; `start` is anything else on the way. */
export type StartupStage = 'env-file' | 'storage' | 'cluster' | 'listen' | 'start';

const DOCS = 'docs/deployment.md';

export function configFailure(err: ConfigError): StartupFailure {
  const n = err.problems.length;
  return {
    problem: `the configuration has ${n === 1 ? 'a problem' : `${n} problems`}`,
    problems: err.problems,
    hint: 'set these variables in the environment or in .env (.env.example describes each) and start again',
    exitCode: 2,
  };
}

export function startupFailure(stage: StartupStage, err: unknown, config?: Config): StartupFailure {
  const known = recognise(stage, err, config);
  return known ? { ...known, exitCode: 1 } : { problem: `the server could not start: ${messageOf(err)}`, hint: UNEXPECTED, err, exitCode: 1 };
}

const UNEXPECTED = 'this is unexpected; please report it with this output (the stack trace shows where it happened)';

function recognise(stage: StartupStage, err: unknown, config: Config | undefined): Omit<StartupFailure, 'exitCode'> | undefined {
  switch (stage) {
    case 'env-file':
      return { problem: `cannot read .env in ${process.cwd()}: ${reason(err)}`, hint: 'make it readable by this user, or remove it and set the variables in the environment' };
    case 'listen':
      return config && listenFailure(err, config);
    case 'storage':
      if (err instanceof SchemaTooNewError) {
        return {
          problem: `the database was upgraded by a newer release of the chat (schema version ${err.found}; this release knows up to ${err.known})`,
          hint: `run that newer release, or restore the backup taken before the upgrade (${DOCS}, "Upgrades")`,
        };
      }
      if (config?.storage.kind === 'sqlite') return sqliteFailure(err, config.storage.path);
      if (config?.storage.kind === 'postgres') return postgresFailure(err, config.storage.url);
      return undefined;
    case 'cluster':
      return config?.redisUrl === undefined ? undefined : redisFailure(err, config.redisUrl);
    case 'start':
      return undefined;
  }
}

function listenFailure(err: unknown, { port, host }: Config): Omit<StartupFailure, 'exitCode'> | undefined {
  const on = host === undefined ? '' : ` on ${host}`;
  switch (codeOf(err)) {
    case 'EADDRINUSE':
      return { problem: `port ${port} is in use${on}`, hint: `set PORT to a free port (PORT=${port + 1} npm start), or stop the program using it (\`ss -ltnp 'sport = :${port}'\` names it)` };
    case 'EACCES':
    case 'EPERM':
      return {
        problem: `port ${port}${on} needs privileges that user ${whoami()} lacks`,
        hint: `ports below 1024 are for root: set PORT to 1024 or above (3000) with nginx in front (${DOCS}), or grant node CAP_NET_BIND_SERVICE`,
      };
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { problem: `HOST=${host} is not an address of this machine`, hint: 'set HOST to one of its addresses (127.0.0.1 behind a proxy on the same machine), or leave it unset for every interface' };
    default:
      return undefined;
  }
}

function sqliteFailure(err: unknown, file: string): Omit<StartupFailure, 'exitCode'> | undefined {
  const at = path.resolve(file);
  const dir = path.dirname(at);
  switch (codeOf(err)) {
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
    case 'ENOTDIR':
    case 'SQLITE_CANTOPEN':
    case 'SQLITE_READONLY':
    case 'SQLITE_PERM':
      return {
        problem: `cannot open the SQLite database ${at}: ${reason(err)}`,
        hint: `user ${whoami()} must be able to write to ${dir} (the database and its -wal and -shm files live there): set DATABASE_URL to a path it may write, or give it that directory (chown)`,
      };
    case 'SQLITE_NOTADB':
    case 'SQLITE_CORRUPT':
      return {
        problem: `${at} is not a SQLite database, or is damaged`,
        hint: `check that DATABASE_URL names the chat's database; if it is damaged, restore a backup (${DOCS}, "Backups")`,
      };
    default:
      return undefined;
  }
}

/** PostgreSQL's own error codes (SQLSTATE) for what an operator sets up. */
const POSTGRES_CODES: Record<string, (db: ShownUrl) => Omit<StartupFailure, 'exitCode'>> = {
  '3D000': (db) => ({ problem: `database "${db.name}" does not exist on ${db.server}`, hint: `create it (createdb -O ${db.user} ${db.name}), or correct DATABASE_URL` }),
  '28000': (db) => ({ problem: `${db.server} refused user "${db.user}"`, hint: 'correct the user in DATABASE_URL, or create that role (and allow it in pg_hba.conf)' }),
  '28P01': (db) => ({ problem: `${db.server} refused the password of user "${db.user}"`, hint: 'correct the password in DATABASE_URL' }),
  '42501': (db) => ({
    problem: `user "${db.user}" may not create the chat's tables in database "${db.name}"`,
    hint: `make it the database's owner (ALTER DATABASE ${db.name} OWNER TO ${db.user}), or grant it CREATE on schema public`,
  }),
};

function postgresFailure(err: unknown, url: string): Omit<StartupFailure, 'exitCode'> | undefined {
  const db = showUrl(url, 5432);
  const code = codeOf(err);
  if (code !== undefined && code in POSTGRES_CODES) return POSTGRES_CODES[code](db);
  if (isNetworkCode(code)) {
    return {
      problem: `cannot reach PostgreSQL at ${db.server}: ${reason(err)}`,
      hint: 'is PostgreSQL running and listening there (listen_addresses, port)? correct DATABASE_URL otherwise',
    };
  }
  return undefined;
}

function redisFailure(err: unknown, url: string): Omit<StartupFailure, 'exitCode'> {
  const redis = showUrl(url, 6379);
  return {
    problem: `cannot reach Redis at ${redis.server}: ${messageOf(err)}`,
    hint: 'is redis-server running and listening there? correct REDIS_URL otherwise (cluster mode needs one Redis shared by every node)',
  };
}

interface ShownUrl {
  /** host:port, without user or password. */
  server: string;
  user: string;
  name: string;
}

function showUrl(url: string, defaultPort: number): ShownUrl {
  const u = new URL(url);
  return {
    server: `${u.hostname || 'localhost'}:${u.port || defaultPort}`,
    user: decodeURIComponent(u.username) || whoami(),
    name: decodeURIComponent(u.pathname.slice(1)) || decodeURIComponent(u.username) || whoami(),
  };
}

function isNetworkCode(code: string | undefined): boolean {
  return code !== undefined && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(code);
}

/** The error's code; for an AggregateError (a host name with several addresses, all refused), its first one's. */
function codeOf(err: unknown): string | undefined {
  const e = err as { code?: unknown; errors?: unknown[] } | undefined;
  if (typeof e?.code === 'string') return e.code;
  return Array.isArray(e?.errors) ? codeOf(e.errors[0]) : undefined;
}

/** A system error's reason without Node's "EACCES: " prefix and the path after it ("permission denied"). */
function reason(err: unknown): string {
  const message = messageOf(err);
  return /^E[A-Z]+: ([^,]+)/.exec(message)?.[1] ?? message;
}

function messageOf(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return messageOf(err.errors[0]);
  return err instanceof Error ? err.message : String(err);
}

function whoami(): string {
  try {
    return os.userInfo().username;
  } catch {
    return `uid ${process.getuid?.()}`; // no passwd entry (a container's arbitrary uid)
  }
}
