/**
 * fast-check arbitraries for what a client can put into a Socket.IO event: any JSON, and payloads biased
 * towards almost valid ones (the right keys with wrong types, extra and prototype keys, deep nesting, huge
 * arrays and strings, odd Unicode, odd numbers), in every argument shape a client can send.
 */
import fc from 'fast-check';
import { MAX_PACKET_BYTES, type ClientEvent } from '../../src/protocol';
import { CLIENT_ID_EDGES, ID_EDGES, LIMIT_EDGES, NAME_EDGES, RECEIPT_EDGES, TEXT_EDGES, TOKEN_EDGES } from './edges';

/** Every client→server event (the `satisfies` makes a new event a compile error here until it is listed). */
export const CLIENT_EVENTS = Object.keys({
  login: 0,
  sendMsg: 0,
  privateMsg: 0,
  history: 0,
  users: 0,
  typing: 0,
  sync: 0,
  logout: 0,
  received: 0,
  signInCode: 0,
  sessions: 0,
  endSession: 0,
  profile: 0,
  createRoom: 0,
  joinRoom: 0,
  leaveRoom: 0,
  invite: 0,
  removeMember: 0,
  roomMsg: 0,
  rooms: 0,
  members: 0,
  read: 0,
  conversations: 0,
  editMsg: 0,
  deleteMsg: 0,
  block: 0,
  unblock: 0,
  report: 0,
} satisfies Record<ClientEvent, 0>) as ClientEvent[];

/** The events that store a message. */
export const STORING_EVENTS: readonly string[] = ['sendMsg', 'privateMsg', 'roomMsg'] satisfies ClientEvent[];

/** Names Socket.IO reserves: socket.io-client refuses to emit them, so only the raw frame suite sends them. */
export const RESERVED_EVENTS = ['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener'];

/** Event names without a handler, among them properties every object has. */
const UNKNOWN_EVENTS = [
  '__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'then', '',
  'LOGIN', 'sendmsg', 'send Msg', 'allmessage', 'msg1', 'session', 'presence', 'dropTables',
];

/** Characters that trip up text handling: NUL, lone surrogates, bidi controls, combining marks, odd spaces… */
const ODD_CHARS = [
  '\u0000', '\u0001', '\u007f', '\ud800', '\udfff', '\u202e', '\u200f', '\u200b', '\ufeff', '\u0301', '\u0300',
  '\u3000', '\u00a0', '\u2028', '\u0085', '\uffff', '\ufffe', '\u{1f600}', '\u{1f469}\u200d\u{1f4bb}', 'Ａ', 'İ',
  'ß', 'ﷺ', '"', '\\', '<', '%', ' ', '\n', '\t', 'a', 'é', '中',
];
const ODD_STRINGS = [
  '', ' ', 'NaN', '-0', 'Infinity', '1e308', '-1', '0x1F', 'null', 'true', 'undefined', '__proto__', 'constructor',
  'prototype', '{}', '[]', '%s%n%d', '../../etc/passwd', "'; DROP TABLE messages; --", '<script>alert(1)</script>',
];
const FIELD_NAMES = [
  'id', 'username', 'token', 'code', 'text', 'newAccount', 'clientId', 'to', 'with', 'before', 'limit', 'after', 'ids', 'release',
  'others', 'displayName', 'name', 'private', 'room', 'user', 'upTo', 'reason',
];

/** What a string or value costs on the wire, as JSON (UTF-8). */
const wireBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value) ?? '');

/** Room left for one payload in a packet (MAX_PACKET_BYTES), whatever else the packet carries. */
const PAYLOAD_BUDGET = MAX_PACKET_BYTES - 8_000;

const oddChar = fc.constantFrom(...ODD_CHARS);

/** A unit repeated up to the packet budget; lengths around each limit of the protocol come up often. */
const hugeString = fc
  .tuple(
    fc.oneof(oddChar, fc.constantFrom('x', 'ab ', ' ')),
    fc.oneof(fc.constantFrom(31, 32, 33, 63, 64, 65, 255, 256, 257, 3999, 4000, 4001), fc.integer({ min: 1, max: 60_000 })),
  )
  .map(([unit, count]) => unit.repeat(Math.min(count, Math.floor(PAYLOAD_BUDGET / (wireBytes(unit) - 2)))));

export const oddString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: oddChar, maxLength: 24 }),
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.constantFrom(...ODD_STRINGS),
  hugeString,
);

const oddNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -0, 1, -1, 0.5, -1.5, 1e308, -1e308, 5e-324, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e21),
  fc.integer(),
  fc.double(), // NaN and ±Infinity travel as null in JSON
);

