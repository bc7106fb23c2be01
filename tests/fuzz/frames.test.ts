/**
 * Property-based fuzzing of raw Socket.IO frames with fast-check (issue 11): a bare WebSocket
 * (raw-socket.ts) does the Engine.IO open and the Socket.IO connect itself (anonymously or with a handshake
 * login), and sends arbitrary text and binary frames (frames.ts): random ones, near-valid packets with one
 * wrong part, binary events with wrong attachments, frames over the 64 kB limit, frames before the connect.
 * After every batch:
 * - a frame over MAX_PACKET_BYTES closed its connection;
 * - every message the store committed was sent by an event that Socket.IO's own parser reads from a frame of
 *   the batch (a malformed frame stores nothing);
 * - a separate, normal client (the checker) got no `allmessage`, `privateMsg` or `typing` that the stored
 *   messages and the batch's events do not account for (a malformed frame broadcasts nothing), and got every
 *   stored public message;
 * - what the server sent back decodes, and its acks and errors have the documented shape, never
 *   `internal_error`;
 * - no exception escaped, the server logged nothing at warn or above, no built-in prototype changed;
 * - the same client still logs in and chats, on its connection if the batch left it open, else on a new one;
 *   and so does the checker.
 *
 * `npm test` makes RUNS runs; `FUZZ_RUNS=20000 npx jest tests/fuzz` runs longer. A failure prints the shrunk
 * counterexample, its seed, and the command that replays it (FUZZ_SEED, FUZZ_PATH).
 */
import fc from 'fast-check';
import { PacketType, type Packet } from 'socket.io-parser';
import { testConfig } from '../../src/config';
import { MAX_PACKET_BYTES } from '../../src/protocol';
import { openSqliteStore } from '../../src/store';
import type { Committed } from '../../src/store/store';
import { ack, flush, next, onceApp, record, startServer, within, type Client, type TestServer } from '../helpers';
import { ackProblem, broadcastProblems, errorProblem, unexplained, type Received } from './checks';
import { eventsIn, frames, packetsIn } from './frames';
import { ProcessGuard } from './guard';
import { frameBytes, RawSocket, type WireFrame } from './raw-socket';
import { fuzzParameters, fuzzTimeout } from './settings';

const RUNS = 200;
const FILE = 'tests/fuzz/frames.test.ts';
/** The ack id of the last event of a batch, whose answer shows that the server read everything before it. */
const SENTINEL_ID = 7_777_777;
/** The name the raw client logs in with after its batch; the frame arbitraries never produce it. */
const AGAIN_NAME = 'raw-again';

const guard = new ProcessGuard();
beforeAll(() => guard.start());
afterAll(() => guard.stop());

const batch = fc.record({
  /** Frames sent before the Socket.IO connect (most batches have none: they usually end the connection). */
  before: fc.oneof({ weight: 9, arbitrary: fc.constant<WireFrame[]>([]) }, { weight: 1, arbitrary: frames({ minLength: 1, maxLength: 2 }) }),
  /** The connect: anonymous, or a handshake login (so that valid messages can be stored). */
  login: fc.boolean(),
  after: frames({ minLength: 1, maxLength: 8 }),
});

test(
  'any frames: oversized ones close the connection, malformed ones store nothing, answers keep their shape, others still chat',
  async () => {
    await fc.assert(
      fc.asyncProperty(batch, async ({ before, login, after }) => {
        // A server per run: a run (and its shrinking, and its replay) does not depend on what earlier runs stored.
        await guard.check(async () => {
          const stage = await Stage.open();
          try {
            await fuzzRun(stage, before, login, after);
          } finally {
            await stage.server.close();
          }
        });
      }),
      fuzzParameters(RUNS, FILE),
    );
  },
  fuzzTimeout(RUNS, 40),
);

/** One run's server, with what its store committed, the sockets it has finished with, and a normal client. */
class Stage {
  /** What the checker received on the broadcasting events. */
  readonly seen: Received;

  private constructor(
    readonly server: TestServer,
    readonly commits: Committed[],
    /** Sockets whose work (queued events, disconnect bookkeeping) is all done. */
    readonly finished: Set<string>,
    readonly checker: Client,
  ) {
    this.seen = {
      allmessage: record(checker, 'allmessage'),
      privateMsg: record(checker, 'privateMsg'),
      typing: record(checker, 'typing'),
      roomMsg: record(checker, 'roomMsg'),
      roomMember: record(checker, 'roomMember'),
      messageEdited: record(checker, 'messageEdited'),
      messageDeleted: record(checker, 'messageDeleted'),
    };
  }

