import { INVISIBLE } from './names';
import { MAX_DISPLAY_NAME_LENGTH } from './protocol';

/**
 * Display names (issue 21): the name people see beside the handle (names.ts). Any script, spaces allowed, not
 * unique (two people may both be "Alex"), changeable: events that show a person carry the handle too, and the
 * handle is what `to`, `with` and the look-alike protection go by.
 *
 * Still, a display name must show what it is. Refused: control characters (line breaks, tabs, C1 controls),
 * format characters (bidirectional overrides and isolates, which reorder what follows them on screen, zero-width
 * joiners and spaces), other invisible code points (names.ts, INVISIBLE), private-use and unassigned code
 * points, lone surrogates, line and paragraph separators, and more than MAX_STACKED_MARKS combining marks in
 * a row (text that spills over the lines around it). Every run of spaces of any width becomes one ordinary
 * space, and the name is trimmed and normalised to NFC. The one exception to "invisible": the joiners and
 * presentation selectors inside an emoji sequence (👩‍💻, ❤️), which draw one visible picture.
 */
export const DISPLAY_NAME_RULES = `Display names are 1-${MAX_DISPLAY_NAME_LENGTH} characters of any script, without control or invisible characters`;

/** Marks that may stack on one letter (Vietnamese and Tibetan need 2-3, Hebrew with points and accents 4). */
export const MAX_STACKED_MARKS = 6;

const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/u;
const SPACES = /\p{Zs}+/gu;
const STACKED = new RegExp(`\\p{M}{${MAX_STACKED_MARKS + 1}}`, 'u');
/** An emoji with its presentation selector and skin tone, and further ones joined to it by ZWJ. */
const EMOJI = /\p{Extended_Pictographic}\uFE0F?\p{Emoji_Modifier}?(?:\u200D\p{Extended_Pictographic}\uFE0F?\p{Emoji_Modifier}?)*/gu;

/** The display name to store, or the problem with `raw`. */
export function checkDisplayName(raw: string): { displayName: string } | { problem: string } {
  if (!raw.isWellFormed()) return { problem: `${DISPLAY_NAME_RULES}.` };
  const displayName = raw.normalize('NFC').replace(SPACES, ' ').trim();
  const length = [...displayName].length;
  if (length < 1 || length > MAX_DISPLAY_NAME_LENGTH) return { problem: `${DISPLAY_NAME_RULES}.` };
  const visible = displayName.replace(EMOJI, '\u2606');
  if (FORBIDDEN.test(visible) || INVISIBLE.test(visible)) {
    return { problem: 'Display names may not contain control, formatting or invisible characters.' };
  }
  if (STACKED.test(displayName)) return { problem: `Display names may not stack more than ${MAX_STACKED_MARKS} marks on one letter.` };
  return { displayName };
}
