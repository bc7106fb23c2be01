import type { ChatMessage } from '../protocol';

/**
 * The moderation part of the ChatStore contract (store.ts): who blocked whom, who is banned, and reports
 * (issue 19). These are state, not log entries: nothing of them is sent to other users.
 *
 * Guarantees every implementation gives (tests/store-moderation.test.ts checks them against each one):
 * - Blocks take effect by commit order: a private message is hidden from its recipient when the recipient
 *   blocked its sender before the message's transaction (messages.ts), an invitation does nothing then
 *   (room-rules.ts); neither is ever shown to the blocker later, unblocked or not.
 * - A banned user's name stays theirs (no claim retires them: users.ts) until unbanned.
 * - A report keeps the message as it was when reported, whatever happens to the message afterwards.
 * - Each call is one transaction; block, unblock, ban and unban are idempotent.
 */
export interface BanRecord {
  user: string;
  userId: number;
  reason: string | null;
  since: number;
}

export interface ReportRecord {
  id: number;
  reporter: string;
  reason: string | null;
  reportedAt: number;
  /** The message as it was when reported (its conversation: `to` or `room`). */
  message: ChatMessage;
}

export interface ModerationStore {
  block(blocker: number, blocked: number, ts: number): Promise<void>;
  unblock(blocker: number, blocked: number): Promise<void>;
  /** The active users `blocker` blocked, by name. */
  blockedBy(blocker: number): Promise<string[]>;
  /** The users who blocked `user` (ids), e.g. to keep its typing from them. */
  blockersOf(user: number): Promise<number[]>;
  ban(userId: number, reason: string | undefined, ts: number): Promise<void>;
  unban(userId: number): Promise<boolean>;
  banOf(userId: number): Promise<BanRecord | undefined>;
  bans(): Promise<BanRecord[]>;
  /** Records a report of `message` (as it is now) by `reporter`. */
  report(report: { message: ChatMessage; reporter: { id: number; name: string }; reason?: string; ts: number }): Promise<number>;
  /** Reports newest first, below id `before`. */
  reports(query: { before?: number; limit: number }): Promise<{ reports: ReportRecord[]; hasMore: boolean }>;
}