  static async open(): Promise<Stage> {
    const store = openSqliteStore(testConfig().storage);
    const commits: Committed[] = [];
    store.onCommitted((committed) => commits.push(committed));
    const server = await startServer({}, { store, log: guard.log });
    const finished = new Set<string>();
    server.app.events.on('socketClosed', (id) => finished.add(id));
    const checker = (await server.login('checker')).client;
    return new Stage(server, commits, finished, checker);
  }
}

async function fuzzRun({ server, commits, finished, checker, seen }: Stage, before: WireFrame[], login: boolean, after: WireFrame[]): Promise<void> {
  const problems: string[] = [];
  const raw = await RawSocket.open(server.url);
  const sent: WireFrame[] = [];
  let oversized = false;
  const sendAll = (list: WireFrame[]) => {
    for (const frame of list) {
      if (!raw.send(frame)) return;
      sent.push(frame);
      oversized ||= frameBytes(frame) > MAX_PACKET_BYTES;
    }
  };

  try {
    sendAll(before);
    const connected = raw.isOpen && (await connect(raw, login ? 'raw' : undefined));
    sendAll(after);
    let answering = false;
    if (oversized) {
      await within(raw.closed, 'the server closing a connection that sent a frame over the limit').catch((err: Error) => problems.push(err.message));
    } else if (connected && raw.isOpen) {
      answering = (await call(raw, SENTINEL_ID, 'users', {})) !== undefined;
    }
    // Every event of the batch has been handled: the sentinel's answer came after them, or, once the
    // connection is closed, the server has finished with every socket it opened. Then the checker has what
    // they made it receive.
    if (!answering) {
      await raw.close();
      for (const id of socketIds(raw.received)) if (!finished.has(id)) await onceApp(server, 'socketClosed', (closed) => closed === id);
    }
    await flush(checker);

    const events = eventsIn(packetsIn(sent));
    const senders = events.map(([event, payload]) => ({ event, payload }));
    for (const stray of unexplained(commits, senders)) problems.push(`stored entry ${stray.id}, which no frame carried`);
    problems.push(...broadcastProblems('checker', seen, commits, events.filter(([event]) => event === 'typing').length));
    problems.push(...answerProblems(raw.received));
    // The same client chats again: on this connection if it still answers, else on a new one.
    if (problems.length === 0) await chatAgain(server, answering ? raw : undefined, checker).catch((err: Error) => problems.push(err.message));
  } finally {
    await raw.close();
  }
  if (problems.length === 0) await chat(checker).catch((err: Error) => problems.push(err.message));
  if (problems.length > 0) throw new Error(problems.join('\n'));
}

/**
 * Emits `event` with an ack id on `raw` and resolves with its answer (the ack's first argument), or with
 * undefined if the connection closes first.
 */
async function call(raw: RawSocket, id: number, event: string, payload: object): Promise<{ ok: boolean; token?: string; error?: { code: string } } | undefined> {
  const from = raw.received.length;
  raw.send({ data: `42${id}${JSON.stringify([event, payload])}`, binary: false });
  const reply = await raw.next((f) => typeof f.data === 'string' && f.data.startsWith(`43${id}[`), from);
  return reply === undefined ? undefined : (JSON.parse(String(reply.data).slice(`43${id}`.length)) as [{ ok: boolean }])[0];
}

