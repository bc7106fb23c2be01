/**
 * The calls that ask the server something and hand its answer back, as the protocol defines them
 * (docs/protocol.md): one line each. Answers are values, `{ ok: true, ... } | { ok: false, error }`
 * (request.ts). The rooms work adds its calls here (createRoom, joinRoom, leaveRoom, invite, removeMember,
 * rooms, members, conversations), and issue 19's (editMsg, deleteMsg, block, unblock, report).
 */
import type { Socket } from 'socket.io-client';
import { Emitter, type EventMap } from './emitter.js';
import { request, type Result } from './request.js';
import type { EndSessionResult, HistoryPage, ProfileResult, ReadMark, SessionsResult, SignInCodeResult, UsersPage } from './wire.js';

export interface HistoryQuery {
  /** A user: the conversation with them. */
  with?: string;
  /** A room (issue 17). Neither: the public timeline. */
  room?: string;
  /** Only messages with a lower id (the oldest you hold): the page before it. */
  before?: number;
  limit?: number;
}

export class ChatCalls<Events extends EventMap<Events>> extends Emitter<Events> {
  constructor(readonly socket: Socket) {
    super();
  }

  /** A page of a conversation, newest first by page, oldest first within it. */
  history(query: HistoryQuery = {}): Promise<Result<HistoryPage>> {
    return request(this.socket, 'history', query);
  }

  /** Users by name with their online state; `after`/`limit` page the list where the server pages it (issue 16). */
  users(page: { after?: string; limit?: number } = {}): Promise<Result<UsersPage>> {
    return request(this.socket, 'users', page);
  }

  /** Records that a conversation is read up to `upTo` (issue 17); the user's other connections get `read`. */
  markRead(mark: ReadMark): Promise<Result<{ upTo: number }>> {
    return request(this.socket, 'read', mark);
  }

  /** Tells the public timeline, or user `to`, that the user is typing. */
  typing(to?: string): Promise<Result> {
    return request(this.socket, 'typing', to === undefined ? {} : { to });
  }

  /** A single-use code that signs another device in as this user (`connect({ code })` there). */
  signInCode(): Promise<Result<SignInCodeResult>> {
    return request(this.socket, 'signInCode', {});
  }

  /** The user's signed-in devices. */
  sessions(): Promise<Result<SessionsResult>> {
    return request(this.socket, 'sessions', {});
  }

  /** Ends one session of the user, or every other one (`{ others: true }`). */
  endSession(which: { id: string } | { others: true }): Promise<Result<EndSessionResult>> {
    return request(this.socket, 'endSession', which);
  }

  setDisplayName(displayName: string): Promise<Result<ProfileResult>> {
    return request(this.socket, 'profile', { displayName });
  }
}
