// Which screen shows: the sign-in screen (the name form, the code form, "Continue as"; in JWT mode only what
// the host sign-in says) or the chat, with who is signed in in the top bar.
import { byId, hueClass, initial, nameKey } from './dom.js';

export class Screens {
  /** `loginForm`: login-form.js; `signIn`: signin.js. `hostMode`: the host application signs people in. */
  constructor({ chat, loginForm, signIn, hostMode }) {
    Object.assign(this, { chat, loginForm, signIn, hostMode });
    this.els = {
      loginView: byId('login-view'),
      hostStatus: byId('host-signin'),
      chatView: byId('chat-view'),
      account: byId('account'),
      meName: byId('me-name'),
      meAvatar: byId('me-avatar'),
    };
    if (hostMode) {
      // Names come from the host application: no name form, no log-out, no account page (that is the host's).
      loginForm.hide();
      byId('login-form').hidden = true;
      byId('code-form').hidden = true;
      byId('logout').hidden = true;
      byId('account-open').hidden = true;
    }
  }

  /** The sign-in screen, with `message` (an error, or ''). */
  showLogin(message) {
    const { els } = this;
    els.chatView.hidden = true;
    els.account.hidden = true;
    if (!this.hostMode) {
      this.signIn.refresh();
      return this.loginForm.show(message);
    }
    els.hostStatus.textContent = message;
    els.hostStatus.hidden = false;
    els.loginView.hidden = false;
  }

  /**
   * The chat for `user` ({ name, displayName }); also before the login (from the kept session, without a display
   * name yet), so that a reload does not flash the sign-in screen.
   */
  showChat({ name, displayName = name }) {
    const { els } = this;
    this.chat.me = { name, key: nameKey(name), displayName };
    els.meName.textContent = displayName;
    els.meName.title = displayName === name ? '' : name;
    els.meAvatar.textContent = initial(displayName);
    els.meAvatar.className = `avatar ${hueClass(name)}`;
    this.loginForm.hide();
    els.account.hidden = false;
    els.chatView.hidden = false;
  }
}
