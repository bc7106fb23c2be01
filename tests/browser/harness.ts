/**
 * Runs the chat page (static/) in a real Chromium through playwright-core. Never downloads a browser: it uses
 * the one at CHROMIUM_PATH (default /usr/bin/chromium). Without it the browser tests are skipped with the
 * reason, except on CI (CI=true), where a missing browser is a failure.
 */
import fs from 'node:fs';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions } from 'playwright-core';
import { startServer, type TestServer } from '../helpers';
import { ChatPage } from './chat-page';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = fs.existsSync(CHROMIUM_PATH);

if (!hasChromium && process.env.CI === 'true') {
  throw new Error(`No Chromium at ${CHROMIUM_PATH}: the browser tests must run on CI (set CHROMIUM_PATH to another binary).`);
}

/** `describe`, or `describe.skip` with the reason printed when there is no browser to run in. */
export function describeInBrowser(name: string, body: () => void): void {
  if (hasChromium) {
    describe(name, body);
    return;
  }
  console.warn(`Skipping the browser tests "${name}": no Chromium at ${CHROMIUM_PATH} (set CHROMIUM_PATH).`);
  describe.skip(name, body);
}

/** Bounds every wait on the page; nothing waits on a fixed sleep. */
export const PAGE_WAIT_MS = 15_000;

/** Browser tests start a browser and several pages: give them more time than the unit tests. */
export const BROWSER_TEST_MS = 45_000;

export interface Browsers {
  /**
   * A new person: a fresh browser context (own localStorage) with one page open at `url` + `path`.
   * Closed after the test.
   */
  person(url: string, options?: { path?: string; context?: BrowserContextOptions; setup?: (context: BrowserContext) => Promise<void> }): Promise<ChatPage>;
  /**
   * Closes every person's context. Call it before closing the server, so that the server's close does not
   * race with pages busy reconnecting (one loaded run saw app.close() take over 20 s that way).
   */
  closeAll(): Promise<void>;
}

/**
 * A fresh in-process server for every test of the enclosing block (`.current`), made by `start`; the people's
 * browser contexts are closed before it, as `closeAll` asks.
 */
export function useServerPerTest(browsers: Browsers, start: () => Promise<TestServer> = () => startServer()): { readonly current: TestServer } {
  let server: TestServer | undefined;
  beforeEach(async () => {
    server = await start();
  });
  afterEach(async () => {
    await browsers.closeAll();
    await server?.close();
    server = undefined;
  });
  return {
    get current() {
      if (!server) throw new Error('no server outside a test');
      return server;
    },
  };
}

/** Launches one Chromium for the enclosing describe block; every test's contexts are closed after it. */
export function useBrowser(): Browsers {
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    });
  });
  const closeAll = async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
  };
  afterEach(closeAll); // in case a test file forgets; normally done before its servers close
  afterAll(async () => {
    await browser?.close();
  });

  return {
    closeAll,
    async person(url, { path = '/', context: options, setup } = {}) {
      if (!browser) throw new Error('the browser is not running (person() called outside a test?)');
      const context = await browser.newContext({ viewport: { width: 1100, height: 720 }, ...options });
      contexts.push(context);
      context.setDefaultTimeout(PAGE_WAIT_MS);
      await setup?.(context);
      const page = await context.newPage();
      const chat = new ChatPage(page);
      await page.goto(url + path);
      return chat;
    },
  };
}
