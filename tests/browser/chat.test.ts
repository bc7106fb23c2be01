/** Two (or three) people chatting in real Chromium pages against a real server: issue 3's main view. */
import type { Locator } from 'playwright-core';
import { BROWSER_TEST_MS, describeInBrowser, useBrowser, useServerPerTest } from './harness';

describeInBrowser('chat page: people chatting', () => {
  const browsers = useBrowser();
  const server = useServerPerTest(browsers);

  test(
    'a public message appears for both people, once each; presence, typing and notices are shown',
    async () => {
      const alice = await browsers.person(server.current.url);
      await alice.login('alice');
      await alice.connected('websocket'); // upgraded from long-polling, and the page says so
      await expectText(alice.page.locator('#connection-text'), 'Connected · WebSocket');

      const bob = await browsers.person(server.current.url);
      await bob.login('bob');
      await alice.person('bob').and(alice.page.locator('[data-online="true"]')).waitFor();
      await bob.person('alice').and(bob.page.locator('[data-online="true"]')).waitFor();
      await alice.page.locator('li.notice[data-notice="join"]', { hasText: 'bob joined' }).waitFor();

      await alice.page.locator('#composer-text').pressSequentially('Hel');
      await bob.page.locator('#typing', { hasText: 'alice is typing…' }).waitFor();

      await alice.send('Hello everyone!');
      const mine = await alice.seesOnce('Hello everyone!');
      await mine.and(alice.page.locator('[data-status="sent"]')).waitFor();
      await bob.seesOnce('Hello everyone!');
      await bob.page.locator('#typing:empty').waitFor(); // the message ends the typing indicator

      await bob.send('Hi Alice, how are you?');
      await alice.seesOnce('Hi Alice, how are you?');
      await alice.send('Great, thanks!\nShipping the new chat page today.');
      await bob.seesOnce('Great, thanks!\nShipping the new chat page today.');
      expect(await bob.texts()).toEqual(['Hello everyone!', 'Hi Alice, how are you?', 'Great, thanks!\nShipping the new chat page today.']);
      expect(await alice.pending().count()).toBe(0);

      expect([...alice.problems, ...bob.problems]).toEqual([]);
    },
    BROWSER_TEST_MS,
  );

  test(
    'a private message appears only for its recipient, with an unread badge until opened',
    async () => {
      const alice = await browsers.person(server.current.url);
      await alice.login('alice');
      const bob = await browsers.person(server.current.url);
      await bob.login('bob');
      const carol = await browsers.person(server.current.url);
      await carol.login('carol');

      await alice.openConversationWith('bob');
      await alice.send('psst, bob: the password is swordfish');
      await alice.seesOnce('psst, bob: the password is swordfish');

      // Bob is on the public timeline: a badge on Alice's entry, nothing in the timeline.
      await bob.person('alice').locator('.badge', { hasText: '1' }).waitFor();
      expect(await bob.page.locator('#open-public .badge').count()).toBe(0);
      expect(await bob.page.title()).toBe('(1) Chat');

      // Carol gets the public message Alice sends next, so anything sent before it would have reached her too.
      await alice.openPublic();
      await alice.send('lunch?');
      await carol.seesOnce('lunch?');
      await bob.seesOnce('lunch?');
      for (const page of [carol.page, bob.page]) {
        expect(await page.getByText('swordfish').count()).toBe(0);
      }
      expect(await carol.page.locator('.badge').count()).toBe(0);

      await bob.openConversationWith('alice');
      await bob.seesOnce('psst, bob: the password is swordfish');
      expect(await bob.person('alice').locator('.badge').count()).toBe(0);
      expect(await bob.page.title()).toBe('Chat');

      // Alice is on the public timeline now: Bob's answer gives her a badge on Bob's entry.
      await bob.send('got it');
      await alice.person('bob').locator('.badge', { hasText: '1' }).waitFor();
      await alice.openConversationWith('bob');
      expect(await alice.texts()).toEqual(['psst, bob: the password is swordfish', 'got it']);
      expect([...alice.problems, ...bob.problems, ...carol.problems]).toEqual([]);
    },
    BROWSER_TEST_MS,
  );

  test(
    'works by keyboard alone on a phone-sized screen',
    async () => {
      const bob = await browsers.person(server.current.url);
      await bob.login('bob');
      const alice = await browsers.person(server.current.url, { context: { viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true } });
      const { keyboard } = alice.page;
      await alice.page.locator('#login-name:focus').waitFor(); // the form is up, its name field has the focus
      await keyboard.type('alice');
      await keyboard.press('Enter');
      await alice.loggedInAs('alice');
      await keyboard.type('typed without a mouse'); // then the message box has it
      await keyboard.press('Enter');
      await bob.seesOnce('typed without a mouse');

      // Back from the message box: the conversation's scroll area, then the last person in the list.
      await keyboard.press('Shift+Tab');
      await keyboard.press('Shift+Tab');
      expect(await alice.page.evaluate('document.activeElement.dataset.name')).toBe('bob');
      await keyboard.press('Enter');
      await alice.page.locator('#conversation-title', { hasText: 'bob' }).waitFor();
      await keyboard.type('private, by keyboard');
      await keyboard.press('Enter');
      await bob.person('alice').locator('.badge', { hasText: '1' }).waitFor();

      // Nothing sticks out sideways on a phone.
      expect(await alice.page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
      expect([...alice.problems, ...bob.problems]).toEqual([]);
    },
    BROWSER_TEST_MS,
  );

  test(
    'markup in a message is shown as text and runs nothing',
    async () => {
      const alice = await browsers.person(server.current.url);
      await alice.login('alice');
      const bob = await browsers.person(server.current.url);
      await bob.login('bob');

      const attacks = ['<img src=x onerror=alert(1)>', '<script>alert(2)</script>', '<b onmouseover="alert(3)">bold?</b>'];
      for (const text of attacks) await alice.send(text);
      await alice.openConversationWith('bob');
      await alice.send('<svg onload=alert(4)>');

      for (const text of attacks) await bob.seesOnce(text);
      expect(await bob.texts()).toEqual(attacks);
      await bob.message('<b onmouseover="alert(3)">bold?</b>').hover();
      await bob.openConversationWith('alice');
      await bob.seesOnce('<svg onload=alert(4)>');

      for (const page of [alice.page, bob.page]) {
        expect(await page.locator('#conversation-slot img, #conversation-slot script, #conversation-slot svg, #conversation-slot b').count()).toBe(0);
      }
      // No alert() ran (a dialog would be recorded), no error, and the page never tripped its CSP.
      expect([...alice.problems, ...bob.problems]).toEqual([]);
    },
    BROWSER_TEST_MS,
  );
});

/** Waits until `locator`'s text is exactly `text`. */
async function expectText(locator: Locator, text: string): Promise<void> {
  await locator.filter({ hasText: new RegExp(`^\\s*${escape(text)}\\s*$`) }).waitFor();
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
