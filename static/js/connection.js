// The connection state, always visible: connecting, connected (and over which transport), reconnecting
// (Socket.IO's backoff), waiting (the server refused the connection for a rate limit and said how long to
// wait), or offline. Tests read #connection[data-state] and [data-transport].

import { secondsLeft, untilNextSecond } from './dom.js';

const TRANSPORT_LABELS = { websocket: 'WebSocket', polling: 'HTTP long-polling', webtransport: 'WebTransport' };

/**
 * Socket.IO options for this page. The socket's path is `socket.io/` beside the page (`baseURI`), as its other
 * URLs are: `/socket.io/` at the root, `/chat/socket.io/` when served under /chat/ (BASE_PATH=/chat).
 * `?transport=polling` (or `websocket`) pins the transport, e.g. to check that the chat works behind a proxy
 * that blocks WebSocket. Acks and retries are handled by outbox.js, not by Socket.IO's `retries` option, whose
 * queue would send buffered messages before the automatic re-login.
 */
export function socketOptions(search, baseURI) {
  const path = new URL('socket.io/', baseURI).pathname;
  const pinned = new URLSearchParams(search).get('transport');
  return pinned === 'polling' || pinned === 'websocket' ? { path, transports: [pinned] } : { path };
}

/**
 * Shows the connection state of `socket` in `#connection`, with a Reconnect button when only a click helps.
 * `waitUntil(ms)`: the page will reconnect by itself in `ms` (a rate-limited handshake); shown as a countdown.
 */
export function watchConnection(socket, { status, text, reconnect }) {
  let transport = '';
  let attempt = 0;
  let everConnected = false;
  let retryAt = 0;
  let tick;

  const stateOf = () => {
    if (socket.connected) return 'connected';
    if (retryAt > Date.now()) return 'waiting';
    if (!navigator.onLine || !socket.active) return 'offline';
    return everConnected ? 'reconnecting' : 'connecting';
  };

  const render = () => {
    const state = stateOf();
    status.dataset.state = state;
    status.dataset.transport = state === 'connected' ? transport : '';
    reconnect.hidden = socket.active || state === 'connected' || state === 'waiting';
    const how = TRANSPORT_LABELS[transport] ?? transport;
    text.textContent = {
      connecting: 'Connecting…',
      connected: how ? `Connected · ${how}` : 'Connected',
      reconnecting: attempt > 0 ? `Reconnecting… (attempt ${attempt})` : 'Reconnecting…',
      waiting: `Too many connections: reconnecting in ${secondsLeft(retryAt)} s…`,
      offline: navigator.onLine ? 'Offline' : 'Offline: no network',
    }[state];
    // While waiting, redraw at each whole second left (and once the wait is over).
    clearTimeout(tick);
    if (retryAt > Date.now()) tick = setTimeout(render, untilNextSecond(retryAt));
  };

  const waitUntil = (ms) => {
    retryAt = Date.now() + ms;
    render();
  };

  // Each (re)connection opens a new engine; follow its transport and its upgrade from polling to WebSocket.
  socket.io.on('open', () => {
    const engine = socket.io.engine;
    transport = engine.transport.name;
    engine.on('upgrade', (upgraded) => {
      transport = upgraded.name;
      render();
    });
    render();
  });
  socket.on('connect', () => {
    everConnected = true;
    attempt = 0;
    retryAt = 0;
    render();
  });
  socket.on('disconnect', render);
  socket.io.on('reconnect_attempt', (n) => {
    attempt = n;
    render();
  });
  socket.io.on('reconnect_error', render);
  socket.on('connect_error', render);
  window.addEventListener('online', render);
  window.addEventListener('offline', render);
  reconnect.addEventListener('click', () => socket.connect());
  render();
  return { render, waitUntil };
}
