/**
 * Who this client is: the credentials its next handshake presents, and the session it keeps (docs/protocol.md,
 * "Login in the handshake", "Sessions: one per device"). The session's token is kept in a store, so that every
 * reconnection, and a reload or restart with a persistent store, logs in as the same user before any of its
 * packets is handled. Two keys, as the page keeps them: `session`, who this client is signed in as now, and
 * `device`, the name and token kept across a log-out, so that logging in again with the same name is the same
 * user. In JWT mode nothing is kept: every handshake gets a fresh token from the host (jwt.ts).
 */
import type { TokenRefresher } from './jwt.js';
import { readJson, writeJson, type KeyValueStore } from './storage.js';
import type { HandshakeAuth, LoginResult } from './wire.js';

export interface SavedSession {
  name: string;
  token: string;
  sessionId?: string;
}

/** A name (with the token kept for it, if any), a token alone, or a sign-in code (`signInCode` on another device). */
export type Credentials = { username: string; token?: string } | { token: string } | { code: string };

/** What the latest handshake presented: nothing, the kept session, credentials the application gave, a JWT. */
export type Presented = 'none' | 'kept' | 'given' | 'jwt';

const SESSION = 'session';
const DEVICE = 'device';

/** A name as compared on this side (mine or not, one conversation per peer): case- and width-insensitive. */
export function nameKey(name: string): string {
  return name.normalize('NFKC').toLowerCase();
}

export class SessionKeeper {
  private given: Credentials | undefined;
  presented: Presented = 'none';

  constructor(
    private readonly store: KeyValueStore,
    private readonly jwt?: TokenRefresher,
  ) {}

  /** The session this client is signed in with, if any. */
  kept(): SavedSession | undefined {
    return readJson(this.store, SESSION, isSaved);
  }

  /** The name and token this device keeps across a log-out, if any. */
  device(): SavedSession | undefined {
    return readJson(this.store, DEVICE, isSaved);
  }

  /** The next handshake presents `credentials` (once: later ones present the session they open). */
  use(credentials: Credentials): void {
    this.given = credentials;
  }

  /** The handshake's `auth`. Rejects only in JWT mode, when the host gives no token. */
  async auth(): Promise<HandshakeAuth> {
    if (this.jwt) {
      this.presented = 'jwt';
      return { token: await this.jwt.fetch() };
    }
    if (this.given) {
      this.presented = 'given';
      return this.payload(this.given);
    }
    const kept = this.kept();
    this.presented = kept ? 'kept' : 'none';
    return kept ? { token: kept.token } : {};
  }

  /** A `login` payload (or a handshake's): a name alone goes with the token this device kept for it. */
  payload(credentials: Credentials): HandshakeAuth {
    if (!('username' in credentials) || credentials.token !== undefined) return { ...credentials };
    const device = this.device();
    return device && nameKey(device.name) === nameKey(credentials.username) ? { username: credentials.username, token: device.token } : { ...credentials };
  }

  /** Logged in: keeps the session (a login that joined a tutorial name without its token gets none to keep). */
  signedIn(info: LoginResult): void {
    const given = this.given;
    this.given = undefined;
    if (this.jwt) return;
    const before = this.kept() ?? this.device();
    const same = before !== undefined && nameKey(before.name) === nameKey(info.user.name);
    const token = info.token ?? (same ? before.token : undefined);
    if (token === undefined) {
      // No token to keep: reconnections present the name again, as the tutorial's clients do.
      if (given !== undefined && 'username' in given) this.given = given;
      return this.store.remove(SESSION);
    }
    const session: SavedSession = { name: info.user.name, token, sessionId: info.sessionId ?? (same ? before.sessionId : undefined) };
    writeJson(this.store, SESSION, session);
    writeJson(this.store, DEVICE, session);
  }

  /** Signed out here; `device` also forgets the token kept for the name (given up, or it opens nothing any more). */
  signedOut(device: boolean): void {
    this.given = undefined;
    this.store.remove(SESSION);
    if (device) this.store.remove(DEVICE);
  }

  /** The credentials the application gave were refused: they are not presented again. */
  refused(): void {
    this.given = undefined;
  }
}

function isSaved(value: unknown): value is SavedSession {
  const v = value as Partial<SavedSession> | null;
  return typeof v?.name === 'string' && typeof v.token === 'string';
}
