// The other ways in beside the name form (issue 21): the name this browser still holds a key to after a log-out
// ("Continue"), and sign-in codes from another device, typed or in a link (#code=…, a fragment, so that it
// never reaches a server's logs).
import { nameKey } from './dom.js';
import { NO_ANSWER, request } from './request.js';
import { forgetSession, rememberedDevice } from './session.js';

const CODE_ERRORS = {
  unauthorized: 'That code does not work: it is wrong, expired or already used. Get a new one on your other device.',
  rate_limited: 'Too many wrong codes from here; wait a few minutes and try again.',
  invalid_payload: 'That does not look like a sign-in code.',
  [NO_ANSWER]: 'The server did not answer. Check your connection and try again.',
};

/** `#code=ABCDE-FGHJK` in the page's address, if any (and removes it from the address bar and history). */
export function codeFromLink() {
  const match = /^#code=([\w-]{1,32})$/.exec(location.hash);
  if (!match) return undefined;
  history.replaceState(null, '', location.pathname + location.search);
  return match[1];
}

export class SignIn {
  /**
   * `onSignedIn(res)`: a `login` ack that signed this connection in. `loginWith(name, token)`: the page's own
   * login with a name (used by Continue, so it goes the same way as the form).
   */
  constructor(els, { socket, onSignedIn, loginWith }) {
    Object.assign(this, { els, socket, onSignedIn });
    els.continueAs.addEventListener('click', () => {
      const device = rememberedDevice();
      if (device) void loginWith(device.name);
    });
    els.forget.addEventListener('click', () => void this.forgetDevice());
    els.codeForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.redeem(els.codeInput.value.trim());
    });
  }

  /** Shows or hides the "Continue as" card for the name this browser holds a key to. */
  refresh() {
    const device = rememberedDevice();
    this.els.remembered.hidden = !device;
    if (device) this.els.rememberedName.textContent = device.name;
    this.els.continueAs.textContent = device ? `Continue as ${device.name}` : 'Continue';
  }

  /** The token this browser holds for `name`, if it holds one. */
  tokenFor(name) {
    const device = rememberedDevice();
    return device && nameKey(device.name) === nameKey(name) ? device.token : undefined;
  }

  /** Signs in with a code (typed, or from a link). */
  async redeem(code) {
    const { els } = this;
    if (!code) return this.#show('Type the code first.');
    els.codeSubmit.disabled = true;
    els.codeError.textContent = '';
    try {
      const res = await request(this.socket, 'login', { code });
      if (!res.ok) {
        const message = res.error.code === 'already_logged_in' ? res.error.message : (CODE_ERRORS[res.error.code] ?? res.error.message);
        return this.#show(message);
      }
      els.codeInput.value = '';
      await this.onSignedIn(res);
    } finally {
      els.codeSubmit.disabled = false;
    }
  }

  /**
   * A shared computer: ends this browser's session on the server (its token then opens nothing) and forgets it.
   * The connection logs in with the key to end it; the server then closes it, and the page reconnects.
   */
  async forgetDevice() {
    const device = rememberedDevice();
    if (!device) return this.refresh();
    const res = await request(this.socket, 'login', { username: device.name, token: device.token });
    if (res.ok && res.sessionId) await request(this.socket, 'endSession', { id: res.sessionId });
    forgetSession({ device: true });
    this.refresh();
  }

  #show(message) {
    this.els.codeError.textContent = message;
    this.els.codeInput.setAttribute('aria-invalid', 'true');
    this.els.codeInput.focus();
  }
}