/** The raw client logs in as AGAIN_NAME and sends a message, which reaches the checker. */
async function chatAgain(server: TestServer, open: RawSocket | undefined, checker: Client): Promise<void> {
  const raw = open ?? (await RawSocket.open(server.url));
  try {
    if (!open && !(await connect(raw, undefined))) throw new Error('the client cannot connect again');
    // A logout only when the batch left it logged in: on a connection never logged in, it would wait for a login.
    let login = await call(raw, SENTINEL_ID + 1, 'login', { username: AGAIN_NAME });
    if (login?.error?.code === 'already_logged_in') {
      await call(raw, SENTINEL_ID + 2, 'logout', {});
      login = await call(raw, SENTINEL_ID + 4, 'login', { username: AGAIN_NAME });
    }
    if (!login?.ok) throw new Error(`the client cannot log in again: ${login?.error?.code ?? 'connection closed'}`);
    // Events of the batch that needed a login waited for this one and ran right after it (a `logout` among
    // them logs the client out again: issue 9's order). Once they are done, log in once more with the token.
    await call(raw, SENTINEL_ID + 5, 'users', {});
    const again = await call(raw, SENTINEL_ID + 6, 'login', { username: AGAIN_NAME, token: login.token });
    if (!again?.ok) throw new Error(`the client cannot log in again: ${again?.error?.code ?? 'connection closed'}`);
    const text = 'the raw client, after the batch';
    const arrives = next(checker, 'allmessage', (m) => m.text === text);
    const sent = await call(raw, SENTINEL_ID + 3, 'sendMsg', { text });
    if (!sent?.ok) throw new Error(`the client cannot chat any more: ${sent?.error?.code ?? 'connection closed'}`);
    await arrives;
  } finally {
    if (!open) await raw.close();
  }
}

/** Sends the Socket.IO connect; resolves true once the server accepted it (false if refused or closed). */
async function connect(raw: RawSocket, name: string | undefined): Promise<boolean> {
  const from = raw.received.length;
  raw.send({ data: name === undefined ? '40' : `40${JSON.stringify({ username: name })}`, binary: false });
  const reply = await raw.next((f) => typeof f.data === 'string' && /^4[04]/.test(f.data), from);
  return typeof reply?.data === 'string' && reply.data.startsWith('40');
}

/** The ids of the sockets the server opened on this connection (from its `40{"sid":…}` replies). */
function socketIds(received: readonly WireFrame[]): string[] {
  return packetsIn(received)
    .filter((p) => p.type === PacketType.CONNECT && p.nsp === '/')
    .map((p) => (p.data as { sid: string }).sid);
}

/** What is wrong with what the server sent: frames that do not decode, acks and errors of the wrong shape. */
function answerProblems(received: readonly WireFrame[]): string[] {
  const problems: string[] = [];
  for (const frame of received) {
    const data = String(frame.data);
    if (frame.binary || !/^[0-6]/.test(data)) {
      problems.push(`the server sent a frame that is not an Engine.IO packet: ${data.slice(0, 200)}`);
      continue;
    }
    if (!data.startsWith('4')) continue;
    const [p] = packetsIn([frame]);
    const problem = p === undefined ? undecodable(data) : packetProblem(p);
    if (problem) problems.push(`answer ${data.slice(0, 300)}: ${problem}`);
  }
  return problems;
}

function packetProblem(p: Packet): string | undefined {
  if (p.type === PacketType.ACK) return ackProblem(p.data as unknown[]);
  const refusal = p.type === PacketType.CONNECT_ERROR ? (p.data as { data?: unknown }).data : undefined;
  if (refusal !== undefined) return errorProblem(refusal);
  if (p.type === PacketType.EVENT && isErrorNotice(p.data)) return errorProblem({ code: p.data[1].code, message: p.data[1].text });
  return undefined;
}

/**
 * Why a frame the server sent does not decode. One reason is the client's own doing: Socket.IO writes an ack
 * id with String(), so an absurd id a client chose (10^30, or 400 digits) comes back as `431e+30[…]` or
 * `43Infinity[…]`; the ack itself is still checked.
 */
function undecodable(data: string): string | undefined {
  const absurd = /^43(\d+(?:\.\d+)?e\+\d+|Infinity)(\[[\s\S]*)$/.exec(data);
  if (absurd && !Number.isSafeInteger(Number(absurd[1]))) {
    try {
      return ackProblem(JSON.parse(absurd[2]) as unknown[]);
    } catch {
      // not even the ack's JSON reads: reported below
    }
  }
  return 'the server sent a Socket.IO packet that does not decode';
}

function isErrorNotice(data: unknown): data is [string, { code: unknown; text: unknown }] {
  return Array.isArray(data) && data[0] === 'msg1' && (data[1] as { type?: unknown })?.type === 'error';
}

/** A separate, normal client sends a message and receives it back as `allmessage`. */
async function chat(checker: Client): Promise<void> {
  const text = 'after the batch';
  const arrives = next(checker, 'allmessage', (m) => m.text === text);
  const sent = await ack(checker, 'sendMsg', { text });
  if (!sent.ok) throw new Error(`the checker cannot chat any more: ${sent.error.code}`);
  await arrives;
}
