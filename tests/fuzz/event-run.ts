/**
 * One run of the event fuzz suites (issue 11): a fresh server, a fuzzing client logged in as CHECK_NAME and a
 * witness, a few commands from the fuzzing client, then the checks every suite shares:
 * - each event with an ack got exactly one answer, `{ ok: true, … }` or `{ ok: false, error: { code,
 *   message } }` with a documented code, never `internal_error`; each one without an ack got at most one
 *   `msg1` error notice;
 * - a payload is refused for its shape exactly when the documented rules (the mode's `refusals`) refuse it,
 *   with a code its problems map to; unknown events are answered `unknown_event` (when they ask for an ack);
 * - the store holds no message, and the witness got no `allmessage`, `privateMsg` or `typing`, that only a
 *   refused event could have caused; a refused login created no user;
 * - the same client still logs in and chats (after the wait a rate limit named, if one refused it): its
 *   message reaches the witness.
 * The process checks (no exception escaped, nothing logged at warn or above, no prototype changed) are the
 * ProcessGuard's, around each run. What differs between suites (how users log in, the server's settings,
 * the shape rules, checks of their own) is the Mode.
 */
import { PacketType } from 'socket.io-parser';
import { testConfig, type Config } from '../../src/config';
import type { ClientEvent, Notice } from '../../src/protocol';
import { openSqliteStore } from '../../src/store';
import type { ChatStore, Committed, NewUser, UserRecord } from '../../src/store/store';
import { ack, flush, next, record, roundTrip as queueRoundTrip, startServer, within, type Client, type TestServer } from '../helpers';
import { waitOut } from '../limited-server';
import { ackProblem, broadcastProblems, errorProblem, unexplained, type Received } from './checks';
import type { ProcessGuard } from './guard';
import { VALIDATION_CODES } from './model';
import { CLIENT_EVENTS, SEEDED_IDS, type Command } from './payloads';
import { nameKey } from '../../src/names';

/** The fuzzing client's own name; the payload arbitraries never produce it. */
export const CHECK_NAME = 'round-trip';
/** The room the witness owns and the fuzzing client is a member of when a run starts. */
const LOBBY = 'lobby';

export interface Mode {
  /** Settings on top of testConfig (JWT mode, rate limits on). */
  config?: Partial<Config>;
  /** The `login` payload that logs a client in as `name` in this mode (`token`: what its first login gave). */
  loginPayload(name: string, token?: string): Promise<object>;
  /** The codes the documented rules refuse `input` (after JSON) for `event` with; empty when they accept it. */
  refusals(event: ClientEvent, input: unknown): ReadonlySet<string>;
  /**
   * Whether `command`, refused, may still have created a user: in JWT mode a good token's user is recorded
   * before the login is refused for another reason (already logged in as someone else), the host having
   * vouched for it. Unset: a refused login never creates one.
   */
  mayCreateUser?(command: Command): boolean;
  /** A problem with how the server answered `command` (accepted or not), beyond the shared checks. */
  outcomeProblem?(command: Command, accepted: boolean, code: string | undefined): string | undefined;
}

/** What one run saw, for a suite's own totals (how often a rate limit answered, say). */
export interface RunReport {
  codes: Array<string | undefined>;
}

/** Runs `commands` on a fresh server in `mode`; throws with every problem found. */
export async function fuzzRun(guard: ProcessGuard, mode: Mode, loggedIn: boolean, commands: Command[]): Promise<RunReport> {
  const stage = await Stage.open(guard, mode);
  try {
    return await run(stage, loggedIn, commands);
  } finally {
    await stage.server.close();
  }
}

class Stage {
  /** Acks the fuzzing client asked for, and the ids of the ack packets that came. */
  asked = 0;
  readonly ackIds: number[] = [];
  readonly errorNotices: Notice[] = [];
  readonly seen: Received;

  private constructor(
    readonly mode: Mode,
    readonly server: TestServer,
    readonly fuzzer: Client,
    /** The token the fuzzing client's login gave, if the mode gives one. */
    readonly token: string | undefined,
    readonly witness: Client,
    /** What the store committed during the run, and which users it created. */
    readonly commits: Committed[],
    readonly createdUsers: UserRecord[],
  ) {
    this.seen = {
      allmessage: record(witness, 'allmessage'),
      privateMsg: record(witness, 'privateMsg'),
      typing: record(witness, 'typing'),
      roomMsg: record(witness, 'roomMsg'),
      roomMember: record(witness, 'roomMember'),
      messageEdited: record(witness, 'messageEdited'),
      messageDeleted: record(witness, 'messageDeleted'),
    };
    fuzzer.io.on('packet', (packet) => {
      if (packet.type === PacketType.ACK || packet.type === PacketType.BINARY_ACK) this.ackIds.push(packet.id!);
    });
    fuzzer.on('msg1', (notice) => {
      if (notice.type === 'error') this.errorNotices.push(notice);
    });
  }

