/**
 * fast-check arbitraries for raw WebSocket frames (see raw-socket.ts for the wire format): random text and
 * bytes, and near-valid Socket.IO packets with a wrong part (Engine.IO or Socket.IO type, attachment count,
 * namespace, ack id, JSON), binary events with wrong attachments, and frames over the packet limit. Also the
 * reference reading of frames, with Socket.IO's own parser, that tells which frames could carry a message.
 */
import fc from 'fast-check';
import { Decoder, PacketType, type Packet } from 'socket.io-parser';
import { MAX_PACKET_BYTES } from '../../src/protocol';
import { command, oddString, RESERVED_EVENTS } from './payloads';
import type { WireFrame } from './raw-socket';

const text = (data: string): WireFrame => ({ data, binary: false });

/** Event JSON that socket.io-client could have sent, from the event suite's arbitraries. */
const eventJson = command.map((c) => JSON.stringify([c.event, ...c.args]));

/** Number and string literals JSON.parse reads oddly (1e400 is Infinity, -0 stays -0) or refuses. */
const literal = fc.constantFrom(
  '-0', '1e400', '-1e400', '1e-400', '1E308', '0.0', '1.0', '00', '-', '1e', '0x10', '9'.repeat(400), '2.5e-3',
  '"\\ud800"', '"\\u0000"', '"\\x41"', '"\\uZZZZ"', '"abc', 'true', 'null', '{}', '[]', '""',
  '{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"polluted":true}}}',
);
const TEMPLATES = [
  '["sync",{"after":#}]', '["history",{"before":#,"limit":#}]', '["received",{"ids":[#,#]}]', '["logout",{"release":#}]',
  '["sendMsg",{"text":#}]', '["sendMsg",{"text":"hi","clientId":#}]', '["privateMsg",{"to":#,"text":"hi"}]',
  '["login",{"username":#}]', '["typing",#]', '[#,{}]', '["users",#,#]',
];
const templated = fc
  .tuple(fc.constantFrom(...TEMPLATES), fc.array(literal, { minLength: 2, maxLength: 2 }))
  .map(([template, [a, b]]) => template.replace('#', a).replace('#', b));

/** Up to 30,000 levels of nesting: JSON.parse takes it, anything recursive on the server would not. */
const deepJson = fc
  .tuple(fc.integer({ min: 2, max: 30_000 }), fc.constantFrom('[', '{"a":', '{"__proto__":'), fc.constantFrom('sendMsg', 'users', 'history'))
  .map(([depth, open, event]) => {
    const levels = Math.min(depth, Math.floor((MAX_PACKET_BYTES - 100) / (open.length + 1)));
    const close = open === '[' ? ']' : '}';
    return `["${event}",${open.repeat(levels)}${open === '[' ? '' : '1'}${close.repeat(levels)}]`;
  });

const placeholder = (num: unknown) => `{"_placeholder":true,"num":${JSON.stringify(num)}}`;
const placeholderJson = fc
  .tuple(fc.constantFrom(0, 1, 2, 9, 10, -1, 1.5, '0', 1e21, null), fc.constantFrom('text', 'event', 'arg', 'ids'))
  .map(([num, where]) => {
    const p = placeholder(num);
    if (where === 'text') return `["sendMsg",{"text":${p}}]`;
    if (where === 'event') return `[${p},{}]`;
    if (where === 'ids') return `["received",{"ids":[${p}]}]`;
    return `["users",{},${p}]`;
  });

const breakJson = (json: string, cut: number, garbage: string) =>
  garbage === '' ? json.slice(0, Math.max(0, json.length - 1 - (cut % json.length))) : json + garbage;

