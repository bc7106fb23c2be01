/**
 * The chat's client library (docs/client.md). In a page: `import { createChatClient } from './js/lib/chat-client/index.js'`
 * with `io` from /socket.io/socket.io.js; in Node: the same module, with `io` from socket.io-client.
 */
export { ChatClient, createChatClient, type ChatClientOptions, type IoFactory } from './client.js';
export type { HistoryQuery } from './calls.js';
export type { ConnectionState, ConnectionStatus } from './connection.js';
export type { ChatClientEvents, Message, SignedOutReason } from './events.js';
export type { TokenSource } from './jwt.js';
export type { Route, StartAt } from './log.js';
export type { OutboxEntry, OutboxState, SendResult, Target } from './outbox.js';
export type { ClientError, ClientErrorCode, Result } from './request.js';
export type { Credentials, SavedSession } from './session.js';
export { defaultStore, memoryStore, webStore, type KeyValueStore, type WebStorage } from './storage.js';
export type * from './wire.js';
