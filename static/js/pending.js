// Messages written in this tab that the server has not stored yet, as the client library's outbox reports them
// (`outbox` events: entries with clientId, target, text, state, retryAt, error). Each is drawn under its
// conversation's log with what it waits for: the connection, its turn, the end of a rate limit (a countdown),
// or, refused for good, Retry and Discard. Sending, resending with the same clientId and pacing under a rate
// limit are the library's (docs/client.md); this file only shows them.
import { isTargetOf } from './conversation.js';
import { h, secondsLeft, untilNextSecond } from './dom.js';

const STATE_TEXT = {
  queued: 'Waiting for the connection…',
  lined: 'Waiting to send…',
  sending: 'Sending…',
};

/** What a held-back entry waits for, before its countdown: a rate limit, or a refusal that may pass. */
function waitText(error) {
  return error?.code === 'rate_limited' ? 'Slow down: sending again in ' : `Not sent yet (${error?.message ?? 'no answer'}): trying again in `;
}

export class Pending {
  /** `conversationOf(target)`: where an entry goes. `isReady()`: connected and signed in, so sends go out. */
  constructor(client, { conversationOf, isReady }) {
    Object.assign(this, { client, conversationOf, isReady });
    /** clientId → { el, entry } of the entries shown. */
    this.items = new Map();
    /** clientId → id of the live copy of that send, shown in the log in its place until the ack (see adopt). */
    this.echoes = new Map();
    this.tickTimer = undefined;
    client.on('outbox', (entries) => this.#render(entries));
    client.on('status', () => this.#redraw()); // "waiting for the connection" or "waiting to send"
  }

  /** Sends `text` to `conv`; once stored, the message is marked sent. */
  async write(conv, text) {
    const { client } = this;
    const sending = conv.room !== undefined ? client.sendToRoom(conv.room.name, text) : conv.peer === undefined ? client.send(text) : client.sendPrivate(conv.peer, text);
    // The library has queued it by now, as the newest entry of its outbox (with the clientId it chose).
    const { clientId } = client.pending.at(-1);
    const res = await sending;
    const echoId = this.echoes.get(clientId);
    this.echoes.delete(clientId);
    if (echoId !== undefined && (!res.ok || echoId !== res.message.id)) conv.setStatus(echoId, null);
    if (res.ok) conv.setStatus(res.message.id, 'sent');
  }

  /**
   * The server sends a public message to everyone, its sender included, just before acking it. When such a
   * copy of one of this tab's sends in flight arrives, it is shown in the log (as sending) instead of the
   * pending entry, so the message does not show twice until the ack; a mismatch is undone then.
   */
  adopt(conv, message) {
    for (const [clientId, { el, entry }] of this.items) {
      if (entry.state !== 'sending' || this.echoes.has(clientId) || !isTargetOf(conv, entry.target) || entry.text.trim() !== message.text) continue;
      this.echoes.set(clientId, message.id);
      el.hidden = true;
      return true;
    }
    return false;
  }

  #render(entries) {
    const current = new Set();
    for (const entry of entries) {
      current.add(entry.clientId);
      let item = this.items.get(entry.clientId);
      if (!item) {
        item = { el: h('li', { className: 'message mine pending', dataset: { clientId: entry.clientId } }) };
        this.items.set(entry.clientId, item);
      }
      item.entry = entry;
      // Its conversation may have been made anew since (a log-out and back in): follow it there.
      const list = this.conversationOf(entry.target).outbox;
      if (item.el.parentElement !== list) list.append(item.el);
      this.#draw(item);
    }
    for (const [clientId, item] of this.items) {
      if (current.has(clientId)) continue;
      item.el.remove();
      this.items.delete(clientId);
    }
    this.#tick();
  }

  #redraw() {
    for (const item of this.items.values()) this.#draw(item);
  }

  #draw({ el, entry }) {
    el.dataset.status = entry.state;
    el.hidden = this.echoes.has(entry.clientId) && entry.state !== 'failed';
    const { clientId } = entry;
    const status =
      entry.state === 'failed'
        ? h(
            'p',
            { className: 'status', attrs: { role: 'alert' } },
            h('span', { text: `Not sent: ${entry.error?.message ?? 'refused'}` }),
            h('button', { className: 'link', text: 'Retry', attrs: { type: 'button' }, on: { click: () => this.client.retry(clientId) } }),
            h('button', { className: 'link', text: 'Discard', attrs: { type: 'button' }, on: { click: () => this.client.discard(clientId) } }),
          )
        : entry.state === 'waiting'
          ? h('p', { className: 'status', attrs: { role: 'status' } }, waitText(entry.error), h('span', { className: 'countdown', text: String(secondsLeft(entry.retryAt)) }), ' s…')
          : h('p', { className: 'status', text: STATE_TEXT[entry.state === 'queued' && this.isReady() ? 'lined' : entry.state] });
    el.replaceChildren(h('div', { className: 'bubble' }, h('p', { className: 'text', text: entry.text, attrs: { dir: 'auto' } }), status));
  }

  /** Redraws the countdowns of the entries held back, at each whole second left, until the wait is over. */
  #tick() {
    clearTimeout(this.tickTimer);
    const waits = [...this.items.values()].filter(({ entry }) => entry.state === 'waiting' && entry.retryAt > Date.now());
    if (waits.length === 0) return;
    for (const { el, entry } of waits) {
      const countdown = el.querySelector('.countdown');
      if (countdown) countdown.textContent = String(secondsLeft(entry.retryAt));
    }
    const next = Math.min(...waits.map(({ entry }) => entry.retryAt));
    this.tickTimer = setTimeout(() => this.#tick(), untilNextSecond(next));
  }
}
