// The connection, always visible in the top bar, as the client library reports it (`status`): connecting,
// connected (and over which transport), reconnecting (Socket.IO's back-off), waiting (the server turned the
// handshake down, rate_limited with the wait it named, and the library tries again at `retryAt`: a countdown),
// or offline, with a Reconnect button when only a click helps. Tests read #connection[data-state] and
// [data-transport].
import { secondsLeft, untilNextSecond } from './dom.js';

const TRANSPORT_LABELS = { websocket: 'WebSocket', polling: 'HTTP long-polling', webtransport: 'WebTransport' };

export function showConnection(client, { status, text, reconnect }) {
  let tick;
  /** The code of the latest refused handshake, to say why the page waits. */
  let refusal;

  const stateOf = (s) => {
    if (s.status === 'connected') return 'connected';
    if (s.retryAt !== undefined && s.retryAt > Date.now()) return 'waiting';
    if (!navigator.onLine || s.status === 'offline') return 'offline';
    return s.status === 'connecting' ? 'connecting' : 'reconnecting';
  };

  const render = () => {
    const s = client.status;
    const state = stateOf(s);
    status.dataset.state = state;
    status.dataset.transport = state === 'connected' ? (s.transport ?? '') : '';
    reconnect.hidden = s.status !== 'offline';
    const how = TRANSPORT_LABELS[s.transport] ?? s.transport;
    const why = refusal === 'rate_limited' ? 'Too many connections' : 'The server turned the connection down';
    text.textContent = {
      connecting: 'Connecting…',
      connected: how ? `Connected · ${how}` : 'Connected',
      reconnecting: s.attempt > 0 ? `Reconnecting… (attempt ${s.attempt})` : 'Reconnecting…',
      waiting: `${why}: reconnecting in ${secondsLeft(s.retryAt)} s…`,
      offline: navigator.onLine ? 'Offline' : 'Offline: no network',
    }[state];
    // While waiting, redraw at each whole second left (and once the wait is over).
    clearTimeout(tick);
    if (state === 'waiting') tick = setTimeout(render, untilNextSecond(s.retryAt));
  };

  client.on('status', render);
  // A refused handshake is reported as an error before the status that waits for the retry.
  client.on('error', (error) => {
    if (!client.socket.connected) refusal = error.code;
  });
  window.addEventListener('online', render);
  window.addEventListener('offline', render);
  reconnect.addEventListener('click', () => void client.connect());
  render();
}
