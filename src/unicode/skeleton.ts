/**
 * The skeleton of UTS #39 (Unicode Security Mechanisms, section 4 "Confusable Detection"): two strings that
 * look alike have the same skeleton. Per the standard: decompose (NFD), drop default-ignorable code points,
 * replace each code point by its prototype from confusables.txt, decompose again.
 *
 * The prototypes come from data.ts, generated from confusables.txt by scripts/unicode-data.mjs. That table
 * adds small capitals → small letters to the standard's data and is closed under NFKC and case folding, so
 * callers must case-fold and NFKC-normalise first (names.ts does), and one lookup per code point is enough.
 */
import { KEY_MAPPING } from './data';

const PROTOTYPES = new Map<number, string>();
for (const group of KEY_MAPPING) {
  const [to, from] = group.split('<');
  const prototype = String.fromCodePoint(...to.split(' ').map((hex) => parseInt(hex, 16)));
  for (const hex of from.split(' ')) PROTOTYPES.set(parseInt(hex, 16), prototype);
}

const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;

/** The skeleton of `folded`, a string already NFKC-normalised and case-folded; in NFD. */
export function skeleton(folded: string): string {
  let out = '';
  for (const ch of folded.replace(DEFAULT_IGNORABLE, '').normalize('NFD')) {
    out += PROTOTYPES.get(ch.codePointAt(0)!) ?? ch;
  }
  return out.normalize('NFD');
}
