/**
 * Mixed-script detection of UTS #39 (Unicode Security Mechanisms, section 5): the resolved script set of a
 * string and the restriction level it meets. Script data comes from the JavaScript engine itself
 * (`\p{Script_Extensions=…}`), so it is the Unicode version of the running Node.
 */
import { SCRIPTS } from './data';

/** The levels of UTS #39 section 5.2 that can be told apart without the identifier profile, strictest first. */
export type RestrictionLevel = 'single-script' | 'highly-restrictive' | 'moderately-restrictive' | 'minimally-restrictive';

/** Scripts recommended for identifiers (UAX #31, table 7), beside Common and Inherited. */
const RECOMMENDED = new Set(
  'Arab Armn Beng Bopo Cyrl Deva Ethi Geor Grek Gujr Guru Hang Hani Hebr Hira Kana Khmr Knda Laoo Latn Mlym Mymr Orya Sinh Taml Telu Thaa Thai Tibt'.split(' '),
);

interface Script {
  code: string;
  name: string;
  /** Matches a code point whose Script_Extensions include this script. */
  extensions: RegExp;
}

// An engine older than the data leaves out the scripts it does not know (their code points have none then).
const SCRIPT_LIST: Script[] = SCRIPTS.flatMap((entry) => {
  const [code, name] = entry.split(':');
  try {
    return [{ code, name, extensions: new RegExp(`\\p{scx=${code}}`, 'u') }];
  } catch {
    return [];
  }
});

const COMMON_OR_INHERITED = /[\p{scx=Zyyy}\p{scx=Zinh}]/u;

/** A code point's augmented script set (UTS #39 5.1); `undefined` for Common and Inherited, i.e. every script. */
interface CodePointScripts {
  augmented: ReadonlySet<string> | undefined;
  /** The name of (one of) its scripts, for messages; undefined for Common and Inherited. */
  name: string | undefined;
}

// Finding a code point's scripts takes one regex test per script, so answers are kept; names reuse few
// code points. Bounded, so that a stream of odd names cannot grow it without limit.
const cache = new Map<number, CodePointScripts>();
const CACHE_LIMIT = 10_000;

function scriptsOf(ch: string): CodePointScripts {
  const cp = ch.codePointAt(0)!;
  let found = cache.get(cp);
  if (found) return found;
  if (COMMON_OR_INHERITED.test(ch)) {
    found = { augmented: undefined, name: undefined };
  } else {
    const scripts = SCRIPT_LIST.filter((s) => s.extensions.test(ch));
    const set = new Set(scripts.map((s) => s.code));
    // Han is written with Bopomofo (Hanb), with kana (Jpan) and with Hangul (Kore); each of those with Han.
    if (set.has('Hani')) set.add('Hanb').add('Jpan').add('Kore');
    if (set.has('Hira') || set.has('Kana')) set.add('Jpan');
    if (set.has('Hang')) set.add('Kore');
    if (set.has('Bopo')) set.add('Hanb');
    found = { augmented: set, name: scripts[0]?.name };
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(cp, found);
  return found;
}

/**
 * The intersection of the augmented script sets of the code points of `s` (UTS #39 5.1), leaving out code
 * points that `skip` accepts; `undefined` stands for "every script" (only Common and Inherited met).
 */
function resolve(s: string, skip?: (scripts: ReadonlySet<string>) => boolean): Set<string> | undefined {
  let resolved: Set<string> | undefined;
  for (const ch of s) {
    const { augmented } = scriptsOf(ch);
    if (augmented === undefined || skip?.(augmented)) continue;
    resolved = resolved === undefined ? new Set(augmented) : new Set([...resolved].filter((code) => augmented.has(code)));
  }
  return resolved;
}

/** The restriction level of `s` (UTS #39 5.2), as far as scripts decide it. */
export function restrictionLevel(s: string): RestrictionLevel {
  const resolved = resolve(s);
  if (resolved === undefined || resolved.size > 0) return 'single-script';
  // Latin plus one other script: what is left once the code points that may be Latin are set aside.
  const rest = resolve(s, (scripts) => scripts.has('Latn'));
  if (rest === undefined) return 'single-script';
  if (rest.has('Jpan') || rest.has('Kore') || rest.has('Hanb')) return 'highly-restrictive';
  if ([...rest].some((code) => RECOMMENDED.has(code) && code !== 'Cyrl' && code !== 'Grek')) return 'moderately-restrictive';
  return 'minimally-restrictive';
}

const LEVELS: readonly RestrictionLevel[] = ['single-script', 'highly-restrictive', 'moderately-restrictive', 'minimally-restrictive'];

/** Whether `s` meets `level` or a stricter one. */
export function meetsLevel(s: string, level: RestrictionLevel): boolean {
  return LEVELS.indexOf(restrictionLevel(s)) <= LEVELS.indexOf(level);
}

/** The scripts of the letters of `s`, in order of appearance, for messages. */
export function scriptNames(s: string): string[] {
  const names = new Set<string>();
  for (const ch of s) {
    const { name } = scriptsOf(ch);
    if (name !== undefined) names.add(name);
  }
  return [...names];
}
