/**
 * The chat page under a sub-path (issue 9): real Chromium pages at http://127.0.0.1:<port>/chat/, served
 * through a real nginx with docs/nginx/chat-subpath.conf by a server with BASE_PATH=/chat. Every request the
 * page makes must stay under /chat/ (its URLs are relative, its socket path derived from where it is served).
 */
import type { BrowserContext } from 'playwright-core';
import { startServer, type TestServer } from '../helpers';
import { describeBehindNginx, startNginx, type Nginx } from '../nginx';
import { BROWSER_TEST_MS, describeInBrowser, useBrowser } from './harness';

/** What the pages of a context asked for (HTTP requests and WebSockets) and what went wrong with it. */
function recordTraffic(context: BrowserContext, seen: { urls: string[]; failures: string[] }): void {
  context.on('request', (request) => seen.urls.push(request.url()));
  context.on('response', (response) => {
    if (response.status() >= 400) seen.failures.push(`${response.status()} ${response.url()}`);
  });
  context.on('requestfailed', (request) => seen.failures.push(`${request.failure()?.errorText} ${request.url()}`));
  context.on('page', (page) => page.on('websocket', (ws) => seen.urls.push(ws.url())));
}

describeInBrowser('chat page under a sub-path', () => {
  describeBehindNginx('behind nginx at /chat/ (docs/nginx/chat-subpath.conf, BASE_PATH=/chat)', () => {
    const browsers = useBrowser();
    let server: TestServer;
    let nginx: Nginx;

    beforeAll(async () => {
      server = await startServer({ basePath: '/chat', trustProxy: true });
      nginx = await startNginx({ site: 'chat-subpath.conf', upstreams: { chat_backend: [server.url] } });
    });
    afterAll(async () => {
      await browsers.closeAll(); // before the server, as the harness asks
      await server?.close();
      await nginx?.stop();
    });

    test(
      'two people chat at /chat/, publicly both ways and privately; every request of the page stays under /chat/',
      async () => {
        const seen = { urls: [] as string[], failures: [] as string[] };
        const setup = async (context: BrowserContext) => recordTraffic(context, seen);
        const alice = await browsers.person(nginx.url, { path: '/chat/', setup });
        await alice.login('alice');
        await alice.connected('websocket'); // upgraded through nginx
        // Bob stays on long-polling, so that every exchange of his is an HTTP request seen here.
        const bob = await browsers.person(nginx.url, { path: '/chat/?transport=polling', setup });
        await bob.login('bob');
        await bob.connected('polling');

        await alice.send('Hello from /chat/');
        await bob.seesOnce('Hello from /chat/');
        await bob.send('Hi Alice, same here');
        await alice.seesOnce('Hi Alice, same here');
        await alice.openConversationWith('bob');
        await alice.send('a secret, under /chat/');
        await bob.person('alice').locator('.badge', { hasText: '1' }).waitFor();
        await bob.openConversationWith('alice');
        await bob.seesOnce('a secret, under /chat/');
        expect([...alice.problems, ...bob.problems]).toEqual([]);

        const outside = seen.urls.filter((url) => !url.replace(/^ws/, 'http').startsWith(`${nginx.url}/chat/`));
        expect(outside).toEqual([]);
        expect(seen.failures).toEqual([]);
        const paths = new Set(seen.urls.map((url) => new URL(url).pathname));
        for (const path of ['/chat/', '/chat/style.css', '/chat/favicon.svg', '/chat/js/main.js', '/chat/socket.io/socket.io.js', '/chat/socket.io/']) {
          expect(paths).toContain(path);
        }
        expect(seen.urls.some((url) => url.startsWith(`${nginx.url.replace(/^http/, 'ws')}/chat/socket.io/`))).toBe(true);
      },
      BROWSER_TEST_MS,
    );

    test(
      'opening /chat without the slash lands on /chat/ and works',
      async () => {
        const carol = await browsers.person(nginx.url, { path: '/chat' });
        expect(carol.page.url()).toBe(`${nginx.url}/chat/`);
        await carol.login('carol');
        await carol.send('arrived by /chat');
        await carol.seesOnce('arrived by /chat');
        expect(carol.problems).toEqual([]);
      },
      BROWSER_TEST_MS,
    );
  });
});
