/** History: the newest page on open, older pages when scrolling up, never a message twice. */
import { ack } from '../helpers';
import { BROWSER_TEST_MS, describeInBrowser, useBrowser, useServerPerTest } from './harness';

/** More than two pages of 50 (the page's page size). */
const SEEDED = 130;

describeInBrowser('chat page: history', () => {
  const browsers = useBrowser();
  const server = useServerPerTest(browsers);

  test(
    'opens on the newest page, loads older pages when scrolling up, and shows each message once',
    async () => {
      const { client: seeder } = await server.current.login('seeder');
      for (let i = 1; i <= SEEDED; i++) {
        const res = await ack(seeder, 'sendMsg', { text: `message ${i}` });
        if (!res.ok) throw new Error(res.error.message);
      }

      const reader = await browsers.person(server.current.url);
      await reader.login('reader');
      await reader.seesOnce(`message ${SEEDED}`);
      await reader.page.locator('#load-older').waitFor();
      expect(await reader.messages().count()).toBe(50);

      // A live message while older pages load: it must not disturb the order nor appear twice.
      await ack(seeder, 'sendMsg', { text: 'live during paging' });
      await reader.seesOnce('live during paging');

      const scroller = reader.page.locator('#scroller');
      const start = reader.page.locator('#history-start');
      for (let shown = 0; !(await start.isVisible()); ) {
        await scroller.evaluate((el: any) => el.scrollTo(0, 0));
        await reader.page.waitForFunction((before) => {
          const doc = (globalThis as any).document; // tests compile without the DOM library
          return doc.querySelectorAll('#conversation-slot .log > li.message').length > before || !doc.getElementById('history-start').hidden;
        }, shown);
        shown = await reader.messages().count();
      }

      const expected = [...Array.from({ length: SEEDED }, (_, i) => `message ${i + 1}`), 'live during paging'];
      expect(await reader.texts()).toEqual(expected);
      const ids = (await reader.messages().evaluateAll((els: any[]) => els.map((el) => Number(el.dataset.id)))) as number[];
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(reader.problems).toEqual([]);
    },
    BROWSER_TEST_MS,
  );
});
