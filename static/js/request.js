// Client→server calls as promises of the server's ack shape. A missing ack (timeout, or the socket went
// away) resolves as an error value too, so callers handle one shape: { ok: true, ... } | { ok: false, error }.

/** How long to wait for an ack before calling the attempt failed. */
export const ACK_TIMEOUT_MS = 10_000;

/** Client-side codes, beside the server's (src/errors.ts): no ack arrived. */
export const NO_ANSWER = 'no_answer';

export function request(socket, event, payload, timeoutMs = ACK_TIMEOUT_MS) {
  return new Promise((resolve) => {
    socket.timeout(timeoutMs).emit(event, payload, (err, res) => {
      if (err) resolve({ ok: false, error: { code: NO_ANSWER, message: 'The server did not answer in time.' } });
      else resolve(res);
    });
  });
}
