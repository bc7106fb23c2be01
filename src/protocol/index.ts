/**
 * The wire contract between the chat server and its clients (Socket.IO v4, default namespace and path).
 * The server, the tests and the benchmark all use these types; docs/protocol.md describes the same contract
 * for people. Incoming payloads are never trusted to match these types: src/schemas.ts parses them first.
 * One file per direction: limits.ts, payloads.ts (client → server), messages.ts (server → client),
 * acks.ts (answers), events.ts (the Socket.IO event maps).
 */
export * from './limits';
export type * from './payloads';
export type * from './messages';
export type * from './acks';
export type * from './events';
