/**
 * The page on a bad network: forced onto HTTP long-polling, cut off and reconnected (catching up with `sync`
 * and sending what was written meanwhile), a send interrupted before its ack, and a server restart.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Locator, Route } from 'playwright-core';
import { createApp, type ChatApp } from '../../src/app';
import { loadConfig, testConfig } from '../../src/config';
import { openSqliteStore } from '../../src/store';
import { gatedStore } from '../gated-store';
import { ack, startServer, type TestServer } from '../helpers';
import { BROWSER_TEST_MS, describeInBrowser, useBrowser, useServerPerTest } from './harness';

const SOCKET_IO = /\/socket\.io\//;

/** How many refusals `server` has answered `rate_limited` so far (its chat_errors_total counter). */
async function rateLimited(server: TestServer): Promise<number> {
  return (await server.app.services.metrics.errors.get()).values.find((v) => v.labels.code === 'rate_limited')?.value ?? 0;
}

/** The number of seconds a countdown shows ("… in 5 s…"), once it is visible. */
async function secondsIn(countdown: Locator): Promise<number> {
  await countdown.waitFor();
  const match = /in (\d+) s/.exec((await countdown.textContent()) ?? '');
  if (!match) throw new Error(`no countdown in ${await countdown.textContent()}`);
  return Number(match[1]);
}

