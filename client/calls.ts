/**
 * The calls that ask the server something and hand its answer back, as the protocol defines them
 * (docs/protocol.md): one line each. Answers are values, `{ ok: true, ... } | { ok: false, error }`
 * (request.ts). Sending messages is not here: it goes through the outbox (client.ts).
 */
import type { Socket } from 'socket.io-client';
import { Emitter, type EventMap } from './emitter.js';
import { request, type Result } from './request.js';
import type {
  ConversationsPage,
  ConversationsQuery,
  CreateRoomResult,
  EditMsgResult,
  EndSessionResult,
  HistoryPage,
  MembersPage,
  MembersQuery,
  NewRoom,
  ProfileResult,
  ReadMark,
  ReadResult,
  ReportResult,
  RoomChangeResult,
  RoomsPage,
  RoomsQuery,
  SessionsResult,
  SignInCodeResult,
  UsersPage,
} from './wire.js';

export interface HistoryQuery {
  /** A user: the conversation with them. */
  with?: string;
  /** A room. Neither: the public timeline. */
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

  /** Users by name with their online state, a page at a time (`after`: the last name of the previous page). */
  users(page: { after?: string; limit?: number } = {}): Promise<Result<UsersPage>> {
    return request(this.socket, 'users', page);
  }

  /** Records that a conversation is read up to `upTo`; the user's other connections get `read`. */
  markRead(mark: ReadMark): Promise<Result<ReadResult>> {
    return request(this.socket, 'read', mark);
  }

  /** The user's conversations, most recently active first, with unread counts and read marks. */
  conversations(page: ConversationsQuery = {}): Promise<Result<ConversationsPage>> {
    return request(this.socket, 'conversations', page);
  }

  /** Tells the public timeline, or user `to`, that the user is typing. */
  typing(to?: string): Promise<Result> {
    return request(this.socket, 'typing', to === undefined ? {} : { to });
  }

  // ---- rooms -------------------------------------------------------------------------------------------

  /** A new room, with the user as its owner and first member (`private`: visible to its members only). */
  createRoom(room: NewRoom): Promise<Result<CreateRoomResult>> {
    return request(this.socket, 'createRoom', room);
  }

  joinRoom(room: string): Promise<Result<RoomChangeResult>> {
    return request(this.socket, 'joinRoom', { room });
  }

  leaveRoom(room: string): Promise<Result<RoomChangeResult>> {
    return request(this.socket, 'leaveRoom', { room });
  }

  /** A member adds `user` to the room, who is a member at once. */
  invite(room: string, user: string): Promise<Result<RoomChangeResult>> {
    return request(this.socket, 'invite', { room, user });
  }

  /** The owner removes `user` from the room. */
  removeMember(room: string, user: string): Promise<Result<RoomChangeResult>> {
    return request(this.socket, 'removeMember', { room, user });
  }

  /** Rooms by name: the public ones and the user's (`mine`: the user's only). */
  rooms(query: RoomsQuery = {}): Promise<Result<RoomsPage>> {
    return request(this.socket, 'rooms', query);
  }

  members(query: MembersQuery): Promise<Result<MembersPage>> {
    return request(this.socket, 'members', query);
  }

  // ---- editing, deleting, blocking, reporting ----------------------------------------------------------

  /** A new text for one of the user's messages; its readers get the edit as a `change`. */
  editMessage(id: number, text: string): Promise<Result<EditMsgResult>> {
    return request(this.socket, 'editMsg', { id, text });
  }

  /** Deletes one of the user's messages (a room's owner: any of the room's); it stays as a tombstone. */
  deleteMessage(id: number): Promise<Result> {
    return request(this.socket, 'deleteMsg', { id });
  }

  /** From now until `unblock`, nothing `user` sends privately reaches the user (docs/protocol.md, `block`). */
  block(user: string): Promise<Result> {
    return request(this.socket, 'block', { user });
  }

  unblock(user: string): Promise<Result> {
    return request(this.socket, 'unblock', { user });
  }

  /** Reports a message the user may read to the server's moderators. */
  report(id: number, reason?: string): Promise<Result<ReportResult>> {
    return request(this.socket, 'report', reason === undefined ? { id } : { id, reason });
  }

  // ---- devices and profile -----------------------------------------------------------------------------

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
