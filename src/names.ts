import { MAX_NAME_LENGTH } from './protocol';

// Letters and digits of any script (with their combining marks, which many scripts need) and `_ - .`.
const NAME_PATTERN = /^[\p{L}\p{M}\p{N}_.-]+$/u;

/** Trims and normalises (NFC) a user name; returns undefined when it is not an acceptable name. */
export function normalizeName(raw: string): string | undefined {
  if (!raw.isWellFormed()) return undefined;
  const name = raw.trim().normalize('NFC');
  const length = [...name].length;
  if (length < 1 || length > MAX_NAME_LENGTH) return undefined;
  return NAME_PATTERN.test(name) ? name : undefined;
}

/**
 * The identity of a name for uniqueness and rooms: compatibility-normalised and lower-cased, so that
 * `Alice`, `alice` and full-width `Ａｌｉｃｅ` are one name and nobody can impersonate by case or width.
 */
export function nameKey(name: string): string {
  return name.normalize('NFKC').toLowerCase();
}