export const oddKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'then', 'length', '0', '', 'Text', ' text', 'text\u0000', 'polluted') },
  { weight: 2, arbitrary: fc.constantFrom(...FIELD_NAMES) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
);

/** An object with exactly these own keys, `__proto__` included (an object literal would set the prototype). */
export function ownObject(entries: Array<readonly [string, unknown]>): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of entries) Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  return object;
}

const pollution = fc.constantFrom(
  ownObject([['__proto__', { polluted: true }]]),
  { constructor: { prototype: { polluted: true } } },
  ownObject([['__proto__', ownObject([['__proto__', { polluted: true }]])]]),
  ownObject([['prototype', { polluted: true }], ['constructor', ownObject([['__proto__', { polluted: true }]])]]),
);

/** Objects that throw when code converts them to a primitive, or that look like strings or arrays. */
const coercionTrap = fc.constantFrom(
  { length: { toString: '' } },
  { toString: '', valueOf: '' },
  { length: { valueOf: {} } },
  { length: 1e21 },
  { length: -1 },
  { length: '9' },
  { length: null },
  { 0: 'a', length: 1 },
);

/** `[[[…]]]` or `{"a":{"a":…}}`, up to 2000 levels (the client's own encoder recurses, so not deeper). */
const deep = fc
  .tuple(fc.integer({ min: 2, max: 2000 }), fc.constantFrom('array', 'a', '__proto__', 'text'), fc.oneof(oddNumber, fc.constant('x')))
  .map(([depth, kind, leaf]) => {
    let value: unknown = leaf;
    for (let i = 0; i < depth; i++) value = kind === 'array' ? [value] : ownObject([[kind, value]]);
    return value;
  });

const hugeArray = fc
  .tuple(fc.integer({ min: 100, max: 6000 }), fc.oneof(fc.nat(100), oddNumber, fc.constant(null), fc.constant('x')))
  .map(([length, item]) => Array.from({ length: Math.min(length, Math.floor(PAYLOAD_BUDGET / (wireBytes(item) + 1))) }, () => item));

/** Sent by socket.io-client as a binary attachment; the server sees a Buffer. */
const binary = fc.uint8Array({ maxLength: 32 });

const scalar = fc.oneof(oddString, oddNumber, fc.boolean(), fc.constant(null));

/** Any hostile value: odd scalars, pollution attempts, coercion traps, deep nesting, huge arrays, binary, and mixes of them. */
export const { value: hostileValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    pollution,
    coercionTrap,
    deep,
    hugeArray,
    binary,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.array(fc.tuple(oddKey, tie('value')), { maxLength: 4 }).map(ownObject),
  ),
}));

// ---- near-valid payloads ---------------------------------------------------------------------------

// Each field also draws its boundaries (edges.ts): lengths 0, 1, the maximum and one more, in wide characters too.
const name = fc.oneof(
  fc.constantFrom('witness', 'Witness', 'WITNESS', 'Ｗｉｔｎｅｓｓ', ' witness ', 'fuzzer', 'zoë', 'zoe\u0308', '名前', 'a', 'a.b-c_d', '.', '-'),
  fc.stringMatching(/^[a-z]{1,6}$/),
  fc.constantFrom(...NAME_EDGES),
);
const text = fc.oneof(
  fc.string({ minLength: 1, maxLength: 20 }),
  fc.constantFrom('hi', '  padded  ', '\u202ertl', 'a\u0000b', 'e\u0301', '\u{1f600}', '\u200f\u0301'),
  // The longest texts, of characters that cost up to 6 bytes in JSON.
  fc.tuple(fc.constantFrom('y', 'é', '中', '\u0301', '\u0000', '\u{1f600}'), fc.constantFrom(3999, 4000, 4001)).map(([unit, n]) => unit.repeat(n)),
  fc.constantFrom(...TEXT_EDGES),
);
/** Rooms: mostly the one the fuzzing client is a member of from the start (event-run.ts), by any spelling. */
const room = fc.oneof({ weight: 2, arbitrary: fc.constantFrom('lobby', 'LOBBY', 'ｌｏｂｂｙ', 'Lobby') }, { weight: 1, arbitrary: name });
/** A few fixed ones, so that sends repeat a clientId (an idempotent retry acks the original). */
const clientId = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), fc.constantFrom('dup-1', 'dup-2'), fc.constantFrom(...CLIENT_ID_EDGES));
const messageId = fc.oneof(fc.nat(50), fc.constantFrom(...ID_EDGES));
/**
 * The ids of the messages every event run starts with (event-run.ts): a public one and one in the room, by the
 * fuzzing client, after the room's two entries. Edits, deletions and reports aim at them most of the time.
 */
