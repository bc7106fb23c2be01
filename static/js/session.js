// The signed-in identity, kept in localStorage so that a reload or a second tab is the same user. The token is
// the only proof of owning the name (see src/identity.ts); forgetting it gives the name up.

const KEY = 'chat.session';

/** { name, token } or null. */
export function loadSession() {
  try {
    return parse(localStorage.getItem(KEY));
  } catch (err) {
    // Storage can be disabled (privacy settings); the chat still works, only without remembering the user.
    console.warn('localStorage is unavailable; the session will not survive a reload', err);
    return null;
  }
}

export function saveSession(session) {
  try {
    localStorage.setItem(KEY, JSON.stringify({ name: session.name, token: session.token }));
  } catch (err) {
    console.warn('could not save the session', err);
  }
}

export function forgetSession() {
  try {
    localStorage.removeItem(KEY);
  } catch (err) {
    console.warn('could not forget the session', err);
  }
}

/** Calls `listener(session | null)` when another tab of this origin signs in or out. */
export function onSessionChangedElsewhere(listener) {
  window.addEventListener('storage', (event) => {
    if (event.key === KEY || event.key === null) listener(parse(event.newValue));
  });
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
