/**
 * Issue 21 on the page: a second browser signs in with a code (typed, or the link) from the first; Log out and
 * back in is the same person with the same conversations; giving the name up asks first; display names.
 */
import { ack } from '../helpers';
import type { ChatPage } from './chat-page';
import { BROWSER_TEST_MS, describeInBrowser, useBrowser, useServerPerTest } from './harness';

describeInBrowser('chat page: devices and names', () => {
  const browsers = useBrowser();
  const server = useServerPerTest(browsers);

  /** Opens the account dialog and makes a sign-in code; resolves with the code and the link shown. */
  async function makeCode(page: ChatPage): Promise<{ code: string; link: string }> {
    await page.page.locator('#account-open').click();
    await page.page.locator('#account-dialog[open]').waitFor();
    await page.page.locator('#make-code').click();
    await page.page.locator('#code-text').filter({ hasText: /\w{5}-\w{5}/ }).waitFor();
    const code = (await page.page.locator('#code-text').textContent())!;
    const link = (await page.page.locator('#code-link').getAttribute('href'))!;
    await page.page.locator('#account-dialog .dialog-close button').click();
    return { code, link };
  }

  test(
    'a second browser signs in with a code from the first, typed or as a link, and is the same person',
    async () => {
      const ann = await browsers.person(server.current.url);
      await ann.login('ann');
      const bob = await browsers.person(server.current.url);
      await bob.login('bob');
      await bob.openConversationWith('ann');
      await bob.send('for every device of ann');

      // The code, its link (the code in the fragment), and the QR code drawn in the page.
      await ann.page.locator('#account-open').click();
      await ann.page.locator('#make-code').click();
      await ann.page.locator('#code-text').filter({ hasText: /\w{5}-\w{5}/ }).waitFor();
      const code = (await ann.page.locator('#code-text').textContent())!;
      const link = (await ann.page.locator('#code-link').getAttribute('href'))!;
      expect(link).toBe(`${server.current.url}/#code=${code}`);
      // Run in the page (a string: the tests are type-checked without the DOM's types).
      const qr = (await ann.page.evaluate(`(() => {
        const canvas = document.getElementById('code-qr');
        const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
        let dark = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i] === 0) dark++;
        return { modules: Number(canvas.dataset.size), darkShare: dark / (canvas.width * canvas.height) };
      })()`)) as { modules: number; darkShare: number };
      expect(qr.modules).toBeGreaterThanOrEqual(25); // a version 2 code or larger, with its quiet zone
      expect(qr.darkShare).toBeGreaterThan(0.25);
      expect(qr.darkShare).toBeLessThan(0.75);
      await ann.page.locator('#account-dialog .dialog-close button').click();

      const phone = await browsers.person(server.current.url);
      await phone.page.locator('#code-input').fill(code.toLowerCase());
      await phone.page.locator('#code-submit').click();
      await phone.loggedInAs('ann');
      await phone.openConversationWith('bob');
      await phone.seesOnce('for every device of ann');

      // A used code opens nothing; a new one, as a link, signs a third browser in at once.
      const other = await browsers.person(server.current.url);
      await other.page.locator('#code-input').fill(code);
      await other.page.locator('#code-submit').click();
      await other.page.locator('#code-error').getByText('does not work').waitFor();
      const { link: second } = await makeCode(ann);
      const tablet = await browsers.person(second, { path: '' });
      await tablet.loggedInAs('ann');
      expect(tablet.page.url()).toBe(`${server.current.url}/`); // the code left the address bar
      await tablet.page.reload();
      await tablet.loggedInAs('ann'); // a session of its own, kept like any other

      // Three devices; signing the phone out from the laptop ends it there at once.
      await ann.page.locator('#account-open').click();
      await ann.page.locator('#device-list li').nth(2).waitFor();
      expect(await ann.page.locator('#device-list li').count()).toBe(3);
      await ann.page.locator('#device-list li[data-current="true"]').getByText('(this device)').waitFor();
      const phoneSession = (await phone.page.evaluate('JSON.parse(localStorage.getItem("chat.session")).sessionId')) as string;
      await ann.page.locator(`#device-list li[data-session="${phoneSession}"] button`).click();
      await phone.page.locator('#login-error').getByText('signed out from another device').waitFor();
      expect(await phone.page.evaluate('localStorage.getItem("chat.device")')).toBeNull();
      await ann.page.locator('#device-list li').nth(1).waitFor();
      expect(await ann.page.locator('#device-list li').count()).toBe(2);
      expect([...ann.problems, ...bob.problems, ...phone.problems, ...other.problems, ...tablet.problems]).toEqual([]);
    },
    BROWSER_TEST_MS,
  );

  test(
    'Log out and back in with the same name keeps the private conversation; Continue does too',
    async () => {
      const hal = await browsers.person(server.current.url);
      await hal.login('hal');
      const ivy = await browsers.person(server.current.url);
      await ivy.login('ivy');
      await ivy.openConversationWith('hal');
      await ivy.send('remember me?');
      await hal.person('ivy').locator('.badge').waitFor();

      await hal.page.locator('#logout').click();
      await hal.page.locator('#login-view').waitFor();
      await ivy.person('hal').and(ivy.page.locator('[data-online="false"]')).waitFor();
      await hal.page.locator('#remembered-name', { hasText: 'hal' }).waitFor();
      await hal.login('hal'); // typed again, on the same browser
      await hal.openConversationWith('ivy');
      await hal.seesOnce('remember me?');

      await hal.page.locator('#logout').click();
      await hal.page.locator('#continue-as').click();
      await hal.loggedInAs('hal');
      await hal.openConversationWith('ivy');
      await hal.seesOnce('remember me?');

      // A shared computer: signing the browser out for good ends its session, so its token opens nothing.
      const token = (await hal.page.evaluate('JSON.parse(localStorage.getItem("chat.device")).token')) as string;
      await hal.page.locator('#logout').click();
      await hal.page.locator('#forget-device').click();
      await hal.page.locator('#remembered').waitFor({ state: 'hidden' });
      expect(await hal.page.evaluate('localStorage.getItem("chat.device")')).toBeNull();
      const probe = await server.current.connect();
      expect(await ack(probe, 'login', { username: 'hal', token })).toMatchObject({ ok: false, error: { code: 'username_taken' } });
      expect([...hal.problems, ...ivy.problems]).toEqual([]);
    },
    BROWSER_TEST_MS,
  );

  test(
    'giving the name up asks first and says what is lost; a display name shows to others',
    async () => {
      const gus = await browsers.person(server.current.url);
      await gus.login('gus');
      const kim = await browsers.person(server.current.url);
      await kim.login('kim');

      await gus.page.locator('#account-open').click();
      await gus.page.locator('#display-name').fill('Gus  Grissom');
      await gus.page.locator('#profile-save').click();
      await kim.person('gus').getByText('Gus Grissom').waitFor();
      await gus.page.locator('#me-name', { hasText: 'Gus Grissom' }).waitFor();
      await gus.page.locator('#account-dialog .dialog-close button').click();
      await gus.send('ad astra');
      await kim.page.locator('.message .author', { hasText: 'Gus Grissom' }).waitFor();

      await gus.page.locator('#account-open').click();
      await gus.page.locator('#give-up').click();
      const question = gus.page.locator('#give-up-dialog[open]');
      await question.getByText('private conversations stay with your old account').waitFor();
      await gus.page.locator('#give-up-cancel').click();
      await question.waitFor({ state: 'detached' });
      expect(await gus.page.locator('#chat-view').isVisible()).toBe(true);

      await gus.page.locator('#give-up').click();
      await gus.page.locator('#give-up-confirm').click();
      await gus.page.locator('#login-form').waitFor();
      expect(await gus.page.locator('#remembered').isVisible()).toBe(false);
      expect(await gus.page.evaluate('localStorage.getItem("chat.device")')).toBeNull();
      const newcomer = await browsers.person(server.current.url);
      await newcomer.login('gus'); // the name is free for someone else now
      expect([...gus.problems, ...kim.problems, ...newcomer.problems]).toEqual([]);
    },
    BROWSER_TEST_MS,
  );
});
