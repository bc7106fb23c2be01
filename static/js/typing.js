// "alice is typing…": sending `typing` at most every few seconds while the user types, and showing who is
// typing in the open conversation until they stop (no event for a while) or their message arrives.
import { nameKey } from './dom.js';

/** At most one `typing` event per conversation this often. */
export const TYPING_THROTTLE_MS = 2000;
/** A typist disappears this long after their last `typing` event. */
const TYPING_SHOWN_MS = 4000;

/**
 * Returns `notify(conv)`, to call on every keystroke (it emits `typing` when the throttle allows), and
 * `sent(conv)`, to call when a message goes out: receivers stop showing the typist when the message arrives,
 * so the next keystroke must announce typing again.
 */
export function typingSender(client, isReady) {
  const lastSent = new Map();
  const sent = (conv) => lastSent.delete(conv.key);
  const notify = (conv) => {
    const now = Date.now();
    // The protocol's typing is public or to one user; rooms have none (yet).
    if (conv.room !== undefined || !isReady() || now - (lastSent.get(conv.key) ?? -Infinity) < TYPING_THROTTLE_MS) return;
    lastSent.set(conv.key, now);
    void client.typing(conv.peer).then((res) => {
      if (!res.ok) console.warn('typing was not passed on', res.error);
    });
  };
  return { notify, sent };
}

export class TypingIndicator {
  constructor(el) {
    this.el = el;
    /** conversation key → Map(name key → { name, timer }) */
    this.typists = new Map();
    this.activeKey = undefined;
  }

  /** `name` is the typist's handle (who they are), `displayName` what is shown. */
  show(convKey, name, displayName = name) {
    const typists = this.typists.get(convKey) ?? new Map();
    this.typists.set(convKey, typists);
    const key = nameKey(name);
    clearTimeout(typists.get(key)?.timer);
    typists.set(key, { name: displayName, timer: setTimeout(() => this.clear(convKey, name), TYPING_SHOWN_MS) });
    this.render();
  }

  clear(convKey, name) {
    const typists = this.typists.get(convKey);
    const typist = typists?.get(nameKey(name));
    if (!typist) return;
    clearTimeout(typist.timer);
    typists.delete(nameKey(name));
    this.render();
  }

  clearAll() {
    for (const typists of this.typists.values()) for (const { timer } of typists.values()) clearTimeout(timer);
    this.typists.clear();
    this.render();
  }

  setActive(convKey) {
    this.activeKey = convKey;
    this.render();
  }

  render() {
    const names = [...(this.typists.get(this.activeKey)?.values() ?? [])].map((t) => t.name);
    this.el.textContent =
      names.length === 0 ? '' : names.length === 1 ? `${names[0]} is typing…` : names.length === 2 ? `${names[0]} and ${names[1]} are typing…` : 'Several people are typing…';
  }
}
