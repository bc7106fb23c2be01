import { MAX_NAME_LENGTH } from './protocol';
import { sortKey } from './sort-key';
import { meetsLevel, scriptNames, type RestrictionLevel } from './unicode/scripts';
import { skeleton } from './unicode/skeleton';

// Letters and digits of any script (with their combining marks, which many scripts need) and `_ - .`.
const NAME_PATTERN = /^[\p{L}\p{M}\p{N}_.-]+$/u;
// Marks and letters that show nothing (variation selectors, the combining grapheme joiner, Hangul fillers).
export const INVISIBLE = /\p{Default_Ignorable_Code_Point}/u;

/**
 * How far a new name may mix scripts (UTS #39 5.2): one script, or Latin with Chinese, Japanese or Korean,
 * never Latin with Cyrillic, Greek or any other script. See docs/protocol.md, "Names and tokens", for why
 * this level and not "moderately restrictive" (which would also allow e.g. Latin with Arabic).
 */
export const NAME_RESTRICTION: RestrictionLevel = 'highly-restrictive';

export const NAME_RULES = `Names are 1-${MAX_NAME_LENGTH} letters, digits, "_", "-" or "."`;

/** Trims and normalises (NFC) a user name; returns undefined when it is not an acceptable name. */
export function normalizeName(raw: string): string | undefined {
  if (!raw.isWellFormed()) return undefined;
  const name = raw.trim().normalize('NFC');
  const length = [...name].length;
  if (length < 1 || length > MAX_NAME_LENGTH) return undefined;
  return NAME_PATTERN.test(name) ? name : undefined;
}

/**
 * The rules for claiming a name: those of `normalizeName`, and no invisible characters, and no mix of scripts
 * beyond NAME_RESTRICTION (Latin `a` with Cyrillic `а` is how look-alikes are made). Looking a name up needs
 * only `normalizeName`: a look-alike finds the user it imitates (see `nameKey`).
 */
export function checkName(raw: string): { name: string } | { problem: string } {
  const name = normalizeName(raw);
  if (name === undefined) return { problem: `${NAME_RULES}.` };
  if (INVISIBLE.test(name)) return { problem: 'Names may not contain invisible characters.' };
  if (!meetsLevel(name, NAME_RESTRICTION)) {
    const scripts = scriptNames(name).join(' and ');
    return {
      problem: `"${name}" mixes the ${scripts} scripts, which is how look-alike names are made. Use one script (Latin may be combined with Chinese, Japanese or Korean).`,
    };
  }
  return { name };
}

/**
 * The identity of a name, for uniqueness, lookups and rooms: two names are one when they look alike.
 *
 *   nameKey(name) = NFC(skeleton(fold(NFKC(name))))    fold(s) = lower(upper(lower(s)))
 *
 * NFKC removes width and font variants (`Ａｌｉｃｅ`, `𝐚𝐥𝐢𝐜𝐞`); `fold` is full case folding as far as JavaScript
 * has it (`ALICE`, `Straße` = `STRASSE` = `STRAẞE`, dotless `ı` = `i`); the UTS #39 skeleton maps look-alikes to
 * one prototype (Cyrillic `а` and Greek `α` → `a`, `0` → `o`, `m` → `rn`) and drops invisible code points; NFC
 * only makes the stored key compact. Case folding comes before the skeleton because identity has always been
 * case-insensitive: `I` is `i`, not the `l` it resembles (so `Ilya` and `llya` stay two names). The skeleton's
 * table (unicode/data.ts) also maps small capitals to small letters (`ᴀʟɪᴄᴇ`, the capitals ALICE) and is closed
 * under these steps, so Cyrillic `т`, whose prototype is the small capital `ᴛ`, becomes `t`: `ТОР` in capitals
 * cannot be told from `TOP`. tests/names.test.ts checks that key(key(x)) = key(x) for every code point.
 *
 * The key is not for display: it is a hodgepodge of scripts (`mary` → `rnary`).
 */
export function nameKey(name: string): string {
  return skeleton(fold(name.normalize('NFKC'))).normalize('NFC');
}

/** Full case folding as far as JavaScript has it: lower case first, so that `ẞ` (its own upper case) is `ss`. */
function fold(s: string): string {
  return s.toLowerCase().toUpperCase().toLowerCase();
}

/**
 * The key before issue 11 (case- and width-insensitive only). Frozen: it tells apart users whose names the new
 * key merged when the database was rekeyed (see rekey.ts), and sorts names for display.
 */
export function legacyKey(name: string): string {
  return sortKey(name);
}

/**
 * The key of an existing user whose name became confusable with another active user's when keys changed
 * (rekey.ts): the shared key, then `#` (never in a key otherwise), then its former key, which was unique.
 */
export function displacedKey(name: string): string {
  return `${nameKey(name)}#${legacyKey(name)}`;
}

/** Whether `key`, a user's stored key, is the key of `name`: its `nameKey`, or its `displacedKey`. */
export function isKeyOf(key: string, name: string): boolean {
  const plain = nameKey(name);
  return key === plain || key === `${plain}#${legacyKey(name)}`;
}

/**
 * `items` sorted by name for display: case- and width-insensitive, as lists always were. Keys no longer sort
 * as names do (`mary` → `rnary`), so lists sort by this instead.
 */
export function sortByName<T>(items: Iterable<T>, nameOf: (item: T) => string): T[] {
  return [...items]
    .map((item) => ({ item, name: nameOf(item), order: legacyKey(nameOf(item)) }))
    .sort((a, b) => compare(a.order, b.order) || compare(a.name, b.name))
    .map((entry) => entry.item);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