  static async open(guard: ProcessGuard, mode: Mode): Promise<Stage> {
    const commits: Committed[] = [];
    const createdUsers: UserRecord[] = [];
    const store = recordingUsers(openSqliteStore(testConfig().storage), createdUsers);
    store.onCommitted((committed) => commits.push(committed));
    const server = await startServer(mode.config ?? {}, { store, log: guard.log });
    const logIn = async (name: string) => {
      const client = await server.connect();
      const res = await ack(client, 'login', await mode.loginPayload(name));
      if (!res.ok) throw new Error(`${name} could not log in: ${res.error.code}`);
      return { client, token: res.token };
    };
    const witness = await logIn('witness');
    const fuzzer = await logIn(CHECK_NAME);
    // A room both are members of, so that room messages of the run are stored and reach the witness.
    const lobby = await ack(witness.client, 'createRoom', { name: LOBBY });
    const invited = await ack(witness.client, 'invite', { room: LOBBY, user: CHECK_NAME });
    if (!lobby.ok || !invited.ok) throw new Error('the witness could not set up its room');
    // Messages of the fuzzing client's own, public and in the room, with the ids the payloads aim edits at
    // (payloads.ts, SEEDED_IDS); written to the store directly, so that no rate limit of the run is used up.
    const sender = (await store.findUser(nameKey(CHECK_NAME)))!;
    const room = (await store.findRoom(nameKey(LOBBY)))!;
    const seeded = [
      await store.appendPublic({ sender, text: 'seed', ts: 1 }),
      await store.appendRoom({ sender, room, text: 'seed', ts: 1 }),
    ];
    if (seeded.map((s) => ('message' in s ? s.message.id : 0)).join() !== SEEDED_IDS.join()) throw new Error('the seeded ids moved');
    await flush(witness.client); // what the seeds sent the witness has arrived before the run records
    createdUsers.length = 0; // these two are not the run's doing
    commits.length = 0; // nor is the room, nor are the seeds
    return new Stage(mode, server, fuzzer.client, fuzzer.token, witness.client, commits, createdUsers);
  }
}

interface Outcome {
  command: Command;
  /** Not refused: answered `ok: true`, or (without an ack) no error notice. Unknown events count as accepted. */
  accepted: boolean;
  code?: string;
  problem?: string;
}

async function run(stage: Stage, loggedIn: boolean, commands: Command[]): Promise<RunReport> {
  const { fuzzer, witness, commits, createdUsers, seen } = stage;
  if (!loggedIn) await ack(fuzzer, 'logout', {});
  stage.ackIds.length = 0; // counted from the run's first event on
  const socketId = fuzzer.id;

  const outcomes: Outcome[] = [];
  for (const c of commands) outcomes.push(await send(stage, c));
  await sentinel(stage); // a second answer to any ack above would have arrived by now
  await flush(witness);

  const problems = outcomes.filter((o) => o.problem).map((o) => `${o.command.event}: ${o.problem}`);
  if (stage.ackIds.length !== stage.asked) problems.push(`${stage.asked} events asked for an ack, ${stage.ackIds.length} acks came`);
  if (new Set(stage.ackIds).size !== stage.ackIds.length) problems.push(`an ack id was answered twice: ${stage.ackIds.join(', ')}`);
  const noticed = outcomes.filter((o) => !o.command.ack && !o.accepted).length;
  if (stage.errorNotices.length !== noticed) problems.push(`${stage.errorNotices.length} error notices came, for ${noticed} events refused without an ack`);

  const accepted = outcomes.filter((o) => o.accepted);
  for (const stray of unexplained(commits, accepted.map((o) => ({ event: o.command.event, payload: o.command.args[0] })))) {
    problems.push(`stored entry ${stray.id} that no accepted event sent`);
  }
  problems.push(...broadcastProblems('witness', seen, commits, accepted.filter((o) => o.command.event === 'typing').length, LOBBY));
  const creators = outcomes.filter((o) => o.command.event === 'login' && (o.accepted || stage.mode.mayCreateUser?.(o.command)));
  if (createdUsers.length > creators.length) problems.push('a refused login created a user');
  if (!fuzzer.connected || fuzzer.id !== socketId) problems.push('the fuzzing client was disconnected');
  if (problems.length === 0) await roundTrip(stage).catch((err: Error) => problems.push(err.message));
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return { codes: outcomes.map((o) => o.code) };
}

