// Messages the user wrote that the server has not acknowledged yet. Each carries a random clientId, reused
// by every retry, so the server stores it once however often it is sent (issue 4). A message written while
// disconnected waits here, shown as pending, and is sent after the automatic re-login.
import { h, newClientId } from './dom.js';
import { request, NO_ANSWER } from './request.js';

/** Sends of one message while connected before it is shown as failed. */
const MAX_ATTEMPTS = 3;
const RATE_LIMIT_BACKOFF_MS = 1000;

const STATE_TEXT = {
  queued: 'Waiting for the connection…',
  sending: 'Sending…',
};

export class Outbox {
  /**
   * `isReady()`: connected and logged in. `onSent(entry, message, echoId)`: the server acknowledged `entry`
   * with `message`; echoId is the id of the live broadcast adopted for it, if any (see adoptEcho).
   */
  constructor(socket, { isReady, onSent, onAdoptionUndone }) {
    this.socket = socket;
    this.isReady = isReady;
    this.onSent = onSent;
    this.onAdoptionUndone = onAdoptionUndone;
    this.entries = [];
  }

  /** Queues `text` for `conv` and sends it right away when possible. */
  send(conv, text) {
    const entry = { clientId: newClientId(), conv, text, state: 'queued', attempts: 0, turn: 0, echoId: undefined, error: '' };
    entry.el = h('li', { className: 'message mine pending', dataset: { clientId: entry.clientId } });
    conv.outbox.append(entry.el);
    this.entries.push(entry);
    if (this.isReady()) this.#emit(entry);
    else this.#render(entry);
    return entry;
  }

  /** After (re)login: sends everything waiting, oldest first. */
  flush() {
    for (const entry of this.entries) if (entry.state === 'queued') this.#emit(entry);
  }

  /** On disconnect: in-flight sends will get no ack; they go back to waiting and are resent with the same clientId. */
  suspend() {
    for (const entry of this.entries) {
      if (entry.state !== 'sending') continue;
      entry.turn++; // ignore the late answer of the abandoned attempt
      entry.state = 'queued';
      entry.attempts = 0;
      this.#render(entry);
    }
  }

  /**
   * The server broadcasts a public message to everyone, its sender included, just before acking it. When such
   * an echo of our own text arrives while a send is in flight, it is almost surely that send: show it in the
   * log at once (status "sending") instead of twice. The ack settles it; a mismatch is undone then.
   */
  adoptEcho(conv, message) {
    const entry = this.entries.find((e) => e.conv === conv && e.state === 'sending' && e.echoId === undefined && e.text.trim() === message.text);
    if (!entry) return false;
    entry.echoId = message.id;
    entry.el.hidden = true;
    return true;
  }

  /** Drops everything (log out). */
  clear() {
    for (const entry of this.entries) {
      entry.turn++;
      entry.el.remove();
    }
    this.entries = [];
  }

  #emit(entry) {
    entry.state = 'sending';
    entry.attempts++;
    const turn = ++entry.turn;
    this.#render(entry);
    const { conv, text, clientId } = entry;
    const call = conv.peer === undefined ? request(this.socket, 'sendMsg', { text, clientId }) : request(this.socket, 'privateMsg', { to: conv.peer, text, clientId });
    void call.then((res) => {
      if (turn !== entry.turn) return;
      if (res.ok) return this.#settle(entry, res.message);
      const { code, message } = res.error;
      if (!this.isReady() || code === 'not_logged_in') {
        // Lost the connection or the session meanwhile: resend after the re-login.
        entry.state = 'queued';
        entry.attempts = 0;
        this.#render(entry);
      } else if ((code === NO_ANSWER || code === 'rate_limited') && entry.attempts < MAX_ATTEMPTS) {
        setTimeout(() => turn === entry.turn && this.#emit(entry), code === 'rate_limited' ? RATE_LIMIT_BACKOFF_MS * entry.attempts : 0);
      } else {
        this.#fail(entry, message);
      }
    });
  }

  #settle(entry, message) {
    this.entries = this.entries.filter((e) => e !== entry);
    entry.el.remove();
    entry.state = 'sent';
    this.onSent(entry, message, entry.echoId);
  }

  #fail(entry, reason) {
    if (entry.echoId !== undefined) this.onAdoptionUndone(entry, entry.echoId);
    entry.echoId = undefined;
    entry.el.hidden = false;
    entry.state = 'failed';
    entry.error = reason;
    this.#render(entry);
  }

  #render(entry) {
    const { el } = entry;
    el.dataset.status = entry.state;
    const status =
      entry.state === 'failed'
        ? h(
            'p',
            { className: 'status', attrs: { role: 'alert' } },
            h('span', { text: `Not sent: ${entry.error}` }),
            h('button', { className: 'link', text: 'Retry', attrs: { type: 'button' }, on: { click: () => this.#retry(entry) } }),
            h('button', { className: 'link', text: 'Discard', attrs: { type: 'button' }, on: { click: () => this.#discard(entry) } }),
          )
        : h('p', { className: 'status', text: STATE_TEXT[entry.state] });
    el.replaceChildren(h('div', { className: 'bubble' }, h('p', { className: 'text', text: entry.text, attrs: { dir: 'auto' } }), status));
  }

  #retry(entry) {
    entry.attempts = 0;
    entry.state = 'queued';
    if (this.isReady()) this.#emit(entry);
    else this.#render(entry);
  }

  #discard(entry) {
    entry.turn++;
    this.entries = this.entries.filter((e) => e !== entry);
    entry.el.remove();
  }
}
