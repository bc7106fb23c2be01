/**
 * The table of names that the identity key and the name rules are held to (tests/names.test.ts) and measured
 * on (bench/names.ts). Look-alike characters are written as escapes, so that a reader sees what they are.
 */

/** Each original with names that must be the same identity as it (same `nameKey`). */
export const LOOK_ALIKES: ReadonlyArray<readonly [string, readonly string[]]> = [
  [
    'alice',
    [
      'ALICE',
      'Alice',
      '\uff21\uff4c\uff49\uff43\uff45', // fullwidth Ａｌｉｃｅ
      '\u0430lice', // Cyrillic а
      'alic\u0435', // Cyrillic е
      '\u03b1lice', // Greek α
      'al\u0131ce', // dotless ı
      '\u1d00\u029f\u026a\u1d04\u1d07', // small capitals ᴀʟɪᴄᴇ
      '\u0391LICE', // Greek capital Α
      '\u{1d41a}\u{1d425}\u{1d422}\u{1d41c}\u{1d41e}', // mathematical bold 𝐚𝐥𝐢𝐜𝐞
      'ali\u034fce', // combining grapheme joiner (invisible)
      'alice\ufe0f', // variation selector (invisible)
      '\u0410LICE', // Cyrillic capital А
    ],
  ],
  ['paypal', ['\u0440\u0430\u0443pal', 'PAYPAL']], // Cyrillic р а у
  ['bob', ['b0b', 'BOB', 'B0B']], // digit zero
  ['mary', ['rnary', 'MARY']], // r + n
  ['olga', ['0lga', '\u041elga', 'OLGA']], // zero, Cyrillic О
  ['top', ['\u0422\u041e\u0420', '\u0442\u043e\u0440']], // Cyrillic ТОР: in capitals it is TOP; тор is its lower case
  ['scope', ['\u0455\u0441\u043e\u0440\u0435']], // all Cyrillic: ѕсоре
  ['\u0410\u043b\u0438\u0441\u0430', ['\u0410\u041b\u0418\u0421\u0410', '\u0430\u043b\u0438\u0441\u0430', 'A\u043b\u0438\u0441\u0430']], // Алиса, АЛИСА, алиса, Latin A + лиса
  ['\u03a3\u03bf\u03c6\u03af\u03b1', ['\u03a3\u039f\u03a6\u038a\u0391', '\u03c3\u03bf\u03c6\u03af\u03b1']], // Σοφία, ΣΟΦΊΑ, σοφία
  ['Jos\u00e9', ['Jose\u0301', 'JOS\u00c9']], // precomposed é, e + combining acute
  ['Stra\u00dfe', ['STRASSE', 'strasse', 'STRA\u1e9eE']], // ß, ss, capital ẞ
  ['\u30bf\u30ed\u30a6', ['\uff80\uff9b\uff73']], // タロウ, halfwidth ﾀﾛｳ
  ['user1', ['userl', 'USER1']], // digit one, small l
  ['Ilya', ['ILYA', '\u0131lya']], // capital I is i (dotless ı too)
];

