/**
 * JWT mode (docs/auth.md): the chat belongs to a host application that signs short-lived tokens for its
 * signed-in user (the page gets them from JWT_TOKEN_URL). Every handshake carries a fresh token, and before the
 * current one expires the next is fetched and sent on the live connection (`login { token }`), so that the
 * server never ends the session for an expired token (`session_expired`).
 */
/** Gets a fresh token from the host application; rejects when it cannot (signed out at the host, offline). */
export type TokenSource = () => Promise<string>;

/** How long before a token expires the next one is asked for (at most half the token's lifetime). */
const REFRESH_AHEAD_MS = 30_000;
const MIN_WAIT_MS = 1_000;
/** After a failed refresh, the next attempt (while the token has not expired yet). */
const RETRY_MS = 5_000;

export class TokenRefresher {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(
    private readonly source: TokenSource,
    /** A fresh token, fetched ahead of the current one's expiry. */
    private readonly refreshed: (token: string) => void,
    private readonly failed: (err: unknown) => void,
  ) {}

  /** A fresh token from the host; schedules the next one ahead of its expiry. */
  async fetch(): Promise<string> {
    const token = await this.source();
    if (typeof token !== 'string' || token === '') throw new Error('the token source gave no token');
    this.schedule(expiryOf(token));
    return token;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(expiresAt: number | undefined): void {
    clearTimeout(this.timer);
    if (expiresAt === undefined || this.stopped) return;
    const lifetime = expiresAt - Date.now();
    this.timer = setTimeout(() => this.refresh(expiresAt), Math.max(MIN_WAIT_MS, lifetime - Math.min(REFRESH_AHEAD_MS, lifetime / 2)));
  }

  private refresh(expiresAt: number): void {
    this.fetch().then(
      (token) => !this.stopped && this.refreshed(token),
      (err: unknown) => {
        this.failed(err);
        if (!this.stopped && Date.now() + RETRY_MS < expiresAt) this.timer = setTimeout(() => this.refresh(expiresAt), RETRY_MS);
      },
    );
  }
}

/** A JWT's `exp` in epoch ms, read from its payload (the server verifies the token; this only times the refresh). */
export function expiryOf(token: string): number | undefined {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const exp: unknown = JSON.parse(atob(payload)).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
