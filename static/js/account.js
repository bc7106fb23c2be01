// The account dialog (issue 21): the display name, a sign-in code for another device (code, link, QR code),
// the devices signed in as this user with a way to sign each out, and giving the name up, which asks first.
import { h, secondsLeft, untilNextSecond } from './dom.js';
import { drawQr } from './qr.js';

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export class AccountDialog {
  /**
   * `me()`: { name, displayName } of the signed-in user. `onRenamed(user)`: the server took a new display
   * name.
   */
  constructor(els, { client, me, onRenamed }) {
    Object.assign(this, { els, client, me, onRenamed });
    this.codeTimer = undefined;
    els.open.addEventListener('click', () => void this.open());
    els.dialog.addEventListener('close', () => this.#stopCountdown());
    els.profileForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.saveProfile();
    });
    els.makeCode.addEventListener('click', () => void this.makeCode());
    els.endOthers.addEventListener('click', () => void this.endSessions({ others: true }));
    els.giveUp.addEventListener('click', () => {
      els.giveUpName.textContent = this.me().name;
      els.giveUpDialog.showModal();
      els.giveUpCancel.focus();
    });
    els.giveUpCancel.addEventListener('click', () => els.giveUpDialog.close());
    els.giveUpConfirm.addEventListener('click', () => void this.giveUp());
  }

  async open() {
    const { els } = this;
    const me = this.me();
    els.handle.textContent = me.name;
    els.displayName.value = me.displayName;
    els.profileError.textContent = '';
    els.codeBox.hidden = true;
    els.dialog.showModal();
    await this.listDevices();
  }

  async saveProfile() {
    const { els } = this;
    els.profileSave.disabled = true;
    const res = await this.client.setDisplayName(els.displayName.value);
    els.profileSave.disabled = false;
    if (!res.ok) {
      els.profileError.textContent = res.error.message;
      return;
    }
    els.profileError.textContent = '';
    els.displayName.value = res.user.displayName;
    this.onRenamed(res.user);
  }

  async makeCode() {
    const { els } = this;
    const res = await this.client.signInCode();
    if (!res.ok) {
      els.codeBox.hidden = false;
      els.codeText.textContent = '';
      els.codeExpiry.textContent = `No code: ${res.error.message}`;
      return;
    }
    // A fragment, not a query: the code stays out of every server's request log.
    const link = new URL(`#code=${res.code}`, location.href.split('#')[0]).href;
    els.codeText.textContent = res.code;
    els.codeLink.textContent = link;
    els.codeLink.href = link;
    drawQr(els.qr, link);
    els.codeBox.hidden = false;
    this.#countdown(res.expiresAt);
  }

  async listDevices() {
    const { els } = this;
    const res = await this.client.sessions();
    if (!res.ok) {
      els.devices.replaceChildren(h('li', { className: 'muted', text: res.error.message }));
      return;
    }
    els.devices.replaceChildren(...res.sessions.map((s) => this.#device(s)));
    els.endOthers.hidden = res.sessions.filter((s) => !s.current).length === 0;
  }

  async endSessions(which) {
    const res = await this.client.endSession(which);
    if (!res.ok) console.warn('could not sign the device out', res.error);
    await this.listDevices();
  }

  /** Signs every other device out, then gives the name up on this one (docs/protocol.md, `logout`). */
  async giveUp() {
    const { els } = this;
    els.giveUpConfirm.disabled = true;
    await this.client.endSession({ others: true });
    // The library forgets this browser's key to the name, and says `signedOut` (auth-flow.js shows the sign-in).
    const res = await this.client.logout({ release: true });
    els.giveUpConfirm.disabled = false;
    if (!res.ok) console.warn('giving the name up failed', res.error);
    els.giveUpDialog.close();
    els.dialog.close();
  }

  #device(session) {
    const what = session.agent || 'An app or a script';
    const label = session.current ? `${what} (this device)` : what;
    return h(
      'li',
      { dataset: { session: session.id, current: String(session.current) } },
      h(
        'span',
        { className: 'device-what' },
        h('span', { text: label }),
        h('span', { className: 'device-when', text: `Last used ${dateFormat.format(new Date(session.lastSeenAt))} from ${session.address || 'an unknown address'}` }),
      ),
      session.current ? null : h('button', { className: 'ghost', text: 'Sign out', attrs: { type: 'button' }, on: { click: () => void this.endSessions({ id: session.id }) } }),
    );
  }

  #countdown(expiresAt) {
    this.#stopCountdown();
    const tick = () => {
      if (Date.now() >= expiresAt) {
        this.els.codeExpiry.textContent = 'This code has expired. Get a new one.';
        return;
      }
      this.els.codeExpiry.textContent = `Works once, for another ${formatWait(secondsLeft(expiresAt))}.`;
      this.codeTimer = setTimeout(tick, untilNextSecond(expiresAt));
    };
    tick();
  }

  #stopCountdown() {
    clearTimeout(this.codeTimer);
  }
}

function formatWait(seconds) {
  return seconds >= 60 ? `${Math.floor(seconds / 60)} min ${seconds % 60} s` : `${seconds} s`;
}
