import compose from 'koa-compose';
import { errorBody, ChatError, type ErrorBody } from '../errors';
import type { Ack, ClientEvent } from '../protocol';
import type { ChatSocket, EventContext, EventMiddleware, Services } from './context';
import { instrument } from './middleware';
import type { Routes } from './routes';
import type { SerialQueue } from './serial-queue';
import type { Session } from './session';

type AckCallback = (response: Ack) => void;
type Pipeline = (ctx: EventContext) => Promise<void>;

/**
 * Routes client events to their middleware pipelines. Pipelines are composed once per app; each socket
 * costs one listener. A socket's events run one at a time through its `queue`, in arrival order: `login`
 * then `sendMsg` without waiting for the ack works, and one sender's messages are stored in the order sent.
 * Messages overlap only with each other: the next one starts once the one before has queued its write in the
 * store (`ctx.release`), not once it has committed (serial-queue.ts).
 * Events beyond the queue's limit are refused with `rate_limited`; unknown events get `unknown_event` when
 * they carry an ack and are ignored otherwise.
 *
 * Every `rate_limited` refusal of a socket's events is counted, whatever refused it (a message or typing
 * limit, a login limit; a burst beyond the queue's bound counts once): a socket that keeps pushing against its
 * limits is answered, told, and disconnected (Session.refused, ABUSE_REFUSALS), rather than answered forever.
 */
export class Dispatcher {
  private readonly pipelines = new Map<string, Pipeline>();
  /** Events whose pipeline requires a login: before the first login they may wait for it (session.ts). */
  private readonly needLogin = new Set<string>();
  /** Message events: they may start while the message before them commits (serial-queue.ts). */
  private readonly pipelined = new Set<string>();

  constructor(
    private readonly services: Services,
    routes: Routes,
  ) {
    for (const [event, { middleware, needsLogin, pipelined }] of Object.entries(routes)) {
      this.pipelines.set(event, compose([instrument, ...(middleware as EventMiddleware[])]));
      if (needsLogin) this.needLogin.add(event);
      if (pipelined) this.pipelined.add(event);
    }
  }

  attach(socket: ChatSocket, queue: SerialQueue, session: Session): void {
    const state: SocketState = { socket, queue, session, overflowing: false };
    socket.onAny((event: string, ...args: unknown[]) => this.dispatch(state, event, args));
  }

  private dispatch(state: SocketState, event: string, args: unknown[]): void {
    const { socket, queue, session } = state;
    const pipeline = this.pipelines.get(event);
    const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as AckCallback) : undefined;
    if (!pipeline) {
      // Answer an unknown event only when the client waits for an answer; never echo its name back.
      ack?.({ ok: false, error: { code: 'unknown_event', message: 'This server does not handle that event.' } });
      return;
    }
    const ctx: EventContext = {
      event: event as ClientEvent,
      socket,
      session,
      services: this.services,
      log: this.services.log,
      input: args[0],
      payload: undefined,
      user: undefined,
      body: undefined,
      after: [],
      cutOff: false,
      release: () => undefined,
    };
    const task = () => run(pipeline, ctx, ack);
    const waitsForLogin = this.needLogin.has(event);
    const queued = queue.push(
      async (release) => {
        ctx.release = release;
        if (waitsForLogin && socket.connected && !session.user && session.park(task)) return;
        await task();
      },
      { pipelined: this.pipelined.has(event) },
    );
    if (queued) {
      state.overflowing = false;
      return;
    }
    this.services.metrics.error('rate_limited');
    // One burst beyond the queue's bound counts once toward the cut-off (its refusals already keep memory
    // bounded); a socket that overfills it again and again is cut off like any other.
    if (!state.overflowing) ctx.cutOff = session.refused();
    state.overflowing = true;
    answer(ctx, ack, new ChatError('rate_limited', 'Too many events in flight; slow down.', undefined, { retryAfterMs: QUEUE_FULL_RETRY_MS }));
  }
}

/** What the dispatcher keeps per socket. */
interface SocketState {
  socket: ChatSocket;
  queue: SerialQueue;
  session: Session;
  /** The last event was refused for a full queue, and none was queued since: one burst, counted once. */
  overflowing: boolean;
}

async function run(pipeline: Pipeline, ctx: EventContext, ack?: AckCallback) {
  // The socket went away while this event waited: nobody can receive its answer, so it must not run and
  // consume anything (a login would claim a name for a token nobody gets; issue 8).
  if (!ctx.socket.connected) {
    ctx.log.debug({ socket: ctx.socket.id, event: ctx.event }, 'event dropped: socket gone');
    return;
  }
  try {
    await pipeline(ctx);
  } catch (err) {
    refuse(ctx, ack, err);
    return;
  }
  answer(ctx, ack, undefined);
  try {
    for (const task of ctx.after) {
      if (!ctx.socket.connected) return;
      await task();
    }
  } catch (err) {
    ctx.log.error({ socket: ctx.socket.id, event: ctx.event, err }, 'post-ack work failed');
  }
}

/** What a refusal for a full queue suggests as a wait: long enough for the queue to drain. */
const QUEUE_FULL_RETRY_MS = 1000;

/** Replies through the ack when there is one; otherwise reports a failure as a `msg1` error notice. */
function answer(ctx: EventContext, ack: AckCallback | undefined, err: unknown): void {
  if (err === undefined) {
    ack?.({ ok: true, ...ctx.body });
    return;
  }
  const error = errorBody(err);
  if (ack) ack({ ok: false, error });
  else if (!ctx.cutOff) notify(ctx, error);
  if (ctx.cutOff) {
    ctx.log.warn({ socket: ctx.socket.id, user: ctx.session.user?.name }, 'disconnected for flooding');
    notify(ctx, { ...error, message: 'Disconnected for sending too much.' });
    ctx.socket.disconnect(true);
  }
}

/** Answers a failed event; a `rate_limited` one is counted first, and may cut the socket off. */
function refuse(ctx: EventContext, ack: AckCallback | undefined, err: unknown): void {
  if (err instanceof ChatError && err.code === 'rate_limited') ctx.cutOff = ctx.session.refused();
  answer(ctx, ack, err);
}

/** A `msg1` error notice: the error body's fields under the notice's names (`text` for `message`). */
function notify(ctx: EventContext, { code, message, retryAfterMs }: ErrorBody): void {
  ctx.socket.emit('msg1', { type: 'error', code, text: message, ts: ctx.services.now(), ...(retryAfterMs !== undefined && { retryAfterMs }) });
  ctx.services.metrics.eventsOut.inc({ event: 'msg1' });
}
