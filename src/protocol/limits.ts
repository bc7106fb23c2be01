/** The limits of the wire contract: lengths, page sizes, packet size. */

export const MAX_TEXT_LENGTH = 4000;
export const MAX_NAME_LENGTH = 32;
/** Display names (issue 21): 1-64 characters of any script, spaces allowed. */
export const MAX_DISPLAY_NAME_LENGTH = 64;
export const MAX_HISTORY_PAGE = 100;
export const DEFAULT_HISTORY_PAGE = 50;
export const MAX_SYNC_PAGE = 500;
/**
 * A `sync` page ends early, with `hasMore`, once its texts reach this many characters: 500 messages of 4,000
 * characters would be 2 MB of JSON for one read (issue 16); a page always holds at least one message.
 */
export const MAX_SYNC_PAGE_CHARS = 200_000;
export const DEFAULT_USERS_PAGE = 100;
export const MAX_USERS_PAGE = 500;
/** The login ack lists at most this many online users; `users` pages through everyone. */
export const LOGIN_ONLINE_LIMIT = 100;
export const MAX_CLIENT_ID_LENGTH = 64;
/** At most this many ids in one `received` event. */
export const MAX_RECEIPTS = 500;
/**
 * The largest Engine.IO message (and long-polling request body) the server reads (Socket.IO's
 * `maxHttpBufferSize`, 1 MB by default). The largest valid event is a `privateMsg` whose 4000 characters are
 * each escaped by JSON as `\uXXXX` (6 bytes): about 24.2 kB with its other fields; `received` with 500 ids is
 * about 8.5 kB; a handshake JWT at most 8 kB. 64 kB leaves room for a long-polling client that sends two such
 * events in one request; Socket.IO 4 clients split their requests at this size by themselves.
 */
export const MAX_PACKET_BYTES = 64 * 1024;
/** `rooms` and `members` pages: at most this many entries (default and maximum). */
export const MAX_LIST_PAGE = 100;
/** `conversations` pages: at most this many conversations (default and maximum). */
export const MAX_CONVERSATIONS_PAGE = 50;
/** A report's reason: at most this many characters. */
export const MAX_REASON_LENGTH = 500;
/** Unread counts stop here: `unread: 1000` means a thousand or more (counting further costs a scan). */
export const UNREAD_COUNT_LIMIT = 1000;
