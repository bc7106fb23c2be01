/**
 * The page in JWT mode (AUTH_MODE=jwt, docs/auth.md): a host application signs its users in and hands out
 * tokens at JWT_TOKEN_URL; the page fetches them with the user's cookies, logs in with the handshake, and
 * refreshes the token on the live connection before it expires.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { loadConfig } from '../../src/config';
import { startServer, type TestServer } from '../helpers';
import { BROWSER_TEST_MS, describeInBrowser, useBrowser } from './harness';

const SECRET = 'a-shared-secret-of-at-least-32-bytes!!';

/** A stand-in for the host application: GET /token signs a token for the user its cookie names. */
async function startHost(lifetimeSeconds: number) {
  const issued: Array<{ user: string; exp: number }> = [];
  let chatOrigin = '';
  const server = http.createServer(async (req, res) => {
    res.setHeader('Access-Control-Allow-Origin', chatOrigin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    const user = /(?:^|;\s*)user=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    if (req.url !== '/token' || !user) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"not signed in"}');
      return;
    }
    const exp = Math.floor(Date.now() / 1000) + lifetimeSeconds;
    const token = await new SignJWT({ preferred_username: user })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(`host-user-${user}`)
      .setIssuer('https://host.example')
      .setAudience('chat')
      .setExpirationTime(exp)
      .sign(new TextEncoder().encode(SECRET));
    issued.push({ user, exp: exp * 1000 });
    server.emit('issued', user);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    issued,
    server,
    allow(origin: string) {
      chatOrigin = origin;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describeInBrowser('chat page: signed in by a host application (JWT mode)', () => {
  const browsers = useBrowser();
  let host: Awaited<ReturnType<typeof startHost>>;
  let chat: TestServer;

  async function start(lifetimeSeconds: number): Promise<void> {
    host = await startHost(lifetimeSeconds);
    const auth = loadConfig({
      AUTH_MODE: 'jwt',
      JWT_SECRET: SECRET,
      JWT_ISSUER: 'https://host.example',
      JWT_AUDIENCE: 'chat',
      JWT_CLOCK_TOLERANCE_SECONDS: '0',
      JWT_TOKEN_URL: `${host.url}/token`,
    }).auth;
    chat = await startServer({ auth });
    host.allow(chat.url);
  }

  afterEach(async () => {
    await browsers.closeAll();
    await chat?.close();
    await host?.close();
  });

  /** A person whose browser holds the host's session cookie for `user`. */
  const signedInAtHost = (user: string) => ({
    setup: (context: import('playwright-core').BrowserContext) => context.addCookies([{ name: 'user', value: user, url: host.url }]),
  });

  test(
    'people signed in at the host are signed in to the chat by themselves, with no name form',
    async () => {
      await start(600);
      const alice = await browsers.person(chat.url, signedInAtHost('alice'));
      const bob = await browsers.person(chat.url, signedInAtHost('bob'));
      await alice.loggedInAs('alice');
      await bob.loggedInAs('bob');
      expect(await alice.page.locator('#login-form').isVisible()).toBe(false);
      expect(await alice.page.locator('#logout').isVisible()).toBe(false);
      await alice.send('hello from the host app');
      await bob.seesOnce('hello from the host app');
      await bob.send('hi alice');
      await alice.seesOnce('hi alice');
      expect([...alice.problems, ...bob.problems]).toEqual([]);
    },
    BROWSER_TEST_MS,
  );

  test(
    'the page gets a fresh token before the old one expires and stays connected past its expiry',
    async () => {
      await start(4);
      const secondToken = new Promise<void>((resolve) =>
        host.server.on('issued', () => host.issued.filter((t) => t.user === 'carol').length >= 2 && resolve()),
      );
      const carol = await browsers.person(chat.url, signedInAtHost('carol'));
      await carol.loggedInAs('carol');
      const firstExpiry = host.issued[0].exp;
      await secondToken;
      // Past the first token's expiry (a wall-clock moment, which is what this test is about)…
      await new Promise((r) => setTimeout(r, Math.max(0, firstExpiry - Date.now()) + 500));
      // …carol was never cut off and still chats.
      await carol.connected();
      await carol.send('still here');
      await carol.message('still here').and(carol.page.locator('[data-status="sent"]')).waitFor();
      expect(await carol.page.locator('[data-notice="error"]').count()).toBe(0);
      expect(carol.problems).toEqual([]);
    },
    BROWSER_TEST_MS,
  );

  test(
    'someone not signed in at the host is told so, and nothing else happens',
    async () => {
      await start(600);
      const stranger = await browsers.person(chat.url);
      await stranger.page.locator('#host-signin', { hasText: 'Sign in to your account on the host site first' }).waitFor();
      expect(await stranger.page.locator('#chat-view').isVisible()).toBe(false);
      expect(stranger.problems).toEqual([]);
    },
    BROWSER_TEST_MS,
  );
});
