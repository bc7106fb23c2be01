/** Rooms and server-side read state in real Chromium pages (issue 17). */
import { BROWSER_TEST_MS, describeInBrowser, useBrowser, useServerPerTest } from './harness';
import { saveSideBySide, updateScreenshot } from './screenshot';

describeInBrowser('chat page: rooms', () => {
  const browsers = useBrowser();
  const server = useServerPerTest(browsers);

  test(
    'two people create and use a private room while a third sees nothing of it',
    async () => {
      const alice = await browsers.person(server.current.url);
      await alice.login('alice');
      const bob = await browsers.person(server.current.url);
      await bob.login('bob');
      const carol = await browsers.person(server.current.url);
      await carol.login('carol');

      await alice.createRoom('plans', true);
      await alice.page.locator('#conversation-subtitle', { hasText: 'Private room · 1 member' }).waitFor();
      await alice.invite('bob');
      await bob.room('plans').waitFor(); // told at once, on the public timeline
      await alice.page.locator('#conversation-subtitle', { hasText: '2 members' }).waitFor();
      await alice.send('Launch is on Friday');
      await alice.seesOnce('Launch is on Friday');
      await bob.room('plans').locator('.badge', { hasText: '1' }).waitFor();
      await bob.openRoom('plans');
      await bob.seesOnce('Launch is on Friday');
      await bob.page.locator('#conversation-subtitle', { hasText: 'Private room · 2 members' }).waitFor();
      await bob.page.locator('li.notice', { hasText: 'alice added bob' }).waitFor();
      await bob.send('Great, I will tell nobody');
      await alice.seesOnce('Great, I will tell nobody');
      expect(await alice.texts()).toEqual(['Launch is on Friday', 'Great, I will tell nobody']);

      // Carol: nothing of it in her sidebar, in the room list, or anywhere on her page.
      await carol.page.locator('#browse-rooms').click();
      await carol.page.locator('#browse-empty').waitFor();
      await carol.page.keyboard.press('Escape');
      expect(await carol.page.locator('#rooms .room').count()).toBe(0);
      const carolText = (await carol.page.locator('body').textContent()) ?? '';
      for (const secret of ['plans', 'Launch is on Friday', 'tell nobody']) expect(carolText).not.toContain(secret);

      // A public room: bob creates it, carol finds it and joins.
      await bob.createRoom('lobby');
      await carol.page.locator('#browse-rooms').click();
      await carol.page.locator('#browse-list .browse-room[data-room="lobby"]').getByRole('button', { name: 'Join lobby' }).click();
      await carol.page.locator('#conversation-title', { hasText: 'lobby' }).waitFor();
      await bob.page.locator('li.notice', { hasText: 'carol joined' }).waitFor();
      await carol.send('hello lobby');
      await bob.seesOnce('hello lobby');

      if (updateScreenshot) {
        await bob.openRoom('plans');
        await bob.page.locator('#composer-text').fill('Should we invite carol?');
        await saveSideBySide([alice.page, bob.page]);
      }
      expect([...alice.problems, ...bob.problems, ...carol.problems]).toEqual([]);
    },
    BROWSER_TEST_MS,
  );

  test(
    'unread badges come from the server: they survive a reload and clear in the other tab',
    async () => {
      const ann = await browsers.person(server.current.url);
      await ann.login('ann');
      const tab = await ann.newTab();
      await tab.loggedInAs('ann');
      const ben = await browsers.person(server.current.url);
      await ben.login('ben');
      await ben.createRoom('news');
      await ben.invite('ann');
      await ann.room('news').waitFor();
      await tab.room('news').waitFor();
      await ben.send('first headline');
      await ben.send('second headline');
      await ben.openConversationWith('ann');
      await ben.send('a word in private');
      for (const page of [ann, tab]) {
        await page.room('news').locator('.badge', { hasText: '2' }).waitFor();
        await page.person('ben').locator('.badge', { hasText: '1' }).waitFor();
      }

      await ann.page.reload();
      await ann.loggedInAs('ann');
      await ann.room('news').locator('.badge', { hasText: '2' }).waitFor(); // from `conversations`
      await ann.person('ben').locator('.badge', { hasText: '1' }).waitFor();
      expect(await ann.page.title()).toBe('(3) Chat');

      await ann.openRoom('news');
      await ann.seesOnce('second headline');
      await tab.room('news').locator('.badge').waitFor({ state: 'detached' }); // cleared by ann's read mark
      await tab.person('ben').locator('.badge', { hasText: '1' }).waitFor(); // the private one is still unread
      await tab.page.reload();
      await tab.loggedInAs('ann');
      await tab.person('ben').locator('.badge', { hasText: '1' }).waitFor();
      expect(await tab.room('news').locator('.badge').count()).toBe(0);
      expect([...ann.problems, ...tab.problems, ...ben.problems]).toEqual([]);
    },
    BROWSER_TEST_MS,
  );

  test(
    'on a phone, by keyboard: create a room, write in it, leave it',
    async () => {
      const dee = await browsers.person(server.current.url, { context: { viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true } });
      await dee.login('dee');
      const { keyboard } = dee.page;
      await dee.page.locator('#new-room').focus();
      await keyboard.press('Enter');
      await dee.page.locator('#room-name:focus').waitFor(); // the dialog took the focus
      await keyboard.type('pocket');
      await keyboard.press('Enter');
      await dee.page.locator('#conversation-title', { hasText: 'pocket' }).waitFor();
      await dee.page.locator('#composer-text:focus').waitFor();
      await keyboard.type('typed on a phone');
      await keyboard.press('Enter');
      await dee.seesOnce('typed on a phone');
      expect(await dee.page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
      await dee.page.locator('#room-leave').click();
      await dee.page.locator('#room-leave', { hasText: 'Really leave?' }).click();
      await dee.page.locator('#conversation-title', { hasText: 'Everyone' }).waitFor();
      expect(await dee.room('pocket').count()).toBe(0);
      expect(dee.problems).toEqual([]);
    },
    BROWSER_TEST_MS,
  );
});