/** The JSON part of a packet: mostly a plausible event, sometimes broken, odd, deep or not an array. */
const packetJson = fc.oneof(
  { weight: 16, arbitrary: eventJson },
  { weight: 2, arbitrary: templated },
  { weight: 1, arbitrary: deepJson },
  { weight: 1, arbitrary: placeholderJson },
  { weight: 2, arbitrary: fc.tuple(eventJson, fc.nat(), fc.constantFrom('', 'x', ']', '}', ',', '"', '\u0000')).map(([j, cut, g]) => breakJson(j, cut, g)) },
  { weight: 1, arbitrary: fc.constantFrom('', '{}', '"str"', '1', 'null', '[]', '[null]', '[[]]', '[{}]', '[1,{}]', '[-1]', '[1e308]', ...RESERVED_EVENTS.map((e) => `["${e}",{}]`)) },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
);

/**
 * `4` + Socket.IO type + attachments + namespace + ack id + JSON. Each part is usually right, so that most
 * frames reach the event handlers and a batch goes on after them: a wrong part usually ends the connection.
 */
const packet = fc
  .record({
    eio: fc.oneof({ weight: 40, arbitrary: fc.constant('4') }, { weight: 1, arbitrary: fc.constantFrom('0', '1', '2', '3', '5', '6', '7', '9', 'b', '', ' ', 'x') }),
    type: fc.oneof({ weight: 30, arbitrary: fc.constant('2') }, { weight: 2, arbitrary: fc.constant('3') }, { weight: 2, arbitrary: fc.constantFrom('0', '1', '4', '5', '6', '7', '9', ' ', '-', 'a', '') }),
    attachments: fc.oneof({ weight: 30, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('1-', '2-', '0-', '10-', '11-', '-1-', '1.5-', '1e1-', '9'.repeat(25) + '-', '1') }),
    nsp: fc.oneof({ weight: 30, arbitrary: fc.constant('') }, { weight: 2, arbitrary: fc.constant('/,') }, { weight: 1, arbitrary: fc.constantFrom('/', '/nope,', '/admin,', '/socket.io,', '//,', '/\u0000,', `/${'x'.repeat(1000)},`) }),
    ackId: fc.oneof({ weight: 6, arbitrary: fc.constant('') }, { weight: 4, arbitrary: fc.nat().map(String) }, { weight: 1, arbitrary: fc.constantFrom('0', '-1', '1.5', '1e5', ' ', '\t', '9'.repeat(30), '9'.repeat(400), '00001') }),
    json: packetJson,
  })
  .map((p) => p.eio + p.type + p.attachments + p.nsp + p.ackId + p.json);

const bytes = fc.uint8Array({ maxLength: 64 });

/** A binary event whose attachments may be too few, too many, or never announced. */
const binaryEvent = fc
  .tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.constantFrom('text', 'arg', 'extra'), fc.option(fc.nat(), { nil: undefined }))
  .map(([announced, sent, where, ackId]) => {
    const holes = Array.from({ length: Math.max(announced, 1) }, (_, i) => placeholder(i));
    const json =
      where === 'text'
        ? `["sendMsg",{"text":${holes.map((h, i) => (i === 0 ? `${h}}` : h)).join(',')}]`
        : `["${where === 'arg' ? 'users' : 'sendMsg'}",${where === 'arg' ? '{}' : '{"text":"with attachments"}'},${holes.join(',')}]`;
    const frames: WireFrame[] = [text(`45${announced}-${ackId ?? ''}${json}`)];
    for (let i = 0; i < sent; i++) frames.push({ data: new Uint8Array([i, 0xff, 0]), binary: true });
    return frames;
  });

/** Text and binary frames just over (or exactly at) the limit of what the server reads. */
const nearLimit = fc
  .tuple(fc.oneof(fc.constantFrom(0, 1), fc.integer({ min: 1, max: 2 * MAX_PACKET_BYTES })), fc.boolean())
  .map(([over, binary]): WireFrame => {
    const size = MAX_PACKET_BYTES + over;
    if (binary) return { data: new Uint8Array(size), binary: true };
    const head = '42["sendMsg",{"text":"';
    const tail = '"}]';
    return text(head + 'x'.repeat(size - head.length - tail.length) + tail);
  });

