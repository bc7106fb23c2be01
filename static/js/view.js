// The open conversation on screen: which one it is, its scroll position (stay at the newest message while
// the reader is there; keep the reader's place when older pages are inserted above), and the history edge.

/** Within this many pixels of the bottom counts as "reading the newest messages". */
const BOTTOM_SLACK_PX = 80;
/** Scrolling this close to the top loads the previous page. */
const TOP_SLACK_PX = 200;

export class ConversationView {
  constructor(els, { onNearTop }) {
    this.els = els;
    this.conv = undefined;
    els.scroller.addEventListener('scroll', () => {
      if (this.#atBottom()) els.jump.hidden = true;
      if (els.scroller.scrollTop < TOP_SLACK_PX) onNearTop(this.conv);
    });
    els.jump.addEventListener('click', () => {
      this.#toBottom();
      els.composer.focus();
    });
    els.loadOlder.addEventListener('click', () => onNearTop(this.conv));
  }

  /** Swaps in `conv`, restoring where the reader left it. */
  show(conv, subtitle) {
    const { els } = this;
    if (this.conv) this.conv.scrollAnchor = this.#atBottom() ? undefined : els.scroller.scrollTop;
    this.conv = conv;
    els.slot.replaceChildren(conv.log, conv.outbox);
    els.title.textContent = conv.title;
    this.setSubtitle(subtitle);
    const [label, placeholder] =
      conv.room !== undefined
        ? [`Message to the room ${conv.room.name}`, `Message #${conv.room.name}`]
        : conv.peer === undefined
          ? ['Message to everyone', 'Message everyone']
          : [`Private message to ${conv.peer}`, `Message ${conv.peer}`];
    els.composerLabel.textContent = label;
    els.composer.placeholder = placeholder;
    els.jump.hidden = true;
    this.updateEdge(conv);
    if (conv.scrollAnchor === undefined) this.#toBottom();
    else els.scroller.scrollTop = conv.scrollAnchor;
  }

  setSubtitle(text) {
    this.els.subtitle.textContent = text;
  }

  /**
   * Runs `change` (which adds to `conv`) and keeps the view sensible: if `conv` is open and the reader was at
   * the bottom, follow the new message; if they had scrolled up, offer a "new messages" button instead.
   * `ownMessage` always scrolls: the writer wants to see what they sent.
   */
  append(conv, change, ownMessage = false) {
    if (conv !== this.conv) return change();
    const follow = ownMessage || this.#atBottom();
    const result = change();
    if (follow) this.#toBottom();
    else if (result !== false) this.els.jump.hidden = false;
    return result;
  }

  /** Runs `change` (which inserts older messages above) without moving what the reader is looking at. */
  prepend(conv, change) {
    if (conv !== this.conv) return change();
    const { scroller } = this.els;
    const fromBottom = scroller.scrollHeight - scroller.scrollTop;
    const result = change();
    scroller.scrollTop = scroller.scrollHeight - fromBottom;
    return result;
  }

  /** Shows "Load older messages" or "beginning of the conversation" for `conv`, if it is open. */
  updateEdge(conv) {
    if (conv !== this.conv) return;
    const { loadOlder, historyStart } = this.els;
    loadOlder.hidden = !(conv.loaded && conv.hasMore);
    loadOlder.disabled = conv.loading;
    loadOlder.textContent = conv.loading ? 'Loading older messages…' : 'Load older messages';
    historyStart.hidden = !(conv.loaded && !conv.hasMore);
    conv.log.setAttribute('aria-busy', String(conv.loading));
  }

  /** True when the open conversation still has room above to scroll into before more must be loaded. */
  nearTop() {
    return this.els.scroller.scrollTop < TOP_SLACK_PX;
  }

  #atBottom() {
    const { scroller } = this.els;
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < BOTTOM_SLACK_PX;
  }

  #toBottom() {
    const { scroller } = this.els;
    scroller.scrollTop = scroller.scrollHeight;
    this.els.jump.hidden = true;
  }
}
