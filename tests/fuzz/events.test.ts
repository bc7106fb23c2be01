/**
 * Property-based fuzzing of every client event with fast-check (issue 11): any JSON and near-valid payloads
 * (tests/fuzz/payloads.ts) on every event and on unknown ones, with and without an ack, in wrong argument
 * shapes, from a real socket.io-client to a real server. tests/bad-input.test.ts holds the hand-picked cases.
 * After every run of up to six events:
 * - each event with an ack got exactly one answer, `{ ok: true, … }` or `{ ok: false, error: { code,
 *   message } }` with a documented code, never `internal_error`; each one without an ack got at most one
 *   `msg1` error notice;
 * - a payload is refused for its shape exactly when the rules of docs/protocol.md (model.ts) refuse it, with
 *   a code its problems map to; unknown events are answered `unknown_event` (when they ask for an ack);
 * - the store holds no message, and a witness client got no `allmessage`, `privateMsg` or `typing`, that only a
 *   refused event could have caused; a refused login created no user;
 * - no exception escaped, the server logged nothing at warn or above, no built-in prototype changed;
 * - the same client still logs in and chats: its message reaches the witness.
 *
 * `npm test` makes RUNS runs; `FUZZ_RUNS=20000 npx jest tests/fuzz` runs longer. A failure prints the shrunk
 * counterexample, its seed, and the command that replays it (FUZZ_SEED, FUZZ_PATH).
 */
import fc from 'fast-check';
import { PacketType } from 'socket.io-parser';
import { testConfig } from '../../src/config';
import type { ClientEvent, Notice, PrivateMessage, PublicMessage, TypingNotice } from '../../src/protocol';
import { openSqliteStore } from '../../src/store';
import type { ChatStore, Committed, NewUser, UserRecord } from '../../src/store/store';
import { ack, flush, next, record, startServer, within, type Client, type TestServer } from '../helpers';
import { ackProblem, errorProblem, unexplained } from './checks';
import { ProcessGuard } from './guard';
import { refusals, VALIDATION_CODES, type ValidationCode } from './model';
import { CLIENT_EVENTS, command, type Command } from './payloads';
import { fuzzParameters, fuzzTimeout } from './settings';

const RUNS = 150;
const FILE = 'tests/fuzz/events.test.ts';
/** The fuzzing client's own name; the payload arbitraries never produce it. */
const CHECK_NAME = 'round-trip';

const guard = new ProcessGuard();
beforeAll(() => guard.start());
afterAll(() => guard.stop());

