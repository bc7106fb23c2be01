// The signed-in identity, kept in localStorage so that a reload or a second tab is the same user. The token
// is this browser's session (docs/protocol.md: one per device) and the only proof of owning the name here.
//
// Two entries: `chat.session`, who this browser is signed in as now (cleared by Log out, which other tabs
// follow), and `chat.device`, the name and token this browser keeps across a log-out (issue 21), so that
// logging in again with the same name is the same user with the same history. Only an explicit "sign this
// browser out for good", giving the name up, or the server refusing the token forgets the second one.

const KEY = 'chat.session';
const DEVICE_KEY = 'chat.device';

/** { name, token, sessionId? } or null. */
export function loadSession() {
  return read(KEY);
}

export function saveSession(session) {
  write(KEY, { name: session.name, token: session.token, sessionId: session.sessionId });
  write(DEVICE_KEY, { name: session.name, token: session.token, sessionId: session.sessionId });
}

/** Signs this tab (and the others) out; the device keeps its key unless `device` is true. */
export function forgetSession({ device = false } = {}) {
  remove(KEY);
  if (device) remove(DEVICE_KEY);
}

/** { name, token, sessionId? } this browser holds a key to, signed in or not; or null. */
export function rememberedDevice() {
  return read(DEVICE_KEY);
}

/** Calls `listener(session | null)` when another tab of this origin signs in or out. */
export function onSessionChangedElsewhere(listener) {
  window.addEventListener('storage', (event) => {
    if (event.key === KEY || event.key === null) listener(parse(event.newValue));
  });
}

function read(key) {
  try {
    return parse(localStorage.getItem(key));
  } catch (err) {
    // Storage can be disabled (privacy settings); the chat still works, only without remembering the user.
    console.warn('localStorage is unavailable; the session will not survive a reload', err);
    return null;
  }
}

function write(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch (err) {
    console.warn('could not save the session', err);
  }
}

function remove(key) {
  try {
    localStorage.removeItem(key);
  } catch (err) {
    console.warn('could not forget the session', err);
  }
}

function parse(raw) {
  if (!raw) return null;
  try {
    const value = JSON.parse(raw);
    return typeof value?.name === 'string' && typeof value?.token === 'string' ? value : null;
  } catch {
    return null; // a value this page did not write; treat as signed out
  }
}
