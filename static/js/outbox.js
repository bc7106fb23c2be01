// Messages the user wrote that the server has not acknowledged yet. Each carries a random clientId, reused
// by every retry, so the server stores it once however often it is sent (issue 4). A message written while
// disconnected waits here, shown as pending, and is sent after the automatic re-login.
import { h, newClientId, secondsLeft, untilNextSecond } from './dom.js';
import { sendRequest } from './conversation.js';
import { request, NO_ANSWER } from './request.js';

/** Sends of one message while connected before it is shown as failed. */
const MAX_ATTEMPTS = 3;

/**
 * Sends in flight at once. A long outbox (written while offline) goes out a few at a time, and after a
 * `rate_limited` refusal one at a time until it is empty: so it costs about one refusal per limit window,
 * never the burst of refusals that makes the server cut a connection off (docs/protocol.md).
 */
const MAX_IN_FLIGHT = 4;

const STATE_TEXT = {
  queued: 'Waiting for the connection…',
  lined: 'Waiting to send…',
  sending: 'Sending…',
};

/** If the server gives no wait with a `rate_limited` refusal (it always should), wait this long. */
const DEFAULT_RATE_LIMIT_WAIT_MS = 2000;

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
    this.pausedUntil = 0;
    this.window = MAX_IN_FLIGHT;
  }

  /** Queues `text` for `conv` and sends it right away when possible. */
  send(conv, text) {
    const entry = { clientId: newClientId(), conv, text, state: 'queued', attempts: 0, turn: 0, echoId: undefined, error: '' };
    entry.el = h('li', { className: 'message mine pending', dataset: { clientId: entry.clientId } });
    conv.outbox.append(entry.el);
    this.entries.push(entry);
    if (Date.now() < this.pausedUntil) this.#waiting(entry);
    else this.#render(entry);
    this.#pump();
    return entry;
  }

  /** After (re)login: sends everything waiting, oldest first. */
  flush() {
    this.#pump();
  }

  /** Sends the oldest entries waiting, while connected, not held back by a rate limit, and within the window. */
  #pump() {
    if (!this.isReady() || Date.now() < this.pausedUntil) return;
    let inFlight = this.entries.filter((e) => e.state === 'sending').length;
    for (const entry of this.entries) {
      if (inFlight >= this.window) break;
      if (entry.state !== 'queued' && entry.state !== 'waiting') continue;
      this.#emit(entry);
      inFlight++;
    }
    for (const entry of this.entries) if (entry.state === 'queued') this.#render(entry); // 'waiting to send'
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
    this.pausedUntil = 0;
    this.window = MAX_IN_FLIGHT;
    clearTimeout(this.resumeTimer);
    clearTimeout(this.tickTimer);
  }

  #emit(entry) {
    entry.state = 'sending';
    entry.attempts++;
    const turn = ++entry.turn;
    this.#render(entry);
    const call = request(this.socket, ...sendRequest(entry.conv, entry.text, entry.clientId));
    void call.then((res) => {
      if (turn !== entry.turn) return;
      if (res.ok) {
        this.#settle(entry, res.message);
        if (!this.entries.some((e) => e.state === 'queued' || e.state === 'waiting')) this.window = MAX_IN_FLIGHT;
        return this.#pump();
      }
      const { code, message } = res.error;
      if (!this.isReady() || code === 'not_logged_in') {
        // Lost the connection or the session meanwhile: resend after the re-login (flush).
        entry.state = 'queued';
        entry.attempts = 0;
        this.#render(entry);
        return;
      }
      if (code === 'rate_limited') {
        // Too fast for the server's limits: say so, and send again, one at a time, when it says it will allow it.
        this.window = 1;
        this.#pause(res.error.retryAfterMs ?? DEFAULT_RATE_LIMIT_WAIT_MS);
        this.#waiting(entry);
      } else if (code === NO_ANSWER && entry.attempts < MAX_ATTEMPTS) {
        this.#emit(entry);
      } else {
        this.#fail(entry, message);
      }
      this.#pump();
    });
  }

  #waiting(entry) {
    entry.state = 'waiting';
    entry.attempts = 0;
    this.#render(entry);
  }

  /**
   * Holds every send back for `ms`, then sends what waits in the order it was written: one refused message
   * must not be overtaken by the next, since the server stores a sender's messages in the order they arrive.
   */
  #pause(ms) {
    const until = Date.now() + ms;
    if (until <= this.pausedUntil) return;
    this.pausedUntil = until;
    for (const entry of this.entries) if (entry.state === 'queued' && this.isReady()) this.#waiting(entry);
    clearTimeout(this.resumeTimer);
    this.#tick();
    this.resumeTimer = setTimeout(() => {
      this.pausedUntil = 0;
      clearTimeout(this.tickTimer);
      for (const entry of this.entries) {
        if (entry.state !== 'waiting') continue;
        entry.state = 'queued';
        this.#render(entry);
      }
      this.#pump();
    }, ms);
  }

  /** Redraws the waiting entries' countdown, and again at each whole second left, until the pause ends. */
  #tick() {
    clearTimeout(this.tickTimer);
    if (this.pausedUntil <= Date.now()) return;
    for (const entry of this.entries) {
      const countdown = entry.state === 'waiting' ? entry.el.querySelector('.countdown') : null;
      if (countdown) countdown.textContent = String(secondsLeft(this.pausedUntil));
    }
    this.tickTimer = setTimeout(() => this.#tick(), untilNextSecond(this.pausedUntil));
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
        : entry.state === 'waiting'
          ? h('p', { className: 'status', attrs: { role: 'status' } }, 'Slow down: sending again in ', h('span', { className: 'countdown', text: String(secondsLeft(this.pausedUntil)) }), ' s…')
          : h('p', { className: 'status', text: STATE_TEXT[entry.state === 'queued' && this.isReady() ? 'lined' : entry.state] });
    el.replaceChildren(h('div', { className: 'bubble' }, h('p', { className: 'text', text: entry.text, attrs: { dir: 'auto' } }), status));
  }

  #retry(entry) {
    entry.attempts = 0;
    entry.state = 'queued';
    this.#render(entry);
    this.#pump();
  }

  #discard(entry) {
    entry.turn++;
    this.entries = this.entries.filter((e) => e !== entry);
    entry.el.remove();
  }
}
