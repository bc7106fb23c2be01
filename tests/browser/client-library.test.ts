/**
 * The client library (docs/client.md) in Chromium, as the page will use it: imported as it was built
 * (static/js/lib/chat-client/) from a page under the chat's strict Content-Security-Policy, with the page's own
 * socket.io.js; it exchanges messages with a library client in Node, and its outbox, kept in sessionStorage,
 * sends after a reload what was written while the page was cut off.
 */
import type { Page, Route } from 'playwright-core';
import { ack, within } from '../helpers';
import { Clients, texts, until } from '../client/harness';
import { BROWSER_TEST_MS, describeInBrowser, PAGE_WAIT_MS, useBrowser, useServerPerTest } from './harness';

const SOCKET_IO = /\/socket\.io\//;

/**
 * Creates a library client in the page as `globalThis.lib.client` (its messages' texts in `lib.texts`), over
 * long-polling (so that a route can cut it off), and connects it with `credentials` (none: the kept session).
 */
async function clientInPage(page: Page, credentials?: object): Promise<unknown> {
  return page.evaluate(`(async () => {
    const { createChatClient, webStore } = await import(new URL('js/lib/chat-client/index.js', document.baseURI).href);
    const client = createChatClient({
      io: window.io,
      socket: { transports: ['polling'], reconnectionDelay: 100, reconnectionDelayMax: 500 },
      sessionStore: webStore(localStorage, 'lib.'),
      outboxStore: webStore(sessionStorage, 'lib.'),
    });
    globalThis.lib = { client, texts: [] };
    client.on('message', (m) => globalThis.lib.texts.push(m.text));
    return client.connect(${credentials === undefined ? '' : JSON.stringify(credentials)});
  })()`);
}

/** Waits until the page's library client has handed its application a message with `text`. */
async function holds(page: Page, text: string): Promise<void> {
  await page.waitForFunction((t) => (globalThis as any).lib.texts.includes(t), text, { timeout: PAGE_WAIT_MS });
}

describeInBrowser('the client library in a browser', () => {
  const browsers = useBrowser();
  const server = useServerPerTest(browsers);
  const clients = new Clients();
  afterEach(() => clients.closeAll());

  test(
    "loads under the page's CSP, talks to a Node client, and sends after a reload what was written while cut off",
    async () => {
      const person = await browsers.person(server.current.url);
      const { page } = person;
      const csp = await page.evaluate(`fetch(location.href).then((r) => r.headers.get('content-security-policy'))`);
      expect(csp).toContain("script-src 'self'");
      expect(await clientInPage(page, { username: 'pagelib' })).toMatchObject({ ok: true, user: { name: 'pagelib' } });

      const bob = await clients.user(server.current.url, 'bob');
      await bob.client.send('hello page');
      await holds(page, 'hello page');
      expect(await page.evaluate(`globalThis.lib.client.sendPrivate('bob', 'hello bob').then((r) => r.ok)`)).toBe(true);
      await until(bob, () => texts(bob).includes('hello bob'), 'bob got the page’s message');

      // Cut off: every long-polling request fails from now on (the pending one ends with bob's next message).
      const cut = (route: Route) => route.abort('internetdisconnected');
      await page.context().route(SOCKET_IO, cut);
      await bob.client.send('nudge');
      await page.waitForFunction(() => (globalThis as any).lib.client.status.status === 'reconnecting', undefined, { timeout: PAGE_WAIT_MS });
      await page.evaluate(`void globalThis.lib.client.send('written before the reload')`);
      const kept = () => (globalThis as any).sessionStorage.getItem('lib.outbox.pagelib');
      await page.waitForFunction((text) => ((globalThis as any).sessionStorage.getItem('lib.outbox.pagelib') ?? '').includes(text), 'written before the reload', { timeout: PAGE_WAIT_MS });

      // The page goes away before that client could send it (closing it: it sends nothing more); back on the
      // network, the page is loaded again, and its new client sends it.
      await page.evaluate(() => (globalThis as any).lib.client.close());
      await page.context().unroute(SOCKET_IO, cut);
      await page.reload();
      expect(await clientInPage(page)).toMatchObject({ ok: true, user: { name: 'pagelib' } });
      await until(bob, () => texts(bob).includes('written before the reload'), 'bob got what was written offline');
      await holds(page, 'written before the reload');
      await page.waitForFunction(() => (globalThis as any).lib.client.pending.length === 0, undefined, { timeout: PAGE_WAIT_MS });
      expect(await page.evaluate(kept)).toBeNull();

      const stored = await ack(await server.current.connect(), 'history', {});
      expect(stored.ok && stored.messages.map((m) => m.text)).toEqual(['hello page', 'nudge', 'written before the reload']);
      expect([...bob.times.values()].every((n) => n === 1)).toBe(true);
      await within(page.evaluate(`globalThis.lib.client.close()`), 'the page client closed');
      expect(person.problems).toEqual([]);
    },
    BROWSER_TEST_MS,
  );
});