/** Names that must all be different identities (pairwise different keys). */
export const DISTINCT: readonly string[] = [
  'alice', 'alicia', 'alex', 'ali', 'all', 'bill', 'bili', 'bob', 'bobby', 'bob1', 'bob2', 'carol', 'dave',
  'eve', 'ian', 'lia', 'ila', 'jan', 'jane', 'anna', 'ana', 'emma', 'maria', 'mario', 'trent', 'user1', 'user2',
  'Jos\u00e9', 'Jose', 'Zo\u00eb', 'Zoe', '\u0141ukasz', 'Lukasz', '\u00d8yvind', 'Oyvind', 'Nguy\u1ec5n', 'Nguyen',
  'Ilya', 'llya', // capital I is i here, not the l it resembles: a documented limit
  '\u0418\u0432\u0430\u043d', // Иван
  '\u041e\u043b\u044c\u0433\u0430', // Ольга
  '\u0410\u043b\u0438\u0441\u0430', // Алиса
  '\u0394\u03b7\u03bc\u03ae\u03c4\u03c1\u03b7\u03c2', // Δημήτρης
  '\u0391\u03bb\u03af\u03ba\u03b7', // Αλίκη
  '\u5f20\u4f1f', '\u738b\u4f1f', '\u5f20\u4f1f\u4f1f', // 张伟 王伟 张伟伟
  '\u5c71\u7530\u305f\u308d\u3046', '\u5c71\u7530\u306f\u306a\u3053', // 山田たろう 山田はなこ
  '\uae40\ubbfc\uc218', '\uae40\ubbfc\uc900', // 김민수 김민준
  '\u0645\u062d\u0645\u062f', '\u0623\u062d\u0645\u062f', // محمد أحمد
  '\u05d3\u05d5\u05d3', '\u05d3\u05e0\u05d4', // דוד דנה
  '\u0930\u093e\u091c', '\u0930\u093e\u092e', // राज राम
  '\u0e2a\u0e21\u0e0a\u0e32\u0e22', '\u0e2a\u0e21\u0e28\u0e31\u0e01\u0e14\u0e34\u0e4c', // สมชาย สมศักดิ์
  '\u10d2\u10d8\u10dd\u10e0\u10d2\u10d8', // გიორგი
  '\u0531\u0580\u0561\u0574', // Արամ
  '\u12a0\u1260\u1260', // አበበ
];

/** New names that are accepted: one script, or Latin with Chinese, Japanese or Korean. */
export const ACCEPTED: readonly string[] = [
  'alice', 'bob_1.x-y', 'Nguy\u1ec5n', 'Jos\u00e9',
  '\u5f20\u4f1f', // 张伟 (Han)
  '\u5c71\u7530\u305f\u308d\u3046', // 山田たろう (Han + Hiragana)
  '\u30bf\u30ed\u30a6', // タロウ (Katakana)
  '\uae40\ubbfc\uc218', // 김민수 (Hangul)
  '\u0410\u043b\u0438\u0441\u0430', // Алиса
  '\u0391\u03bb\u03af\u03ba\u03b7', // Αλίκη
  '\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac_2', // Ελληνικά_2
  '\u0645\u062d\u0645\u062f', // محمد
  '\u05d3\u05d5\u05d3', // דוד
  '\u0930\u093e\u091c', // राज
  '\u0e2a\u0e21\u0e0a\u0e32\u0e22', // สมชาย
  '\u10d2\u10d8\u10dd\u10e0\u10d2\u10d8', // გიორგი
  '\u0531\u0580\u0561\u0574', // Արամ
  '\u12a0\u1260\u1260', // አበበ
  '\u0661\u0662\u0663', // ١٢٣ (Arabic-Indic digits alone)
  'Tokyo\u6771\u4eac', // Tokyo東京 (Latin + Han)
  'kim_\uae40', // kim_김 (Latin + Hangul)
  'yamada_\u305f\u308d\u3046', // yamada_たろう (Latin + Hiragana)
];

/** New names refused for mixing scripts at the chosen level (highly restrictive). */
export const MIXED: readonly string[] = [
  '\u0430lice', // Latin + Cyrillic
  '\u03b1lice', // Latin + Greek
  'Dima_\u0414\u0438\u043c\u0430', // Dima_Дима
  '\u13aalice', // Cherokee Ꭺ + Latin
  '\ud55c\uad6d\uc5b4\u3072\u3089\u304c\u306a', // 한국어ひらがな (Hangul + Hiragana)
  // Allowed by "moderately restrictive" (Latin + one other script but Cyrillic or Greek), refused here:
  'Ahmed_\u0623\u062d\u0645\u062f', // Latin + Arabic
  'Raj_\u0930\u093e\u091c', // Latin + Devanagari
  'Noa_\u05e0\u05d5\u05e2\u05d4', // Latin + Hebrew
  'g\u0585\u0585gle', // Latin + Armenian օ, looks like google
  'abc\u0661\u0662\u0663', // Latin + Arabic-Indic digits
];
