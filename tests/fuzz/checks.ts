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

/** The event that writes a membership change of each action, and the other entries. */
const CHANGING_EVENTS: Record<string, string> = {
  create: 'createRoom',
  join: 'joinRoom',
  leave: 'leaveRoom',
  invite: 'invite',
  remove: 'removeMember',
  edit: 'editMsg',
  delete: 'deleteMsg',
};

/**
 * The stored log entries that no event in `senders` can account for. Each sender accounts for at most one
 * entry: a public message for `sendMsg`, a private one for `privateMsg`, a room message for `roomMsg`, an edit
 * for `editMsg`, whose text is the payload's `text` (or the tutorial's `newAccount`) after trimming; a membership
 * change for the event of its action; a deletion for `deleteMsg`.
 */
export function unexplained(commits: readonly Committed[], senders: readonly MaySend[]): Committed[] {
  const left = senders.filter((s) => typeof s.event === 'string' && (STORING_EVENTS.includes(s.event) || Object.values(CHANGING_EVENTS).includes(s.event)));
  return commits.filter((commit) => {
    const index = left.findIndex((s) => explains(s, commit));
    if (index < 0) return true;
    left.splice(index, 1);
    return false;
  });
}

function explains(sender: MaySend, commit: Committed): boolean {
  if (commit.kind === 'member') return sender.event === CHANGING_EVENTS[commit.action];
  if (commit.kind === 'edit') return sender.event === 'editMsg' && textsOf(sender.payload).includes(commit.text);
  if (commit.kind === 'delete') return sender.event === 'deleteMsg';
  const event = commit.roomId !== null ? 'roomMsg' : commit.recipientId !== null ? 'privateMsg' : 'sendMsg';
  return sender.event === event && textsOf(sender.payload).includes(commit.message.text);
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
  /** Room events reach the witness only if it was invited to a room (by name: the fuzzer may). */
  roomMsg?: ReadonlyArray<{ id: number }>;
  roomMember?: ReadonlyArray<{ seq: number }>;
  messageEdited?: ReadonlyArray<{ seq: number }>;
  messageDeleted?: ReadonlyArray<{ seq: number }>;
}

/**
 * What `witness` (its name) received that only a refused event could have caused, or missed: every
 * `allmessage` must be a stored public message and every stored public message must have reached it; every
 * `privateMsg` a stored one to it; no more `typing` than events that could have sent one (`typingSent`); every
 * `roomMsg` and `roomMember` a stored one, and every message stored in `room`, a room the witness owns, received.
 * Call once everything the server sent the witness has arrived (helpers.ts, flush).
 */
export function broadcastProblems(witness: string, seen: Received, commits: readonly Committed[], typingSent: number, room?: string): string[] {
  const problems: string[] = [];
  const messages = new Map(commits.flatMap((c) => (c.kind === 'message' ? [[c.id, c] as const] : [])));
  const isPublic = (c: Committed | undefined) => c?.kind === 'message' && c.recipientId === null && c.roomId === null;
  for (const m of seen.allmessage) if (!isPublic(messages.get(m.id))) problems.push(`${witness} got allmessage ${m.id}, which was not stored as public`);
  for (const m of seen.privateMsg) if (!messages.has(m.id) || m.to !== witness) problems.push(`${witness} got privateMsg ${m.id}, which was not stored for it`);
  for (const m of seen.roomMsg ?? []) if (messages.get(m.id)?.roomId == null) problems.push(`${witness} got roomMsg ${m.id}, which was not stored in a room`);
  const entries = (kind: Committed['kind']) => new Set(commits.filter((c) => c.kind === kind).map((c) => c.id));
  const [members, edits, deletions] = [entries('member'), entries('edit'), entries('delete')];
  for (const c of seen.roomMember ?? []) if (!members.has(c.seq)) problems.push(`${witness} got roomMember ${c.seq}, which was not stored`);
  for (const c of seen.messageEdited ?? []) if (!edits.has(c.seq)) problems.push(`${witness} got messageEdited ${c.seq}, which was not stored`);
  for (const c of seen.messageDeleted ?? []) if (!deletions.has(c.seq)) problems.push(`${witness} got messageDeleted ${c.seq}, which was not stored`);
  // The witness owns `room` (nobody can remove it): every message stored there must have reached it.
  if (room !== undefined) {
    const roomIds = commits.flatMap((c) => (c.kind === 'message' && 'room' in c.message && c.message.room === room ? [c.id] : []));
    if (roomIds.some((id) => !seen.roomMsg?.some((m) => m.id === id))) problems.push(`a stored message of ${witness}'s room did not reach it`);
  }
  const publicIds = commits.filter(isPublic).map((c) => c.id);
  if (publicIds.some((id) => !seen.allmessage.some((m) => m.id === id))) problems.push(`a stored public message did not reach ${witness}`);
  if (seen.typing.length > typingSent) problems.push(`${witness} got more typing than events that could send one`);
  return problems;
}
