/**
 * The connection's state as a person would name it, with the transport it runs on: `connecting` (never
 * connected yet), `connected`, `reconnecting` (Socket.IO's back-off, or a refused handshake the client will try
 * again at `retryAt`), `offline` (not trying: closed, or a handshake refused for a reason only the application
 * can change). Reported on every change.
 */
import type { Socket } from 'socket.io-client';

export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'offline';

export interface ConnectionState {
  status: ConnectionStatus;
  /** While connected: `websocket`, `polling` (HTTP long-polling) or `webtransport`. */
  transport?: string;
  /** While reconnecting: Socket.IO's attempt number (0 before the first retry). */
  attempt?: number;
  /** Epoch ms: when a refused handshake (`rate_limited`…) is tried again. */
  retryAt?: number;
}

export interface ConnectionWatch {
  state(): ConnectionState;
  /** The client will connect again at `at` (epoch ms; undefined: not waiting any more). */
  waitUntil(at: number | undefined): void;
  /** Re-reads the state (the client was closed). */
  update(): void;
}

export function watchConnection(socket: Socket, changed: (state: ConnectionState) => void): ConnectionWatch {
  let transport: string | undefined;
  let attempt = 0;
  let everConnected = false;
  let retryAt: number | undefined;
  let last = '';

  const state = (): ConnectionState => {
    if (socket.connected) return { status: 'connected', transport };
    if (retryAt !== undefined) return { status: 'reconnecting', attempt, retryAt };
    if (!socket.active) return { status: 'offline' };
    return everConnected ? { status: 'reconnecting', attempt } : { status: 'connecting' };
  };
  const update = () => {
    const now = state();
    const key = JSON.stringify(now);
    if (key === last) return;
    last = key;
    changed(now);
  };

  // Each (re)connection opens a new engine: follow its transport, and its upgrade from polling to WebSocket.
  socket.io.on('open', () => {
    const engine = socket.io.engine;
    transport = engine.transport.name;
    engine.on('upgrade', (upgraded: { name: string }) => {
      transport = upgraded.name;
      update();
    });
    update();
  });
  socket.on('connect', () => {
    everConnected = true;
    attempt = 0;
    retryAt = undefined;
    update();
  });
  socket.on('disconnect', update);
  socket.on('connect_error', update);
  socket.io.on('reconnect_attempt', (n) => {
    attempt = n;
    update();
  });
  socket.io.on('reconnect_error', update);
  socket.io.on('reconnect_failed', update);
  return {
    state,
    update,
    waitUntil(at) {
      retryAt = at;
      update();
    },
  };
}
