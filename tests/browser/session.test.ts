/** Signing in, staying signed in across reloads and tabs (token in localStorage), and signing out. */
import { BROWSER_TEST_MS, describeInBrowser, useBrowser, useServerPerTest } from './harness';

describeInBrowser('chat page: the session', () => {
  const browsers = useBrowser();
  const server = useServerPerTest(browsers);

  test(
    'a reload and a second tab are the same user with the same history; logging out forgets the token everywhere',
    async () => {
      const alice = await browsers.person(server.current.url);
      await alice.login('alice');
      const bob = await browsers.person(server.current.url);
      await bob.login('bob');
      await alice.send('said before the reload');
      await bob.seesOnce('said before the reload');
      await bob.openConversationWith('alice');
      await bob.send('a secret for alice');
      await alice.person('bob').locator('.badge').waitFor();

      await alice.page.reload();
      await alice.loggedInAs('alice');
      expect(await alice.page.locator('#login-view').isVisible()).toBe(false);
      await alice.seesOnce('said before the reload'); // from `history`
      await alice.openConversationWith('bob');
      await alice.seesOnce('a secret for alice');

      // Back in the public room: a tab showing the conversation with bob would read his next message at once,
      // and its `read` would clear the other tab's badge before the test could see it.
      await alice.openPublic();
      const tab = await alice.newTab();
      await tab.loggedInAs('alice');
      await tab.seesOnce('said before the reload');
      // Alice read bob's secret in her first tab: no badge for it here, once that read is recorded (the new tab
      // may have asked for its unread counts before: then the read, passed on to it, clears the badge).
      await tab.person('bob').waitFor();
      await tab.person('bob').locator('.badge').waitFor({ state: 'detached' });
      await bob.send('to both tabs');
      await tab.person('bob').locator('.badge', { hasText: '1' }).waitFor();
      await alice.person('bob').locator('.badge', { hasText: '1' }).waitFor();
      await alice.openConversationWith('bob');
      await alice.seesOnce('to both tabs');
      await tab.person('bob').locator('.badge').waitFor({ state: 'detached' }); // read in the other tab

      await tab.page.locator('#logout').click();
      await tab.page.locator('#login-view').waitFor();
      await alice.page.locator('#login-view').waitFor(); // the other tab follows
      expect(await alice.page.evaluate('localStorage.getItem("chat.session")')).toBeNull();
      await bob.person('alice').and(bob.page.locator('[data-online="false"]')).waitFor();

      // Logging in again in one tab logs in the other (a new name: the old one stays reserved for its token).
      await tab.login('alice2');
      await alice.loggedInAs('alice2');
      await alice.page.reload();
      await alice.loggedInAs('alice2');
      expect([...alice.problems, ...tab.problems, ...bob.problems]).toEqual([]);
    },
    BROWSER_TEST_MS,
  );

  test(
    'a sign-in saved by the page before it moved onto the client library still signs the browser in',
    async () => {
      // What the earlier page kept in localStorage: `chat.session` and `chat.device`, { name, token, sessionId }.
      const { client: earlier, res } = await server.current.login('olga');
      earlier.disconnect();
      const saved = JSON.stringify({ name: 'olga', token: res.token, sessionId: res.sessionId });
      const olga = await browsers.person(server.current.url);
      await olga.connected(); // its own handshake made (see the forged-token test below)
      await olga.page.evaluate(`localStorage.setItem('chat.session', ${JSON.stringify(saved)}); localStorage.setItem('chat.device', ${JSON.stringify(saved)})`);
      await olga.page.reload();
      await olga.loggedInAs('olga');
      expect(JSON.parse((await olga.page.evaluate('localStorage.getItem("chat.session")')) as string)).toEqual(JSON.parse(saved));
      // Log out keeps the browser's key to the name, in the same place: "Continue as olga" is offered.
      await olga.page.locator('#logout').click();
      await olga.page.locator('#remembered-name', { hasText: 'olga' }).waitFor();
      expect(await olga.page.evaluate('localStorage.getItem("chat.device")')).toBe(saved);
      expect(olga.problems).toEqual([]);
    },
    BROWSER_TEST_MS,
  );

  test(
    'a taken name and an invalid name are explained, and a good name then works',
    async () => {
      const bob = await browsers.person(server.current.url);
      await bob.login('Bob');

      const other = await browsers.person(server.current.url);
      const error = other.page.locator('#login-error');
      await other.page.locator('#login-name').fill('BOB'); // names are case-insensitive
      await other.page.locator('#login-name').press('Enter');
      await error.getByText('“BOB” is taken').waitFor();
      expect(await other.page.locator('#login-name').getAttribute('aria-invalid')).toBe('true');

      await other.page.locator('#login-name').fill('no spaces please');
      await other.page.locator('#login-submit').click();
      await error.getByText('That name cannot be used').waitFor();

      await other.login('carol');
      await other.person('Bob').waitFor();
      expect([...bob.problems, ...other.problems]).toEqual([]);
    },
    BROWSER_TEST_MS,
  );

  test(
    'a saved token the server no longer accepts sends the user back to the login screen',
    async () => {
      // The name belongs to someone else, who holds the real token. (First: the page may still be starting when
      // the forged session is saved, and would then open the free name with it itself.)
      const owner = await server.current.login('alice');
      expect(owner.res.user.name).toBe('alice');
      const alice = await browsers.person(server.current.url);
      // The page's handshake reads the kept session when it is made, so the first page must have made its own
      // (anonymous) before the forged one is saved: else it presents it itself, is refused, forgets it, and the
      // page after the reload finds nothing to be refused (a CI run timed out that way).
      await alice.connected();
      await alice.page.evaluate('localStorage.setItem("chat.session", JSON.stringify({ name: "alice", token: "forged" }))');
      await alice.page.reload();
      await alice.page.locator('#login-error').getByText('the saved sign-in for “alice” is no longer valid').waitFor();
      expect(await alice.page.evaluate('localStorage.getItem("chat.session")')).toBeNull();
      await alice.connected(); // anonymously now, ready for a name or a code
      expect(await alice.page.locator('#chat-view').isVisible()).toBe(false);
      expect(alice.problems).toEqual([]);
    },
    BROWSER_TEST_MS,
  );
});
