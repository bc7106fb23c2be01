/**
 * The boundaries of every fuzzed field (issue 22): lengths 0, 1, the maximum and one more, in characters of
 * every width (one UTF-16 unit, an astral character of two, a combining sequence that NFC may join), and a
 * wide character as the one at the edge. Random payloads draw from these often (payloads.ts); and every run of
 * the event suite first sends each of them once (`edgeExamples`), so that a missing or wrong limit fails every
 * `npm test`, not only the runs that happen to draw it.
 */
import { MAX_TOKEN_LENGTH as MAX_JWT_LENGTH } from '../../src/auth/jwt';
import type { ClientEvent } from '../../src/protocol';
import { MAX_CLIENT_ID_LENGTH, MAX_NAME_LENGTH, MAX_RECEIPTS, MAX_TEXT_LENGTH } from '../../src/protocol';
import type { Command } from './payloads';

/** What the token field allows (src/schemas.ts; not in the protocol document). */
export const MAX_TOKEN_LENGTH = 256;

/**
 * Strings of `max` and `max + 1` characters (code points, as every length in the protocol) built from
 * `wide`, a character of more than one UTF-16 unit; `joined`, a character written as a base and a combining
 * mark; and plain `x`, with a wide one last. Plus the empty string, one character of each kind, and the longest
 * padded with spaces (which are trimmed before counting).
 */
function lengthEdges(max: number, wide: string, joined: string): string[] {
  const around = (n: number) => ['x'.repeat(n), wide.repeat(n), joined.repeat(n), `${'x'.repeat(n - 1)}${wide}`];
  return ['', 'x', wide, joined, ...around(max), ...around(max + 1), `  ${'x'.repeat(max)} `];
}

/**
 * Names: NFC joins `e` + U+0301 into one `é` before counting, so 32 of them are a valid name; `𝐚` (U+1D41A, a
 * letter outside the BMP) counts once though JavaScript's `length` says 2.
 */
export const NAME_EDGES = lengthEdges(MAX_NAME_LENGTH, '\u{1d41a}', 'e\u0301');
/** Texts are not normalised: `e` + U+0301 is two characters there; 😀 is one. */
export const TEXT_EDGES = lengthEdges(MAX_TEXT_LENGTH, '\u{1f600}', 'e\u0301');
export const TOKEN_EDGES = lengthEdges(MAX_TOKEN_LENGTH, '\u{1f600}', 'e\u0301');
/** JWT mode's `login { token }` (docs/auth.md): none of these is a token the host signed. */
export const JWT_EDGES = lengthEdges(MAX_JWT_LENGTH, '\u{1f600}', 'e\u0301');
/** Letters, digits, `_` and `-` only: a wide character is refused at any length. */
export const CLIENT_ID_EDGES = ['', 'a', 'a'.repeat(MAX_CLIENT_ID_LENGTH), 'a'.repeat(MAX_CLIENT_ID_LENGTH + 1), `${'a'.repeat(MAX_CLIENT_ID_LENGTH - 1)}é`];
/** Message ids: 0 up to the largest safe integer. */
export const ID_EDGES = [-1, 0, 1, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1];
/** Page sizes: any positive safe integer (larger ones are capped, not refused). */
export const LIMIT_EDGES = [0, 1, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1];
export const RECEIPT_EDGES = [0, 1, MAX_RECEIPTS, MAX_RECEIPTS + 1].map((n) => Array.from({ length: n }, (_, i) => i + 1));

/** For each event, a valid payload, and each field's edges to put into it one at a time. */
const FIELD_EDGES: Partial<Record<ClientEvent, { base: Record<string, unknown>; fields: Record<string, readonly unknown[]> }>> = {
  login: { base: { username: 'edgecase' }, fields: { username: NAME_EDGES, token: TOKEN_EDGES } },
  sendMsg: { base: { text: 'hi' }, fields: { text: TEXT_EDGES, clientId: CLIENT_ID_EDGES } },
  privateMsg: { base: { to: 'witness', text: 'hi' }, fields: { to: NAME_EDGES, text: TEXT_EDGES, clientId: CLIENT_ID_EDGES } },
  history: { base: {}, fields: { with: NAME_EDGES, before: ID_EDGES, limit: LIMIT_EDGES } },
  users: { base: {}, fields: { after: NAME_EDGES, limit: LIMIT_EDGES } },
  typing: { base: {}, fields: { to: NAME_EDGES } },
  sync: { base: { after: 0 }, fields: { after: ID_EDGES, limit: LIMIT_EDGES } },
  received: { base: { ids: [1] }, fields: { ids: RECEIPT_EDGES } },
};

/** Fields whose edges are also tried under their other spelling (the tutorial's `id`, `newAccount`). */
const ALIASES: Array<[ClientEvent, string, string]> = [
  ['login', 'username', 'id'],
  ['sendMsg', 'text', 'newAccount'],
];

/** One command per edge of every field of every event, each with an ack. */
export function edgeCommands(): Command[] {
  const commands: Command[] = [];
  for (const [event, { base, fields }] of Object.entries(FIELD_EDGES)) {
    for (const [field, values] of Object.entries(fields)) {
      for (const value of values) commands.push({ event, args: [{ ...base, [field]: value }], ack: true });
    }
  }
  for (const [event, from, to] of ALIASES) {
    const values = FIELD_EDGES[event]!.fields[from];
    for (const value of values) commands.push({ event, args: [{ [to]: value }], ack: true });
  }
  return commands;
}

/** JWT mode's `login` with each token edge, with an ack. */
export function jwtEdgeCommands(): Command[] {
  return JWT_EDGES.map((token) => ({ event: 'login', args: [{ token }], ack: true }));
}

/**
 * `commands` as fast-check examples of the event suites' property `(loggedIn, commands)`: up to `perRun` per
 * run, logged in or not.
 */
export function asExamples(commands: Command[], loggedIn: boolean, perRun = 6): Array<[boolean, Command[]]> {
  const runs: Array<[boolean, Command[]]> = [];
  for (let i = 0; i < commands.length; i += perRun) runs.push([loggedIn, commands.slice(i, i + perRun)]);
  return runs;
}
