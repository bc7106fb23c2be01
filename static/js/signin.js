// The other ways in beside the name form (issue 21): the name this browser still holds a key to after a log-out
// ("Continue", the client library's `device`), and sign-in codes from another device, typed or in a link
// (#code=…, a fragment, so that it never reaches a server's logs).
import { createErrandClient } from './page-client.js';

const CODE_ERRORS = {
  unauthorized: 'That code does not work: it is wrong, expired or already used. Get a new one on your other device.',
  rate_limited: 'Too many wrong codes from here; wait a few minutes and try again.',
  invalid_payload: 'That does not look like a sign-in code.',
  no_answer: 'The server did not answer. Check your connection and try again.',
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
   * `loginWith(credentials)`: the page's login (auth-flow.js), resolving with the `login` answer; Continue goes
   * the same way as the name form.
   */
  constructor(els, { client, loginWith }) {
    Object.assign(this, { els, client, loginWith });
    els.continueAs.addEventListener('click', () => {
      const device = client.device;
      if (device) void loginWith({ username: device.name });
    });
    els.forget.addEventListener('click', () => void this.forgetDevice());
    els.codeForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.redeem(els.codeInput.value.trim());
    });
  }

  /** Shows or hides the "Continue as" card for the name this browser holds a key to. */
  refresh() {
    const device = this.client.device;
    this.els.remembered.hidden = !device;
    if (device) this.els.rememberedName.textContent = device.name;
    this.els.continueAs.textContent = device ? `Continue as ${device.name}` : 'Continue';
  }

  /** Signs in with a code (typed, or from a link). */
  async redeem(code) {
    const { els } = this;
    if (!code) return this.#show('Type the code first.');
    els.codeSubmit.disabled = true;
    els.codeError.textContent = '';
    try {
      const res = await this.loginWith({ code });
      if (!res.ok) {
        const message = res.error.code === 'already_logged_in' ? res.error.message : (CODE_ERRORS[res.error.code] ?? res.error.message);
        return this.#show(message);
      }
      els.codeInput.value = '';
    } finally {
      els.codeSubmit.disabled = false;
    }
  }

  /**
   * A shared computer: ends this browser's session on the server (its token then opens nothing) and forgets it.
   * A client of its own, which keeps nothing, signs in with the key to end the session: the page's client stays
   * signed out, and the other tabs are not told of a sign-in.
   */
  async forgetDevice() {
    const device = this.client.device;
    if (!device) return this.refresh();
    const errand = createErrandClient();
    let sessionId = device.sessionId;
    errand.on('session', (info) => (sessionId = info.sessionId ?? sessionId));
    const res = await errand.connect({ username: device.name, token: device.token });
    const ended = res.ok && sessionId !== undefined ? await errand.endSession({ id: sessionId }) : res;
    if (!ended.ok) console.warn('could not end the session of this browser on the server', ended.error);
    errand.close();
    await this.client.logout({ forget: true });
    this.refresh();
  }

  #show(message) {
    this.els.codeError.textContent = message;
    this.els.codeInput.setAttribute('aria-invalid', 'true');
    this.els.codeInput.focus();
  }
}