export const SEEDED_IDS = [3, 4];
const seededId = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...SEEDED_IDS) }, { weight: 1, arbitrary: messageId });
const pageLimit = fc.oneof(fc.integer({ min: 1, max: 120 }), fc.constantFrom(500, 501, 1e6), fc.constantFrom(...LIMIT_EDGES));
const token = fc.oneof(fc.string({ minLength: 1, maxLength: 30 }), fc.constantFrom(...TOKEN_EDGES));
const receipts = fc.oneof(fc.array(messageId, { minLength: 1, maxLength: 20 }), fc.constantFrom(...RECEIPT_EDGES));
/** Codes as people type them (any case, dashes, spaces, look-alike letters), and lengths around the limit. */
const signInCode = fc.oneof(
  fc.stringMatching(/^[0-9A-Za-z]{5}[- ]?[0-9A-Za-z]{5}$/),
  fc.constantFrom('ABCDE-FGHJK', 'abcde fghjk', 'OIL00-11111', 'x'.repeat(32), 'x'.repeat(33)),
);
const sessionId = fc.oneof(fc.stringMatching(/^[0-9a-f]{32}$/), fc.constantFrom('x'.repeat(64), 'x'.repeat(65)));
const displayName = fc.oneof(
  fc.string({ minLength: 1, maxLength: 20 }),
  fc.constantFrom('Alice Smith', '  Zoë   Ångström ', '山田\u3000太郎', 'محمد علي', '\u{1f469}\u200d\u{1f4bb} dev', 'a\u200bb', 'e' + '\u0301'.repeat(7), 'x'.repeat(64), 'x'.repeat(65), '\u202eevil'),
);

/** Each event's fields, with values that are valid (or nearly). */
const FIELDS: Record<ClientEvent, Record<string, fc.Arbitrary<unknown>>> = {
  login: { username: name, id: name, token, code: signInCode },
  sendMsg: { text, newAccount: text, clientId },
  privateMsg: { to: name, text, clientId },
  history: { with: name, room, before: messageId, limit: pageLimit },
  users: { after: name, limit: pageLimit },
  typing: { to: name },
  sync: { after: messageId, limit: pageLimit },
  logout: { release: fc.boolean() },
  received: { ids: receipts },
  signInCode: {},
  sessions: {},
  endSession: { id: sessionId, others: fc.constant(true) },
  profile: { displayName },
  createRoom: { name, private: fc.boolean() },
  joinRoom: { room },
  leaveRoom: { room },
  invite: { room, user: name },
  removeMember: { room, user: name },
  roomMsg: { room, text, clientId },
  rooms: { mine: fc.boolean(), after: name, limit: pageLimit },
  members: { room, after: name, limit: pageLimit },
  read: { upTo: messageId, room, with: name },
  conversations: { before: messageId, limit: pageLimit },
  editMsg: { id: seededId, text },
  deleteMsg: { id: seededId },
  block: { user: name },
  unblock: { user: name },
  report: { id: seededId, reason: text },
};

/** Valid payloads, so that runs also reach the states behind them (a new user, stored messages, retries). */
const VALID: Record<ClientEvent, fc.Arbitrary<unknown>> = {
  login: fc.oneof(
    fc.record({ username: name, token }, { requiredKeys: ['username'] }),
    fc.record({ id: name, token }, { requiredKeys: ['id'] }),
    fc.record({ code: signInCode }),
  ),
  sendMsg: fc.oneof(fc.record({ text, clientId }, { requiredKeys: ['text'] }), fc.record({ newAccount: text, clientId }, { requiredKeys: ['newAccount'] })),
  privateMsg: fc.record({ to: name, text, clientId }, { requiredKeys: ['to', 'text'] }),
  history: fc.oneof(
    fc.record({ with: name, before: messageId, limit: pageLimit }, { requiredKeys: [] }),
    fc.record({ room, before: messageId, limit: pageLimit }, { requiredKeys: ['room'] }),
  ),
  users: fc.record({ after: name, limit: pageLimit }, { requiredKeys: [] }),
  typing: fc.record({ to: name }, { requiredKeys: [] }),
  sync: fc.record({ after: messageId, limit: pageLimit }, { requiredKeys: ['after'] }),
  logout: fc.record({ release: fc.boolean() }, { requiredKeys: [] }),
  received: fc.record({ ids: receipts }),
  signInCode: fc.constant({}),
  sessions: fc.constant({}),
  endSession: fc.oneof(fc.record({ id: sessionId }), fc.constant({ others: true })),
  profile: fc.record({ displayName }),
  createRoom: fc.record({ name, private: fc.boolean() }, { requiredKeys: ['name'] }),
  joinRoom: fc.record({ room }),
  leaveRoom: fc.record({ room }),
  invite: fc.record({ room, user: name }),
  removeMember: fc.record({ room, user: name }),
  roomMsg: fc.record({ room, text, clientId }, { requiredKeys: ['room', 'text'] }),
  rooms: fc.record({ mine: fc.boolean(), after: name, limit: pageLimit }, { requiredKeys: [] }),
  members: fc.record({ room, after: name, limit: pageLimit }, { requiredKeys: ['room'] }),
  read: fc.oneof(fc.record({ upTo: messageId, room }, { requiredKeys: ['upTo'] }), fc.record({ upTo: messageId, with: name }, { requiredKeys: ['upTo'] })),
  conversations: fc.record({ before: messageId, limit: pageLimit }, { requiredKeys: [] }),
  editMsg: fc.record({ id: seededId, text }),
  deleteMsg: fc.record({ id: seededId }),
  block: fc.record({ user: name }),
  unblock: fc.record({ user: name }),
  report: fc.record({ id: seededId, reason: text }, { requiredKeys: ['id'] }),
};