/** One frame or a few that belong together (a binary event and its attachments). */
const frameGroup: fc.Arbitrary<WireFrame[]> = fc.oneof(
  { weight: 30, arbitrary: packet.map((p) => [text(p)]) },
  { weight: 2, arbitrary: binaryEvent },
  { weight: 2, arbitrary: fc.oneof(oddString, fc.string({ unit: 'binary', maxLength: 64 }).map((s) => `42${s}`)).map((s) => [text(s)]) },
  { weight: 1, arbitrary: bytes.map((data) => [{ data, binary: true }]) },
  // Bytes that are not UTF-8, in a text frame.
  { weight: 1, arbitrary: bytes.map((data) => [{ data: Uint8Array.from([0x34, 0x32, 0xff, ...data]), binary: false }]) },
  // Engine.IO's base64 form of a binary message, and bare Engine.IO packets.
  { weight: 1, arbitrary: fc.oneof(bytes.map((b) => `b${Buffer.from(b).toString('base64')}`), fc.constantFrom('0', '1', '2', '3', '5', '6', '2probe', '3probe', 'b!!!')).map((s) => [text(s)]) },
  { weight: 1, arbitrary: nearLimit.map((f) => [f]) },
);

/** Socket.IO's parser takes a number for an event name, which no client library sends. */
const numberNamedJson = fc
  .tuple(fc.constantFrom('0', '1', '-1', '-0', '1.5', '1e308', '1e400', '9007199254740993'), fc.jsonValue())
  .map(([name, payload]) => `[${name},${JSON.stringify(payload)}]`);

/** An event with its framing right (the default namespace, perhaps an ack id), whatever its JSON says. */
const wellFramed = fc
  .tuple(
    fc.option(fc.nat().map(String), { nil: '' }),
    fc.oneof({ weight: 8, arbitrary: eventJson }, { weight: 2, arbitrary: templated }, { weight: 1, arbitrary: numberNamedJson }, { weight: 1, arbitrary: deepJson }),
  )
  .map(([ackId, json]) => [text(`42${ackId}${json}`)]);

/**
 * A batch of frames: mostly well framed events, so that a batch usually goes on for a while (any wrong part
 * of a packet ends the connection), mixed with any other frame groups.
 */
export const frames = (opts: { minLength?: number; maxLength: number }) =>
  fc.array(fc.oneof({ weight: 4, arbitrary: wellFramed }, { weight: 1, arbitrary: frameGroup }), opts).map((groups) => groups.flat());

/**
 * The Socket.IO packets the server's parser reads from `frames`, in order. Reads on where the server would
 * close the connection (an Engine.IO or Socket.IO error, a frame over the limit, bytes that are not UTF-8),
 * so it finds at least every packet the server handled.
 */
export function packetsIn(frames: readonly WireFrame[]): Packet[] {
  const packets: Packet[] = [];
  const fresh = () => {
    const decoder = new Decoder();
    decoder.on('decoded', (p: Packet) => packets.push(p));
    return decoder;
  };
  let decoder = fresh();
  for (const frame of frames) {
    const message = engineMessage(frame);
    if (message === undefined) continue;
    try {
      decoder.add(message);
    } catch {
      decoder.destroy();
      decoder = fresh();
    }
  }
  decoder.destroy();
  return packets;
}

/** The payload of an Engine.IO message frame (binary, `4…`, or `b` + base64), as the server's engine reads it. */
function engineMessage(frame: WireFrame): string | Buffer | undefined {
  if (frame.binary) return Buffer.from(frame.data);
  // What goes over the wire is UTF-8: lone surrogates arrive as U+FFFD.
  const data = Buffer.from(frame.data).toString('utf8');
  if (data.startsWith('4')) return data.slice(1);
  if (data.startsWith('b')) return Buffer.from(data.slice(1), 'base64');
  return undefined;
}

/** Events on the default namespace among `packets`: `[name, ...args]`. */
export function eventsIn(packets: readonly Packet[]): unknown[][] {
  return packets
    .filter((p) => (p.type === PacketType.EVENT || p.type === PacketType.BINARY_EVENT) && p.nsp === '/' && Array.isArray(p.data))
    .map((p) => p.data as unknown[]);
}