describeInBrowser('chat page: network trouble', () => {
  const browsers = useBrowser();

  describe('on one server', () => {
    const server = useServerPerTest(browsers);

    test(
      'works over HTTP long-polling: pinned with ?transport=polling, and when a proxy blocks WebSocket',
      async () => {
        const alice = await browsers.person(server.current.url, { path: '/?transport=polling' });
        await alice.login('alice');
        let blocked = 0;
        const blockWebSocket = (context: BrowserContext) =>
          context.routeWebSocket(SOCKET_IO, (ws) => {
            blocked++;
            void ws.close({ code: 1011, reason: 'blocked by the test' });
          });
        const bob = await browsers.person(server.current.url, { setup: blockWebSocket });
        await bob.login('bob');

        await alice.send('over long-polling');
        await bob.seesOnce('over long-polling');
        await bob.send('me too');
        await alice.seesOnce('me too');
        await alice.openConversationWith('bob');
        await alice.send('private, still polling');
        await bob.person('alice').locator('.badge').waitFor();

        expect(blocked).toBeGreaterThan(0); // Bob's page did try to upgrade, and stayed on polling
        for (const person of [alice, bob]) {
          await person.connected('polling');
          expect(await person.page.locator('#connection-text').textContent()).toBe('Connected · HTTP long-polling');
        }
        expect([...alice.problems, ...bob.problems]).toEqual([]);
      },
      BROWSER_TEST_MS,
    );

    test(
      'cut off, it shows "reconnecting", keeps what was written as pending, then catches up with sync and sends it',
      async () => {
        const alice = await browsers.person(server.current.url, { path: '/?transport=polling' });
        await alice.login('alice');
        const bob = await browsers.person(server.current.url);
        await bob.login('bob');
        // Alice's packets after the cut, as seen in her polling requests.
        const sent: string[] = [];
        let cutOff = false;
        alice.page.on('request', (request) => {
          if (cutOff) sent.push(request.postData() ?? '');
        });

        await bob.send('m0, seen live');
        await alice.seesOnce('m0, seen live');

        // Cut Alice off: every request of her long-polling transport fails from now on. Her pending long-poll
        // ends with Bob's next message (whether it still delivers it does not matter), and the next one fails.
        const cut = (route: Route) => route.abort('internetdisconnected');
        await alice.page.context().route(SOCKET_IO, cut);
        cutOff = true;
        await bob.send('m1, while alice was away');
        await alice.connectionState('reconnecting');
        await alice.page.locator('#connection-text', { hasText: 'Reconnecting…' }).waitFor();

        await bob.send('m2, while alice was away');
        await alice.send('written while cut off');
        await alice.pending().and(alice.page.locator('[data-status="queued"]')).waitFor();
        await alice.pending().getByText('Waiting for the connection…').waitFor();
        // Kept in the tab's sessionStorage (the client library's outbox store), under the page's prefix.
        expect(await alice.page.evaluate('sessionStorage.getItem("chat.outbox.alice")')).toContain('written while cut off');

        await alice.page.context().unroute(SOCKET_IO, cut);
        await alice.connected('polling');
        await alice.seesOnce('m1, while alice was away');
        await alice.seesOnce('m2, while alice was away');
        await bob.seesOnce('written while cut off');
        await alice.message('written while cut off').and(alice.page.locator('[data-status="sent"]')).waitFor();
        expect(await alice.pending().count()).toBe(0);
        // Caught up with `sync`, not by reloading the history.
        expect(sent.some((body) => body.includes('"sync"'))).toBe(true);
        expect(sent.some((body) => body.includes('"history"'))).toBe(false);
        expect(await alice.texts()).toEqual(['m0, seen live', 'm1, while alice was away', 'm2, while alice was away', 'written while cut off']);
        expect([...alice.problems, ...bob.problems]).toEqual([]);
      },
      BROWSER_TEST_MS,
    );

    test(
      'what was written while cut off stays in the tab: after a reload it is sent, once',
      async () => {
        const alice = await browsers.person(server.current.url, { path: '/?transport=polling' });
        await alice.login('alice');
        const bob = await browsers.person(server.current.url);
        await bob.login('bob');
        // The connection's requests only: the page and its scripts (socket.io.js too) still load.
        const connection = /\/socket\.io\/\?EIO=/;
        const cut = (route: Route) => route.abort('internetdisconnected');
        await alice.page.context().route(connection, cut);
        await bob.send('nudge'); // ends alice's pending long-poll; the next one fails
        await alice.connectionState('reconnecting');
        await alice.send('written before the reload');
        await alice.pending().and(alice.page.locator('[data-status="queued"]')).waitFor();

        await alice.page.reload();
        await alice.page.locator('#me-name', { hasText: 'alice' }).waitFor(); // the kept session, still cut off
        await alice.page.context().unroute(connection, cut);
        await alice.connected();
        await bob.seesOnce('written before the reload');
        await alice.seesOnce('written before the reload');
        expect(await alice.page.evaluate('sessionStorage.getItem("chat.outbox.alice")')).toBeNull();
        const stored = await ack(await server.current.connect(), 'history', {});
        expect(stored.ok && stored.messages.map((m) => m.text)).toEqual(['nudge', 'written before the reload']);
        expect([...alice.problems, ...bob.problems]).toEqual([]);
      },
      BROWSER_TEST_MS,
    );

    test(
      'a send whose ack is lost to a dropped connection is resent with its clientId and stored once',
      async () => {
        let dropped = false;
        // Alice's WebSocket goes through the test: the first sendMsg reaches the server, then the connection drops.
        const dropAfterSend = (context: BrowserContext) =>
          context.routeWebSocket(SOCKET_IO, (ws) => {
            const upstream = ws.connectToServer();
            upstream.onMessage((message) => ws.send(message));
            ws.onMessage((message) => {
              upstream.send(message);
              if (!dropped && String(message).includes('"sendMsg"')) {
                dropped = true;
                void ws.close({ code: 1006, reason: 'dropped by the test' });
              }
            });
          });
        const alice = await browsers.person(server.current.url, { path: '/?transport=websocket', setup: dropAfterSend });
        await alice.login('alice');
        const bob = await browsers.person(server.current.url);
        await bob.login('bob');

        await alice.send('sent exactly once');
        await alice.connectionState('reconnecting');
        await alice.connected('websocket');
        await alice.message('sent exactly once').and(alice.page.locator('[data-status="sent"]')).waitFor();
        await bob.send('later');
        await alice.seesOnce('later');
        await bob.seesOnce('sent exactly once'); // Bob's earlier messages have all arrived: still just one
        await alice.seesOnce('sent exactly once');
        expect(dropped).toBe(true);
        expect([...alice.problems, ...bob.problems]).toEqual([]);
      },
      BROWSER_TEST_MS,
    );
  });

  describe('with a slow catch-up', () => {
    let gates: ReturnType<typeof gatedStore>;
    const server = useServerPerTest(browsers, () => {
      gates = gatedStore(openSqliteStore(testConfig().storage));
      return startServer({}, { store: gates.store });
    });

    test(
      'a message arriving live before the catch-up does not make the page skip what was sent while it was away',
      async () => {
        const alice = await browsers.person(server.current.url, { path: '/?transport=polling' });
        await alice.login('alice');
        const { client: bob } = await server.current.login('bob');
        await ack(bob, 'sendMsg', { text: 'm0, seen live' });
        await alice.seesOnce('m0, seen live');

        const cut = (route: Route) => route.abort('internetdisconnected');
        await alice.page.context().route(SOCKET_IO, cut);
        await ack(bob, 'sendMsg', { text: 'm1, while alice was away' });
        await alice.connectionState('reconnecting');
        await ack(bob, 'sendMsg', { text: 'm2, while alice was away' });

        // Alice's page reconnects and logs in with the handshake (its `session` is the connection's first event)
        // and asks what it missed, but the server is slow to answer (its store holds up the `sync`); meanwhile a
        // public message reaches her new connection, before the catch-up. (The client library holds it back
        // until the catch-up is done, docs/client.md: so the test waits for it to reach the page, not to show.)
        const catchUp = gates.gate('since', () => true);
        await alice.page.context().unroute(SOCKET_IO, cut);
        await catchUp.arrived();
        const m3 = 'm3, live on the new connection';
        const arrived = alice.page.waitForResponse(async (res) => SOCKET_IO.test(res.url()) && (await res.text().catch(() => '')).includes(m3));
        await ack(bob, 'sendMsg', { text: m3 });
        await arrived;
        catchUp.open();
        await alice.seesOnce(m3);

        await alice.seesOnce('m1, while alice was away');
        await alice.seesOnce('m2, while alice was away');
        expect(await alice.texts()).toEqual([
          'm0, seen live',
          'm1, while alice was away',
          'm2, while alice was away',
          'm3, live on the new connection',
        ]);
        expect(alice.problems).toEqual([]);
      },
      BROWSER_TEST_MS,
    );
  });

  describe('under a rate limit', () => {
    const limits = { ...loadConfig({}).rateLimits, messagesBurst: { points: 2, seconds: 6 } };
    const server = useServerPerTest(browsers, () => startServer({ rateLimits: limits }));

    test(
      'messages beyond the limit wait, say so with a countdown that ticks, and go out by themselves when the server allows',
      async () => {
        const alice = await browsers.person(server.current.url);
        await alice.login('alice');
        for (const text of ['one', 'two', 'three', 'four']) await alice.send(text);
        const countdown = alice.pending().getByText(/Slow down: sending again in \d+ s/).first();
        const first = await secondsIn(countdown);
        expect(first).toBeGreaterThanOrEqual(2); // a 6 s window: there is a second to count down
        await alice.pending().getByText(`Slow down: sending again in ${first - 1} s`).first().waitFor();
        for (const text of ['one', 'two', 'three', 'four']) {
          await alice.message(text).and(alice.page.locator('[data-status="sent"]')).waitFor({ timeout: 10_000 });
        }
        expect(await alice.texts()).toEqual(['one', 'two', 'three', 'four']);
        expect(await alice.pending().count()).toBe(0);
        expect(alice.problems).toEqual([]);
      },
      BROWSER_TEST_MS,
    );
  });

  describe('with a long outbox under a rate limit', () => {
    const WINDOW = { points: 3, seconds: 3 };
    const limits = { ...loadConfig({}).rateLimits, messagesBurst: WINDOW };
    const server = useServerPerTest(browsers, () => startServer({ rateLimits: limits }));

    test(
      'what was written offline goes out at the pace the server allows, in order, about one refusal a window and never cut off',
      async () => {
        const texts = Array.from({ length: 15 }, (_, i) => `offline ${i + 1}`);
        const alice = await browsers.person(server.current.url, { path: '/?transport=polling' });
        await alice.login('alice');
        const { client: bob } = await server.current.login('bob');
        // Cut off: her pending long-poll ends with bob's message, and the next request fails.
        const cut = (route: Route) => route.abort('internetdisconnected');
        await alice.page.context().route(SOCKET_IO, cut);
        await ack(bob, 'sendMsg', { text: 'while alice is away' });
        await alice.connectionState('reconnecting');
        for (const text of texts) await alice.send(text);
        const before = await rateLimited(server.current);
        await alice.page.context().unroute(SOCKET_IO, cut);
        for (const text of texts) {
          await alice.message(text).and(alice.page.locator('[data-status="sent"]')).waitFor({ timeout: 30_000 });
        }
        expect((await alice.texts()).filter((text) => text.startsWith('offline'))).toEqual(texts);
        // 15 messages at 3 per window are 5 windows: the first four end with a refusal (two at most, for a
        // send already in flight). Sending all at once, and all again after each wait, costs 12 + 9 + 6 + 3 =
        // 30: the server's cut-off (30 refusals in a minute) would disconnect the page.
        expect((await rateLimited(server.current)) - before).toBeLessThanOrEqual(8);
        expect(alice.problems).toEqual([]);
      },
      BROWSER_TEST_MS,
    );
  });

  describe('under a login limit', () => {
    const limits = { ...loadConfig({}).rateLimits, loginsPerAddress: { points: 2, seconds: 8 } };
    const server = useServerPerTest(browsers, () => startServer({ rateLimits: limits }));

    test(
      'a refused handshake waits the retryAfterMs the server named, counting down, then reconnects by itself',
      async () => {
        const alice = await browsers.person(server.current.url);
        await alice.login('alice');
        await server.current.login('bob'); // every client here is 127.0.0.1: the address has used its 2 logins
        const before = await rateLimited(server.current);
        // The server drops alice's connection; her page reconnects with its saved token, a login refused now.
        for (const socket of await server.current.app.io.fetchSockets()) if (socket.data.user?.name === 'alice') socket.disconnect(true);
        await alice.connectionState('waiting');
        const countdown = alice.page.locator('#connection-text');
        const first = await secondsIn(countdown);
        expect(first).toBeGreaterThanOrEqual(2);
        await alice.page.locator('#connection-text', { hasText: `reconnecting in ${first - 1} s` }).waitFor();
        await alice.connected();
        // One refusal: the page did not knock again before the server said it would let it in.
        expect((await rateLimited(server.current)) - before).toBe(1);
        await alice.send('back');
        await alice.message('back').and(alice.page.locator('[data-status="sent"]')).waitFor();
        expect(alice.problems).toEqual([]);
      },
      BROWSER_TEST_MS,
    );
  });

  describe('across a server restart', () => {
    let dir: string;
    const apps: ChatApp[] = [];
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-browser-'));
    });
    afterEach(async () => {
      await browsers.closeAll();
      await Promise.all(apps.splice(0).map((app) => app.close()));
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test(
      'shows "reconnecting" while the server is down, then recovers: same session, history intact, sending works',
      async () => {
        const storage = { kind: 'sqlite' as const, path: path.join(dir, 'chat.db'), synchronous: 'full' as const };
        const first = createApp(testConfig({ storage }));
        apps.push(first);
        const port = await first.listen();
        const url = `http://127.0.0.1:${port}`;

        const alice = await browsers.person(url);
        await alice.login('alice');
        const bob = await browsers.person(url);
        await bob.login('bob');
        await alice.send('before the restart');
        await bob.seesOnce('before the restart');

        await first.close();
        await alice.connectionState('reconnecting');
        await bob.connectionState('reconnecting');
        await alice.send('written during the restart');
        await alice.pending().and(alice.page.locator('[data-status="queued"]')).waitFor();

        // Same port and database file: the pages reconnect by themselves and log in again with their tokens.
        const second = createApp(testConfig({ port, storage }));
        apps.push(second);
        await second.listen();
        await alice.connected();
        await bob.connected();
        await bob.seesOnce('written during the restart');
        await alice.message('written during the restart').and(alice.page.locator('[data-status="sent"]')).waitFor();
        await bob.send('after the restart');
        await alice.seesOnce('after the restart');
        expect(await alice.texts()).toEqual(['before the restart', 'written during the restart', 'after the restart']);
        expect(await alice.page.locator('#me-name').textContent()).toBe('alice');
        expect([...alice.problems, ...bob.problems]).toEqual([]);
      },
      BROWSER_TEST_MS,
    );
  });
});
