/** The Socket.IO event maps, client to server, server to client and between the nodes of a cluster. */
import type { AckFn, ConversationsResult, CreateRoomResult, EditMsgResult, EndSessionResult, HistoryResult, LoginResult, MembersResult, PrivateMsgResult, ProfileResult, ReadResult, ReportResult, RoomChangeResult, RoomMsgResult, RoomsResult, SendMsgResult, SessionsResult, SignInCodeResult, SyncResult, UsersResult } from './acks';
import type { MessageDeleted, MessageEdited, Notice, PresenceChange, PrivateMessage, ProfileChange, PublicMessage, ReadMark, RoomMemberChange, RoomMessage, TypingNotice } from './messages';
import type { ConversationsPayload, CreateRoomPayload, DeleteMsgPayload, EditMsgPayload, EndSessionPayload, HistoryPayload, LoginPayload, LogoutPayload, MembersPayload, PrivateMsgPayload, ProfilePayload, ReadPayload, ReceivedPayload, ReportPayload, RoomMsgPayload, RoomPayload, RoomUserPayload, RoomsPayload, SendMsgPayload, SessionsPayload, SignInCodePayload, SyncPayload, TypingPayload, UserPayload, UsersPayload } from './payloads';

export interface ClientToServerEvents {
  login: (payload: LoginPayload, ack?: AckFn<LoginResult>) => void;
  sendMsg: (payload: SendMsgPayload, ack?: AckFn<SendMsgResult>) => void;
  privateMsg: (payload: PrivateMsgPayload, ack?: AckFn<PrivateMsgResult>) => void;
  history: (payload: HistoryPayload, ack?: AckFn<HistoryResult>) => void;
  users: (payload: UsersPayload, ack?: AckFn<UsersResult>) => void;
  typing: (payload: TypingPayload, ack?: AckFn) => void;
  sync: (payload: SyncPayload, ack?: AckFn<SyncResult>) => void;
  logout: (payload: LogoutPayload, ack?: AckFn) => void;
  received: (payload: ReceivedPayload, ack?: AckFn) => void;
  signInCode: (payload: SignInCodePayload, ack?: AckFn<SignInCodeResult>) => void;
  sessions: (payload: SessionsPayload, ack?: AckFn<SessionsResult>) => void;
  endSession: (payload: EndSessionPayload, ack?: AckFn<EndSessionResult>) => void;
  profile: (payload: ProfilePayload, ack?: AckFn<ProfileResult>) => void;
  createRoom: (payload: CreateRoomPayload, ack?: AckFn<CreateRoomResult>) => void;
  joinRoom: (payload: RoomPayload, ack?: AckFn<RoomChangeResult>) => void;
  leaveRoom: (payload: RoomPayload, ack?: AckFn<RoomChangeResult>) => void;
  invite: (payload: RoomUserPayload, ack?: AckFn<RoomChangeResult>) => void;
  removeMember: (payload: RoomUserPayload, ack?: AckFn<RoomChangeResult>) => void;
  roomMsg: (payload: RoomMsgPayload, ack?: AckFn<RoomMsgResult>) => void;
  rooms: (payload: RoomsPayload, ack?: AckFn<RoomsResult>) => void;
  members: (payload: MembersPayload, ack?: AckFn<MembersResult>) => void;
  read: (payload: ReadPayload, ack?: AckFn<ReadResult>) => void;
  conversations: (payload: ConversationsPayload, ack?: AckFn<ConversationsResult>) => void;
  editMsg: (payload: EditMsgPayload, ack?: AckFn<EditMsgResult>) => void;
  deleteMsg: (payload: DeleteMsgPayload, ack?: AckFn) => void;
  block: (payload: UserPayload, ack?: AckFn) => void;
  unblock: (payload: UserPayload, ack?: AckFn) => void;
  report: (payload: ReportPayload, ack?: AckFn<ReportResult>) => void;
}

/** Sent first on a connection that logged in during the handshake (`auth`): what a `login` ack would say. */
export type SessionInfo = LoginResult;

export interface ServerToClientEvents {
  session: (info: SessionInfo) => void;
  allmessage: (message: PublicMessage) => void;
  privateMsg: (message: PrivateMessage) => void;
  msg1: (notice: Notice) => void;
  presence: (change: PresenceChange) => void;
  typing: (notice: TypingNotice) => void;
  profileChanged: (change: ProfileChange) => void;
  roomMsg: (message: RoomMessage) => void;
  roomMember: (change: RoomMemberChange) => void;
  /** Another connection of this user moved a read mark. */
  read: (mark: ReadMark) => void;
  messageEdited: (edit: MessageEdited) => void;
  messageDeleted: (deletion: MessageDeleted) => void;
}

/** Between the nodes of a cluster (Socket.IO's server-side emit): nothing a client sends or sees. */
export interface InterServerEvents {
  /** A user's display name changed: every node updates its sockets of that user. */
  displayNameChanged: (userId: number, displayName: string) => void;
  /** These users changed on the sending node: read their state again and tell your sockets (presence/feed.ts). */
  presenceChanged: (users: Array<{ id: number; name: string; displayName: string }>) => void;
}

/** The logged-in identity of a socket. `key` is the case-folded name used for rooms and uniqueness. */
export interface SessionUser {
  id: number;
  name: string;
  key: string;
  displayName: string;
}

export interface SocketData {
  user?: SessionUser;
  /** The session (device) the socket logged in with; none for a tutorial login that joined without the token, or JWT. */
  sessionId?: string;
}

export type ClientEvent = keyof ClientToServerEvents;
