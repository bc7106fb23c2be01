import fc from 'fast-check';
import { checkName, displacedKey, isKeyOf, legacyKey, nameKey, normalizeName, sortByName } from '../src/names';
import { rekeyUsers, type StoredUser } from '../src/rekey';
import { restrictionLevel } from '../src/unicode/scripts';
import { ACCEPTED, DISTINCT, LOOK_ALIKES, MIXED } from './name-cases';

describe('nameKey: one identity per look', () => {
  test('the five look-alikes of issue 11 are alice', () => {
    // Cyrillic а, Cyrillic е, Greek α, dotless ı, small capitals
    for (const name of ['\u0430lice', 'alic\u0435', '\u03b1lice', 'al\u0131ce', '\u1d00\u029f\u026a\u1d04\u1d07']) {
      expect([name, nameKey(name)]).toEqual([name, 'alice']);
    }
  });

  test.each(LOOK_ALIKES.map(([original, lookAlikes]) => [original, lookAlikes] as const))('look-alikes of %s share its key', (original, lookAlikes) => {
    for (const name of lookAlikes) expect([name, nameKey(name)]).toEqual([name, nameKey(original)]);
  });

  test('distinct names in many scripts keep distinct keys', () => {
    const owners = new Map<string, string>();
    for (const name of DISTINCT) {
      const key = nameKey(name);
      expect([name, owners.get(key)]).toEqual([name, undefined]);
      owners.set(key, name);
    }
  });

  // The properties rekeying relies on (rekey.ts), over every code point a name may hold, alone and beside
  // a letter: the key of a key is itself, a former key has the same key as its name, and `#` never appears.
  test('is stable: key(key(x)) = key(x) = key(former key of x), and has no "#"', () => {
    const failures: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const ch = String.fromCodePoint(cp);
      if (normalizeName(ch) === undefined && !/^\p{M}$/u.test(ch)) continue;
      for (const s of [ch, `a${ch}`]) {
        const key = nameKey(s);
        if (nameKey(key) !== key || nameKey(legacyKey(s)) !== key || key.includes('#')) failures.push(`U+${cp.toString(16)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  test('is stable on random names too', () => {
    const names = fc.string({ unit: fc.constantFrom(...'aAlI1m0rnßẞİı_-.\u0301\u0430\u0410\u03b1\u0391\u1d00\u034f\u30bf\uff80\uac00\u1100\u1161'), minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(names, (name) => {
        const key = nameKey(name);
        return nameKey(key) === key && nameKey(legacyKey(name)) === key && !key.includes('#');
      }),
    );
  });
});

describe('checkName: the rules for a new name', () => {
  test.each([...ACCEPTED])('accepts %s', (name) => {
    expect(checkName(name)).toEqual({ name });
  });

  test.each([...MIXED])('refuses %s for mixing scripts, and names them', (name) => {
    const result = checkName(name);
    expect(result).toEqual({ problem: expect.stringMatching(/mixes the \S+ and \S+ scripts/) });
  });

  test('says which scripts are mixed', () => {
    expect(checkName('\u0430lice')).toEqual({ problem: expect.stringContaining('mixes the Cyrillic and Latin scripts') });
  });

  test('keeps the old rules: trimmed, NFC, 1-32 letters, digits, marks, "_", "-", "."', () => {
    expect(checkName('  Jose\u0301 ')).toEqual({ name: 'Jos\u00e9' });
    expect(checkName('\u540d'.repeat(32))).toEqual({ name: '\u540d'.repeat(32) });
    for (const bad of ['', 'a b', 'x'.repeat(33), '<b>', 'emoji\u{1f600}', '\u0000', 'a#b']) {
      expect(checkName(bad)).toEqual({ problem: expect.stringContaining('Names are 1-32') });
    }
  });

  test('refuses invisible characters, which a key ignores', () => {
    expect(checkName('ali\u034fce')).toEqual({ problem: 'Names may not contain invisible characters.' });
    expect(checkName('\u3164\u3164')).toEqual({ problem: 'Names may not contain invisible characters.' }); // Hangul filler
  });
});

describe('restrictionLevel (UTS #39 5.2)', () => {
  test.each([
    ['bob_1.x-y', 'single-script'],
    ['\u5c71\u7530\u305f\u308d\u3046', 'single-script'], // Han + Hiragana is Japanese, one script
    ['\u0661\u0662\u0663', 'single-script'],
    ['Tokyo\u6771\u4eac', 'highly-restrictive'],
    ['kim_\uae40', 'highly-restrictive'],
    ['Ahmed_\u0623\u062d\u0645\u062f', 'moderately-restrictive'],
    ['g\u0585\u0585gle', 'moderately-restrictive'],
    ['\u0430lice', 'minimally-restrictive'],
    ['\u03b1lice', 'minimally-restrictive'],
    ['\u13aalice', 'minimally-restrictive'], // Cherokee is not a recommended script
    ['\ud55c\uad6d\uc5b4\u3072\u3089\u304c\u306a', 'minimally-restrictive'],
  ])('%s is %s', (name, level) => {
    expect(restrictionLevel(name)).toBe(level);
  });
});

describe('keys of displaced users and display order', () => {
  test('isKeyOf knows a name by its key or by its displaced key', () => {
    expect(isKeyOf(nameKey('ALICE'), 'alice')).toBe(true);
    expect(isKeyOf(displacedKey('alice'), 'Alice')).toBe(true);
    expect(isKeyOf(displacedKey('alice'), '\u0430lice')).toBe(false); // the other alice
    expect(isKeyOf(nameKey('bob'), 'alice')).toBe(false);
    expect(displacedKey('\u0430lice')).toBe('alice#\u0430lice');
  });

  test('sortByName sorts as names read, not as keys (mary → rnary)', () => {
    expect(sortByName(['rita', 'mary', 'Bob', 'alice', '0scar', 'oscar'], (n) => n)).toEqual(['0scar', 'alice', 'Bob', 'mary', 'oscar', 'rita']);
  });
});

describe('rekeyUsers', () => {
  const user = (id: number, name: string, lastSeenAt: number, extra: Partial<StoredUser> = {}): StoredUser => ({
    id,
    name,
    key: legacyKey(name),
    createdAt: id,
    lastSeenAt,
    ...extra,
  });

  test('users who collide with nobody just get the new key', () => {
    expect(rekeyUsers([user(1, 'Bob', 5), user(2, 'mary', 5)])).toEqual([
      { id: 1, key: 'bob', displaced: false, changed: false },
      { id: 2, key: 'rnary', displaced: false, changed: true },
    ]);
  });

  test('of two look-alikes, the one seen last keeps the key; the other is displaced, listed first', () => {
    const result = rekeyUsers([user(1, 'alice', 100), user(2, '\u0430lice', 200), user(3, 'bob', 1)]);
    expect(result).toEqual([
      { id: 1, key: 'alice#alice', displaced: true, changed: true },
      { id: 2, key: 'alice', displaced: false, changed: true },
      { id: 3, key: 'bob', displaced: false, changed: false },
    ]);
  });

  test('ties: seen at the same time, the one created first keeps the key; then the lower id', () => {
    const [displaced, kept] = rekeyUsers([user(7, 'al\u0131ce', 50, { createdAt: 1 }), user(3, 'alice', 50, { createdAt: 2 })]);
    expect([kept.id, displaced.id]).toEqual([7, 3]);
    const byId = rekeyUsers([user(9, 'b0b', 50, { createdAt: 1 }), user(4, 'bob', 50, { createdAt: 1 })]);
    expect(byId.find((u) => !u.displaced)?.id).toBe(4);
  });

  test('three look-alikes: one key, two displaced keys, all different', () => {
    const result = rekeyUsers([user(1, 'alice', 3), user(2, '\u03b1lice', 2), user(3, '\u1d00\u029f\u026a\u1d04\u1d07', 1)]);
    expect(result.map((u) => u.key).sort()).toEqual(['alice', 'alice#\u03b1lice', 'alice#\u1d00\u029f\u026a\u1d04\u1d07']);
  });

  test('retired users never collide: they get the plain key', () => {
    const result = rekeyUsers([user(1, 'alice', 9), user(2, '\u0430lice', 99, { retired: true })]);
    expect(result).toEqual([
      { id: 1, key: 'alice', displaced: false, changed: false },
      { id: 2, key: 'alice', displaced: false, changed: true },
    ]);
  });

  test('applied in the order given, one update at a time, active keys stay unique at every step', () => {
    const pool = ['alice', 'Alice', '\u0430lice', '\u03b1lice', 'al\u0131ce', 'olga', '0lga', 'mary', 'rnary', 'bob', 'b0b', 'user1', 'userl'];
    const users = fc.uniqueArray(fc.constantFrom(...pool), { selector: legacyKey, minLength: 1 }).chain((names) =>
      fc.tuple(fc.constant(names), fc.array(fc.nat(3), { minLength: names.length, maxLength: names.length })),
    );
    fc.assert(
      fc.property(users, ([names, seen]) => {
        const stored = names.map((name, i) => user(i + 1, name, seen[i]));
        const keys = new Map(stored.map((u) => [u.id, u.key]));
        for (const { id, key } of rekeyUsers(stored)) {
          if ([...keys].some(([other, k]) => other !== id && k === key)) return false;
          keys.set(id, key);
        }
        return new Set(keys.values()).size === stored.length;
      }),
    );
  });
});
