/**
 * What a person does on the chat page, and what they see, in terms of the page's own elements. Also records
 * anything that must never happen on it: a dialog (e.g. an alert() smuggled in a message), an uncaught
 * error, or a Content-Security-Policy violation.
 */
import type { Locator, Page } from 'playwright-core';

export class ChatPage {
  /** Dialogs opened, uncaught errors, CSP violations: expected to stay empty. */
  readonly problems: string[] = [];

  constructor(readonly page: Page) {
    ChatPage.watch(page, this.problems);
  }

  /** Records the problems of `page` (a reload keeps the Page; a second tab is a new one). */
  static watch(page: Page, problems: string[]): void {
    page.on('dialog', (dialog) => {
      problems.push(`dialog: ${dialog.type()} ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (/Content.Security.Policy|Refused to/i.test(msg.text())) problems.push(`CSP: ${msg.text()}`);
    });
  }

  /** Another tab of the same person (same context, so the same localStorage). */
  async newTab(): Promise<ChatPage> {
    const page = await this.page.context().newPage();
    const tab = new ChatPage(page);
    await page.goto(this.page.url());
    return tab;
  }

  async login(name: string): Promise<void> {
    await this.page.locator('#login-name').fill(name);
    await this.page.locator('#login-submit').click();
    await this.loggedInAs(name);
  }

  /** Waits until the chat view is shown for `name` and the connection is up. */
  async loggedInAs(name: string): Promise<void> {
    await this.page.locator('#me-name', { hasText: name }).waitFor();
    await this.page.locator('#chat-view').waitFor();
    await this.connected();
  }

  async connected(transport?: 'websocket' | 'polling'): Promise<void> {
    const state = transport ? `[data-state="connected"][data-transport="${transport}"]` : '[data-state="connected"]';
    await this.page.locator(`#connection${state}`).waitFor();
  }

  async connectionState(state: 'connecting' | 'connected' | 'reconnecting' | 'waiting' | 'offline'): Promise<void> {
    await this.page.locator(`#connection[data-state="${state}"]`).waitFor();
  }

  /** Types `text` in the composer and presses Enter. */
  async send(text: string): Promise<void> {
    await this.page.locator('#composer-text').fill(text);
    await this.page.locator('#composer-text').press('Enter');
  }

  async openConversationWith(name: string): Promise<void> {
    await this.person(name).click();
    await this.page.locator('#conversation-title', { hasText: name }).waitFor();
  }

  async openPublic(): Promise<void> {
    await this.page.locator('#open-public').click();
    await this.page.locator('#conversation-title', { hasText: 'Everyone' }).waitFor();
  }

  /** The entry of room `name` in the sidebar (rooms the person is a member of). */
  room(name: string): Locator {
    return this.page.locator(`#rooms .room[data-room="${name}"]`);
  }

  async openRoom(name: string): Promise<void> {
    await this.room(name).click();
    await this.page.locator('#conversation-title', { hasText: name }).waitFor();
  }

  /** Creates a room with the New room dialog; the page then opens it. */
  async createRoom(name: string, isPrivate = false): Promise<void> {
    await this.page.locator('#new-room').click();
    await this.page.locator('#room-name').fill(name);
    if (isPrivate) await this.page.locator('#room-private').check();
    await this.page.locator('#create-room-form .primary').click();
    await this.page.locator('#conversation-title', { hasText: name }).waitFor();
    await this.room(name).waitFor();
  }

  /** Invites `user` from the open room's member panel. */
  async invite(user: string): Promise<void> {
    if (await this.page.locator('#room-panel').isHidden()) await this.page.locator('#room-members').click();
    await this.page.locator('#invite-name').fill(user);
    await this.page.locator('#invite-name').press('Enter');
    await this.page.locator(`#member-list .member[data-name="${user}"]`).waitFor();
  }

  /** The entry of `name` in the people list. */
  person(name: string): Locator {
    return this.page.locator(`#people .person[data-name="${name}"]`);
  }

  /** Messages in the open conversation (sent or received; not the ones still waiting to be sent). */
  messages(): Locator {
    return this.page.locator('#conversation-slot .log:not(.outbox) > li.message');
  }

  /** The messages in the open conversation whose text is exactly `text`. */
  message(text: string): Locator {
    return this.messages().filter({ has: this.page.locator('.text').getByText(text, { exact: true }) });
  }

  /** Messages of the open conversation not sent yet (waiting, sending or failed). */
  pending(): Locator {
    return this.page.locator('#conversation-slot .outbox > li:not([hidden])');
  }

  /** Waits until exactly one message with `text` is shown in the open conversation, and returns it. */
  async seesOnce(text: string): Promise<Locator> {
    const message = this.message(text);
    await message.first().waitFor();
    expectCount(await message.count(), 1, text);
    return message.first();
  }

  /** The texts of the open conversation's messages, in display order. */
  async texts(): Promise<string[]> {
    return this.messages().locator('.text').allTextContents();
  }
}

function expectCount(count: number, expected: number, text: string): void {
  if (count !== expected) throw new Error(`expected ${expected} message(s) "${text}", found ${count}`);
}
