/**
 * What both fuzz suites check about the server's answers and its store, whatever the input was.
 */
import { ERROR_CODES } from '../../src/errors';
import type { Committed } from '../../src/store/store';
import { STORING_EVENTS } from './payloads';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * What is wrong with the arguments an ack was called with, if anything. An ack is exactly one argument,
 * `{ ok: true, … }` or `{ ok: false, error }` with a documented error (see errorProblem).
 */
export function ackProblem(args: unknown[]): string | undefined {
  if (args.length !== 1) return `the ack came with ${args.length} arguments`;
  const [answer] = args;
  if (!isObject(answer)) return 'the ack is not an object';
  if (answer.ok === true) return 'error' in answer ? 'a successful ack carries an error' : undefined;
  if (answer.ok !== false) return 'the ack has no boolean "ok"';
  const extra = Object.keys(answer).filter((key) => key !== 'ok' && key !== 'error');
  if (extra.length > 0) return `a failed ack has other keys: ${extra.join(', ')}`;
  return errorProblem(answer.error);
}

/**
 * What is wrong with an error body, if anything: `{ code, message, retryAfterMs? }` with a code from
 * ERROR_CODES, and never `internal_error`: for anything a client sends, that code means a handler threw.
 */
export function errorProblem(error: unknown): string | undefined {
  if (!isObject(error)) return 'the error is not an object';
  const { code, message, retryAfterMs, ...rest } = error;
  if (!(ERROR_CODES as readonly unknown[]).includes(code)) return `undocumented error code ${JSON.stringify(code)}`;
  if (code === 'internal_error') return 'internal_error: a handler failed on this input';
  if (typeof message !== 'string' || message === '') return 'the error has no message';
  if (retryAfterMs !== undefined && typeof retryAfterMs !== 'number') return 'retryAfterMs is not a number';
  if (Object.keys(rest).length > 0) return `the error has other keys: ${Object.keys(rest).join(', ')}`;
  return undefined;
}

/** An event that reached the server and was not refused, so it may have stored a message. */
export interface MaySend {
  event: unknown;
  payload: unknown;
}

/**
 * The stored messages that no event in `senders` can account for. Each sender accounts for at most one
 * message: a public one for `sendMsg`, a private one for `privateMsg`, whose text is the payload's `text`
 * (or the tutorial's `newAccount`) after trimming.
 */
export function unexplained(commits: readonly Committed[], senders: readonly MaySend[]): Committed[] {
  const left = senders.filter((s) => typeof s.event === 'string' && STORING_EVENTS.includes(s.event));
  return commits.filter((commit) => {
    const index = left.findIndex((s) => (s.event === 'privateMsg') === (commit.recipientId !== null) && textsOf(s.payload).includes(commit.message.text));
    if (index < 0) return true;
    left.splice(index, 1);
    return false;
  });
}

function textsOf(payload: unknown): string[] {
  if (!isObject(payload)) return [];
  return [payload.text, payload.newAccount].filter((t): t is string => typeof t === 'string').map((t) => t.trim());
}

/** What a client other than the one fuzzing (a witness) received on the broadcasting events. */
export interface Received {
  allmessage: ReadonlyArray<{ id: number }>;
  privateMsg: ReadonlyArray<{ id: number; to: string }>;
  typing: readonly unknown[];
}

/**
 * What `witness` (its name) received that only a refused event could have caused, or missed: every
 * `allmessage` must be a stored public message and every stored public message must have reached it; every
 * `privateMsg` a stored one to it; no more `typing` than events that could have sent one (`typingSent`).
 * Call once everything the server sent the witness has arrived (helpers.ts, flush).
 */
export function broadcastProblems(witness: string, seen: Received, commits: readonly Committed[], typingSent: number): string[] {
  const problems: string[] = [];
  const stored = new Map(commits.map((c) => [c.message.id, c]));
  for (const m of seen.allmessage) if (stored.get(m.id)?.recipientId !== null) problems.push(`${witness} got allmessage ${m.id}, which was not stored as public`);
  for (const m of seen.privateMsg) if (!stored.has(m.id) || m.to !== witness) problems.push(`${witness} got privateMsg ${m.id}, which was not stored for it`);
  const publicIds = commits.filter((c) => c.recipientId === null).map((c) => c.message.id);
  if (publicIds.some((id) => !seen.allmessage.some((m) => m.id === id))) problems.push(`a stored public message did not reach ${witness}`);
  if (seen.typing.length > typingSent) problems.push(`${witness} got more typing than events that could send one`);
  return problems;
}
