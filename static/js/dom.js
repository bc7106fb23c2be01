// Small DOM helpers. Every piece of text goes in through textContent or text nodes, never through HTML
// parsing, so a message such as `<img src=x onerror=alert(1)>` is shown literally and runs nothing.

/**
 * Creates an element. `props` may hold className, text (set as textContent), hidden, attrs (set with
 * setAttribute; never used for user text that could become markup), dataset and on (event listeners).
 * Children are nodes or strings (strings become text nodes).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  if (props.className) el.className = props.className;
  if (props.text !== undefined) el.textContent = props.text;
  if (props.hidden) el.hidden = true;
  for (const [name, value] of Object.entries(props.attrs ?? {})) el.setAttribute(name, String(value));
  Object.assign(el.dataset, props.dataset ?? {});
  for (const [type, listener] of Object.entries(props.on ?? {})) el.addEventListener(type, listener);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return el;
}

/**
 * Makes `items` the children of `list`, in order. Re-inserting the focused entry would drop the focus, so the
 * list is only touched when the order changed.
 */
export function keepOrder(list, items) {
  const current = [...list.children];
  if (items.length !== current.length || items.some((item, i) => item !== current[i])) list.replaceChildren(...items);
}

/** `document.getElementById` that fails loudly: a missing element is a bug in index.html. */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el;
}

/**
 * A name compared for display (is a message mine, one conversation per peer): case- and width-insensitive.
 * Not the server's identity key (src/names.ts, which also merges look-alikes) and need not be: the page only
 * compares names the server sent, always a user's stored name, and no two active users share this finer key
 * either, since they never share the coarser one.
 */
export function nameKey(name) {
  return name.normalize('NFKC').toLowerCase();
}

const AVATAR_HUES = 8;

/** A stable colour class per name (style.css defines .hue-0 … .hue-7), since inline styles are not allowed. */
export function hueClass(name) {
  let hash = 0;
  for (const ch of nameKey(name)) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return `hue-${hash % AVATAR_HUES}`;
}

/** The first letter of a name, for its avatar. */
export function initial(name) {
  return [...name][0]?.toUpperCase() ?? '?';
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A <time> element showing the hour (the full date is in its title and datetime). */
export function timeEl(ts) {
  const date = new Date(ts);
  return h('time', { text: timeFormat.format(date), attrs: { datetime: date.toISOString(), title: dateTimeFormat.format(date) } });
}

/** Whole seconds a countdown to `until` (epoch ms) shows: at least 1 while it runs. */
export function secondsLeft(until) {
  return Math.max(1, Math.ceil((until - Date.now()) / 1000));
}

/** How long until a countdown to `until` shows one second less (its next redraw). */
export function untilNextSecond(until) {
  return (until - Date.now()) % 1000 || 1000;
}