/** Some of the event's fields, each usually valid and sometimes hostile, and sometimes extra keys. */
function nearValid(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  const present = Object.entries(fields).map(([key, valid]) =>
    fc.option(fc.tuple(fc.constant(key), fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: hostileValue })), { nil: undefined, freq: 3 }),
  );
  const extra = fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.tuple(oddKey, hostileValue), { minLength: 1, maxLength: 3 }) });
  return fc
    .tuple(fc.tuple(...present), extra)
    .map(([fieldEntries, extraEntries]) => ownObject([...fieldEntries.filter((entry) => entry !== undefined), ...extraEntries]));
}

/** A valid payload with one key the event does not have (`__proto__`, `constructor`, another event's field…). */
function withForeignKey(event: ClientEvent): fc.Arbitrary<Record<string, unknown>> {
  const foreign = oddKey.filter((key) => !Object.hasOwn(FIELDS[event], key));
  return fc
    .tuple(VALID[event], foreign, hostileValue)
    .map(([valid, key, value]) => ownObject([...Object.entries(valid as Record<string, unknown>), [key, value]]));
}

function payloadFor(event: ClientEvent): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: VALID[event] },
    { weight: 2, arbitrary: withForeignKey(event) },
    { weight: 5, arbitrary: nearValid(FIELDS[event]) },
    { weight: 1, arbitrary: fc.jsonValue() },
    { weight: 1, arbitrary: fc.jsonValue({ stringUnit: 'binary' }) },
    { weight: 1, arbitrary: hostileValue },
  );
}

// ---- whole events ----------------------------------------------------------------------------------

/** One `emit`: the event name, the arguments after it, and whether an ack callback goes last. */
export interface Command {
  event: string;
  args: unknown[];
  ack: boolean;
}

const notAFunction = fc.oneof(oddString, oddNumber, fc.constant(null), fc.constant({}), fc.boolean());

/** Every argument shape: one payload, none, several, or a last argument that is not a function. */
export function commandFor(event: fc.Arbitrary<string>, payload: fc.Arbitrary<unknown>): fc.Arbitrary<Command> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ event, args: payload.map((p) => [p]), ack: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ event, args: fc.constant<unknown[]>([]), ack: fc.boolean() }) },
    {
      weight: 1,
      arbitrary: fc.record({ event, args: fc.tuple(payload, fc.array(hostileValue, { minLength: 1, maxLength: 3 })).map(([p, rest]) => [p, ...rest]), ack: fc.boolean() }),
    },
    { weight: 1, arbitrary: fc.record({ event, args: fc.tuple(payload, notAFunction).map(([p, last]) => [p, last]), ack: fc.constant(false) }) },
  );
}

const unknownEvent: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...UNKNOWN_EVENTS),
  fc.string({ unit: 'binary', maxLength: 16 }).filter((e) => !RESERVED_EVENTS.includes(e) && !(CLIENT_EVENTS as string[]).includes(e)),
);

/** Commands whose packet fits the server's limit (a bigger one closes the connection: frames.test.ts). */
export const withinPacketLimit = (c: Command): boolean => wireBytes([c.event, ...c.args]) <= MAX_PACKET_BYTES - 100;

/** Any event a socket.io-client can emit, within the server's packet limit. */
export const command: fc.Arbitrary<Command> = fc
  .oneof(
    ...CLIENT_EVENTS.map((event) => ({ weight: 2, arbitrary: commandFor(fc.constant(event), payloadFor(event)) })),
    { weight: 2, arbitrary: commandFor(unknownEvent, hostileValue) },
  )
  .filter(withinPacketLimit);