/** Emits one command and reads what came back: its ack, or the msg1 error notices it caused. */
async function send(stage: Stage, c: Command): Promise<Outcome> {
  const emit = stage.fuzzer.emit.bind(stage.fuzzer) as (event: string, ...args: unknown[]) => void;
  if (c.ack) {
    stage.asked++;
    const args = await within(new Promise<unknown[]>((resolve) => emit(c.event, ...c.args, (...a: unknown[]) => resolve(a))), `the ack of "${c.event}"`);
    const answer = args[0] as { ok?: boolean; error?: { code?: string; retryAfterMs?: number } } | undefined;
    const code = answer?.ok === true ? undefined : answer?.error?.code;
    return judged(stage, c, answer?.ok === true, code, ackProblem(args) ?? waitProblem(code, answer?.error?.retryAfterMs));
  }
  const from = stage.errorNotices.length;
  emit(c.event, ...c.args);
  await sentinel(stage);
  const notices = stage.errorNotices.slice(from);
  if (notices.length > 1) return { command: c, accepted: false, problem: `${notices.length} error notices for one event` };
  const [notice] = notices;
  if (notice !== undefined && !isKnown(c.event)) return { command: c, accepted: false, problem: 'an unknown event without an ack was answered' };
  const shape = notice === undefined ? undefined : (errorProblem({ code: notice.code, message: notice.text, retryAfterMs: notice.retryAfterMs }) ?? waitProblem(notice.code, notice.retryAfterMs));
  return judged(stage, c, notice === undefined, notice?.code, shape);
}

function judged(stage: Stage, c: Command, accepted: boolean, code: string | undefined, shape: string | undefined): Outcome {
  const problem = shape ?? codeProblem(stage.mode, c, code) ?? stage.mode.outcomeProblem?.(c, accepted, code);
  return { command: c, accepted, code, problem };
}

/** A `rate_limited` refusal must say how long to wait, in an ack and in a notice alike. */
const waitProblem = (code: string | undefined, retryAfterMs: number | undefined) =>
  code === 'rate_limited' && !(typeof retryAfterMs === 'number' && retryAfterMs > 0) ? 'rate_limited without a retryAfterMs' : undefined;

const isKnown = (event: string): event is ClientEvent => (CLIENT_EVENTS as string[]).includes(event);

/**
 * What is wrong with refusing `c` with `code` (undefined: it was not refused): unknown events get
 * `unknown_event` when they ask for an ack; known ones are refused for their shape exactly when the
 * documented rules refuse the payload, with one of the codes its problems map to.
 */
function codeProblem(mode: Mode, c: Command, code: string | undefined): string | undefined {
  if (!isKnown(c.event)) return code === undefined || code === 'unknown_event' ? undefined : `an unknown event was refused with ${code}`;
  if (code === 'unknown_event') return 'a known event was answered unknown_event';
  // socket.io-client rebuilds payloads that carry binary (and drops `__proto__` keys doing so): no model of those.
  if (c.args.some(containsBinary)) return undefined;
  const expected = mode.refusals(c.event, c.args.length === 0 ? undefined : JSON.parse(JSON.stringify(c.args.slice(0, 1)))[0]);
  const validation = (VALIDATION_CODES as readonly unknown[]).includes(code);
  if (expected.size > 0 && !expected.has(code as string)) {
    return `${code === undefined ? 'accepted' : `refused with ${code}`}, but the documented rules refuse it with ${[...expected].join(' or ')}`;
  }
  if (expected.size === 0 && validation) return `refused with ${code}, but the documented rules accept it`;
  return undefined;
}

function containsBinary(value: unknown): boolean {
  const pending = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (ArrayBuffer.isView(v)) return true;
    if (typeof v === 'object' && v !== null) pending.push(...Object.values(v));
  }
  return false;
}

/**
 * A cheap round trip no limit counts (helpers.ts, roundTrip): once its ack is back, everything the server sent
 * the fuzzing client before has arrived.
 */
async function sentinel(stage: Stage): Promise<void> {
  stage.asked++;
  await queueRoundTrip(stage.fuzzer);
}

/** `call`'s answer; when a rate limit refused it, its answer after the wait the limit named (twice at most). */
async function allowed<T extends { ok: boolean; error?: { code: string; retryAfterMs?: number } }>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const answer = await call();
    if (answer.ok || answer.error?.code !== 'rate_limited' || attempt === 2) return answer;
    await waitOut(answer.error.retryAfterMs ?? 0);
  }
}

/** A normal login and message on the same client; the witness must receive the message. */
async function roundTrip({ mode, fuzzer, token, witness }: Stage): Promise<void> {
  await ack(fuzzer, 'logout', {}); // ok, or not_logged_in if the run ended logged out
  const payload = await mode.loginPayload(CHECK_NAME, token);
  const login = await allowed(() => ack(fuzzer, 'login', payload));
  if (!login.ok) throw new Error(`the fuzzing client cannot log in again: ${login.error.code}`);
  const text = 'round trip';
  const arrives = next(witness, 'allmessage', (m) => m.text === text);
  const sent = await allowed(() => ack(fuzzer, 'sendMsg', { text }));
  if (!sent.ok) throw new Error(`the fuzzing client cannot chat any more: ${sent.error.code}`);
  await arrives;
}

/** `store`, recording every user it creates. */
function recordingUsers(store: ChatStore, created: UserRecord[]): ChatStore {
  return new Proxy(store, {
    get(target, key) {
      if (key === 'createUser') {
        return async (user: NewUser) => {
          const made = await target.createUser(user);
          if (made) created.push(made);
          return made;
        };
      }
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