test(
  'any event, payload and argument shape: one answer, nothing stored or broadcast when refused, the client still chats',
  async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(command, { minLength: 1, maxLength: 6 }), async (loggedIn, commands) => {
        // A server per run: a run (and its shrinking, and its replay) does not depend on what earlier runs stored.
        await guard.check(async () => {
          const stage = await Stage.open();
          try {
            await fuzzRun(stage, loggedIn, commands);
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

/** One run's server, its fuzzing client (logged in as CHECK_NAME), a witness client, and what each saw. */
class Stage {
  /** Acks the fuzzing client asked for, and the ids of the ack packets that came. */
  asked = 0;
  readonly ackIds: number[] = [];
  readonly errorNotices: Notice[] = [];
  readonly seen: { allmessage: PublicMessage[]; privateMsg: PrivateMessage[]; typing: TypingNotice[] };

  private constructor(
    readonly server: TestServer,
    readonly fuzzer: Client,
    readonly token: string,
    readonly witness: Client,
    /** What the store committed during the run, and which users it created. */
    readonly commits: Committed[],
    readonly createdUsers: UserRecord[],
  ) {
    this.seen = { allmessage: record(witness, 'allmessage'), privateMsg: record(witness, 'privateMsg'), typing: record(witness, 'typing') };
    fuzzer.io.on('packet', (packet) => {
      if (packet.type === PacketType.ACK || packet.type === PacketType.BINARY_ACK) this.ackIds.push(packet.id!);
    });
    fuzzer.on('msg1', (notice) => {
      if (notice.type === 'error') this.errorNotices.push(notice);
    });
  }

  static async open(): Promise<Stage> {
    const commits: Committed[] = [];
    const createdUsers: UserRecord[] = [];
    const store = recordingUsers(openSqliteStore(testConfig().storage), createdUsers);
    store.onCommitted((committed) => commits.push(committed));
    const server = await startServer({}, { store, log: guard.log });
    const witness = (await server.login('witness')).client;
    const { client: fuzzer, res } = await server.login(CHECK_NAME);
    createdUsers.length = 0; // these two are not the run's doing
    return new Stage(server, fuzzer, res.token!, witness, commits, createdUsers);
  }
}

async function fuzzRun(stage: Stage, loggedIn: boolean, commands: Command[]): Promise<void> {
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
    problems.push(`stored message ${stray.message.id} that no accepted event sent`);
  }
  const stored = new Map(commits.map((c) => [c.message.id, c]));
  for (const m of seen.allmessage) if (stored.get(m.id)?.recipientId !== null) problems.push(`witness got allmessage ${m.id}, which was not stored as public`);
  for (const m of seen.privateMsg) if (!stored.has(m.id) || m.to !== 'witness') problems.push(`witness got privateMsg ${m.id}, which was not stored for it`);
  const publicIds = commits.filter((c) => c.recipientId === null).map((c) => c.message.id);
  if (publicIds.some((id) => !seen.allmessage.some((m) => m.id === id))) problems.push('a stored public message did not reach the witness');
  if (seen.typing.length > accepted.filter((o) => o.command.event === 'typing').length) problems.push('witness got typing that no accepted event sent');
  if (createdUsers.length > accepted.filter((o) => o.command.event === 'login').length) problems.push('a refused login created a user');
  if (!fuzzer.connected || fuzzer.id !== socketId) problems.push('the fuzzing client was disconnected');
  if (problems.length === 0) await roundTrip(stage).catch((err: Error) => problems.push(err.message));
  if (problems.length > 0) throw new Error(problems.join('\n'));
}

interface Outcome {
  command: Command;
  /** Not refused: answered `ok: true`, or (without an ack) no error notice. Unknown events count as accepted. */
  accepted: boolean;
  problem?: string;
}

/** Emits one command and reads what came back: its ack, or the msg1 error notices it caused. */
async function send(stage: Stage, c: Command): Promise<Outcome> {
  const emit = stage.fuzzer.emit.bind(stage.fuzzer) as (event: string, ...args: unknown[]) => void;
  if (c.ack) {
    stage.asked++;
    const args = await within(new Promise<unknown[]>((resolve) => emit(c.event, ...c.args, (...a: unknown[]) => resolve(a))), `the ack of "${c.event}"`);
    const answer = args[0] as { ok?: boolean; error?: { code?: string } } | undefined;
    const code = answer?.ok === true ? undefined : answer?.error?.code;
    return { command: c, accepted: answer?.ok === true, problem: ackProblem(args) ?? codeProblem(c, code) };
  }
  const from = stage.errorNotices.length;
  emit(c.event, ...c.args);
  await sentinel(stage);
  const notices = stage.errorNotices.slice(from);
  if (notices.length > 1) return { command: c, accepted: false, problem: `${notices.length} error notices for one event` };
  const [notice] = notices;
  const problem =
    notice === undefined
      ? codeProblem(c, undefined)
      : (errorProblem({ code: notice.code, message: notice.text }) ??
        (isKnown(c.event) ? codeProblem(c, notice.code) : 'an unknown event without an ack was answered'));
  return { command: c, accepted: notice === undefined, problem };
}

const isKnown = (event: string): event is ClientEvent => (CLIENT_EVENTS as string[]).includes(event);

/**
 * What is wrong with refusing `c` with `code` (undefined: it was not refused): unknown events get
 * `unknown_event` when they ask for an ack; known ones are refused for their shape exactly when the
 * documented rules (model.ts) refuse the payload, with one of the codes its problems map to.
 */
function codeProblem(c: Command, code: string | undefined): string | undefined {
  if (!isKnown(c.event)) return code === undefined || code === 'unknown_event' ? undefined : `an unknown event was refused with ${code}`;
  if (code === 'unknown_event') return 'a known event was answered unknown_event';
  // socket.io-client rebuilds payloads that carry binary (and drops `__proto__` keys doing so): no model of those.
  if (c.args.some(containsBinary)) return undefined;
  const expected = refusals(c.event, c.args.length === 0 ? undefined : JSON.parse(JSON.stringify(c.args.slice(0, 1)))[0]);
  const validation = (VALIDATION_CODES as readonly unknown[]).includes(code);
  if (expected.size > 0 && !expected.has(code as ValidationCode)) {
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

/** A cheap round trip: once its ack is back, everything the server sent the fuzzing client before has arrived. */
async function sentinel(stage: Stage): Promise<void> {
  stage.asked++;
  const res = await ack(stage.fuzzer, 'users', {});
  if (!res.ok) throw new Error(`users failed: ${res.error.code}`);
}

/** A normal login and message on the same client; the witness must receive the message. */
async function roundTrip({ fuzzer, witness, token }: Stage): Promise<void> {
  await ack(fuzzer, 'logout', {}); // ok, or not_logged_in if the run ended logged out
  const login = await ack(fuzzer, 'login', { username: CHECK_NAME, token });
  if (!login.ok) throw new Error(`the fuzzing client cannot log in again: ${login.error.code}`);
  const text = 'round trip';
  const arrives = next(witness, 'allmessage', (m) => m.text === text);
  const sent = await ack(fuzzer, 'sendMsg', { text });
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
