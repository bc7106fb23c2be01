/** Editing and deleting one's own messages in the page, seen by another person live and after a reload (issue 19). */
import { BROWSER_TEST_MS, describeInBrowser, useBrowser, useServerPerTest } from './harness';

describeInBrowser('chat page: editing and deleting', () => {
  const browsers = useBrowser();
  const server = useServerPerTest(browsers);

  test(
    'an edit and a deletion show for the other person at once and after a reload; the deleted text is gone from the page',
    async () => {
      const alice = await browsers.person(server.current.url);
      await alice.login('alice');
      const bob = await browsers.person(server.current.url);
      await bob.login('bob');

      await alice.send('helo wrold');
      await bob.seesOnce('helo wrold');
      const mine = await alice.seesOnce('helo wrold');
      await mine.hover();
      await mine.getByRole('button', { name: 'Edit this message' }).click();
      const editor = alice.page.locator('.editor-text');
      await editor.fill('hello world');
      await editor.press('Enter');
      const edited = await alice.seesOnce('hello world');
      await edited.locator('.edited').waitFor();
      const atBob = await bob.seesOnce('hello world'); // live
      await atBob.locator('.edited').waitFor();
      expect(await bob.message('helo wrold').count()).toBe(0);

      await alice.send('oops, that was for someone else');
      await bob.seesOnce('oops, that was for someone else');
      const oops = await alice.seesOnce('oops, that was for someone else');
      await oops.hover();
      const del = oops.getByRole('button', { name: 'Delete this message' });
      await del.click();
      await oops.getByRole('button', { name: 'Delete this message' }).and(alice.page.locator('[data-confirm="true"]')).click();
      await alice.page.locator('li.message.deleted .tombstone').waitFor();
      await bob.page.locator('li.message.deleted .tombstone', { hasText: 'This message was deleted.' }).waitFor(); // live
      expect(await bob.page.getByText('that was for someone else').count()).toBe(0);

      await bob.page.reload();
      await bob.loggedInAs('bob');
      await (await bob.seesOnce('hello world')).locator('.edited').waitFor();
      await bob.page.locator('li.message.deleted .tombstone').waitFor(); // from history
      expect(await bob.page.getByText('that was for someone else').count()).toBe(0);
      expect(await bob.texts()).toEqual(['hello world', 'This message was deleted.']);
      // Nobody else's message offers Edit or Delete.
      expect(await bob.page.locator('#conversation-slot [data-action]').count()).toBe(0);
      expect([...alice.problems, ...bob.problems]).toEqual([]);
    },
    BROWSER_TEST_MS,
  );

  test(
    'by keyboard: ArrowUp in the empty message box edits one\'s last message; Escape leaves it as it was',
    async () => {
      const alice = await browsers.person(server.current.url);
      await alice.login('alice');
      const bob = await browsers.person(server.current.url);
      await bob.login('bob');
      const { keyboard } = alice.page;
      await alice.send('first try');
      await alice.seesOnce('first try');
      await alice.page.locator('#composer-text:focus').waitFor();
      await keyboard.press('ArrowUp');
      await alice.page.locator('.editor-text:focus').waitFor();
      await keyboard.press('Escape');
      await alice.page.locator('#composer-text:focus').waitFor();
      await keyboard.press('ArrowUp');
      await keyboard.press('ControlOrMeta+a');
      await keyboard.type('second try');
      await keyboard.press('Enter');
      await alice.page.locator('#composer-text:focus').waitFor();
      await (await bob.seesOnce('second try')).locator('.edited').waitFor();
      expect([...alice.problems, ...bob.problems]).toEqual([]);
    },
    BROWSER_TEST_MS,
  );
});
