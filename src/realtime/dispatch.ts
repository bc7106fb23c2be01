import compose from 'koa-compose';
import { errorBody, ChatError } from '../errors';
import type { Ack, ClientEvent } from '../protocol';
import type { ChatSocket, EventContext, EventMiddleware, Services } from './context';
import { instrument } from './middleware';
import type { SerialQueue } from './serial-queue';

export type Routes = Record<ClientEvent, EventMiddleware<any>[]>;
type AckCallback = (response: Ack) => void;
type Listener = (...args: unknown[]) => void;

/**
 * Wires every route onto a socket. A socket's events run one at a time through `queue`, in arrival order:
 * `login` then `sendMsg` without waiting for the ack works, and one sender's messages are stored in the
 * order sent. Events beyond the queue's limit are refused with `rate_limited`.
 */
export function attachRoutes(socket: ChatSocket, services: Services, routes: Routes, queue: SerialQueue): void {
  const log = services.log.child({ socket: socket.id });
  const on = socket.on.bind(socket) as unknown as (event: string, listener: Listener) => void;

  for (const [event, middleware] of Object.entries(routes) as Array<[ClientEvent, EventMiddleware[]]>) {
    const pipeline = compose([instrument, ...middleware]);
    on(event, (...args) => {
      const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as AckCallback) : undefined;
      const ctx: EventContext = {
        event,
        socket,
        services,
        log,
        input: args[0],
        payload: undefined,
        user: undefined,
        body: undefined,
        after: [],
      };
      const accepted = queue.push(() => run(pipeline, ctx, ack));
      if (!accepted) {
        services.metrics.error('rate_limited');
        answer(ctx, ack, new ChatError('rate_limited', 'Too many events in flight; slow down.'));
      }
    });
  }
}

async function run(pipeline: (ctx: EventContext) => Promise<void>, ctx: EventContext, ack?: AckCallback) {
  try {
    await pipeline(ctx);
  } catch (err) {
    answer(ctx, ack, err);
    return;
  }
  answer(ctx, ack, undefined);
  try {
    for (const task of ctx.after) await task();
  } catch (err) {
    ctx.log.error({ event: ctx.event, err }, 'post-ack work failed');
  }
}

/** Replies through the ack when there is one; otherwise reports a failure as a `msg1` error notice. */
function answer(ctx: EventContext, ack: AckCallback | undefined, err: unknown): void {
  if (err === undefined) {
    ack?.({ ok: true, ...ctx.body });
    return;
  }
  const error = errorBody(err);
  if (ack) {
    ack({ ok: false, error });
  } else {
    ctx.socket.emit('msg1', { type: 'error', code: error.code, text: error.message, ts: ctx.services.now() });
    ctx.services.metrics.eventsOut.inc({ event: 'msg1' });
  }
}
