/**
 * Look-alike names: the project's `nameKey` (UTS #39 skeleton over its own table, src/unicode/) against npm
 * packages that map confusable characters, on the table in tests/name-cases.ts; then the mixed-script rule.
 * A program that prints figures, not a test.
 *
 *   npm run bench:names
 *   npm install --no-save unhomoglyph unicode-confusables confusables decancer && npm run bench:names
 *
 * Each package is put in the same place in the key as the project's skeleton, between the same folding steps
 * (NFKC, case folding), so that only the confusables mapping differs. Packages that are not installed are
 * skipped with a note. Speed: µs per key, median of 5 runs of 100,000 keys over the table's names.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { checkName, legacyKey, nameKey } from '../src/names';
import { UNICODE_DATA_VERSION } from '../src/unicode/data';
import { meetsLevel, type RestrictionLevel } from '../src/unicode/scripts';
import { ACCEPTED, DISTINCT, LOOK_ALIKES, MIXED } from '../tests/name-cases';

type Key = (name: string) => string;

interface Candidate {
  name: string;
  key: Key;
  /** Where its data comes from and how big it is on disk. */
  about: string;
}

const ROOT = path.join(__dirname, '..', '..');
const fold = (s: string) => s.normalize('NFKC').toLowerCase().toUpperCase().toLowerCase();
/** A key with `map` where the project has its skeleton. */
const around = (map: (s: string) => string): Key => (name) => fold(map(fold(name))).normalize('NFC');

function candidates(): Candidate[] {
  const list: Candidate[] = [
    {
      name: 'project nameKey',
      key: nameKey,
      about: `confusables.txt ${UNICODE_DATA_VERSION}, own code; ${kib(sizeOf('src/unicode/data.ts') + sizeOf('src/unicode/skeleton.ts'))} of source`,
    },
    { name: 'before (NFKC + lower)', key: legacyKey, about: 'no confusables data' },
  ];
  const optional: Array<[string, (mod: unknown) => (s: string) => string]> = [
    ['unhomoglyph', (mod) => mod as (s: string) => string],
    ['unicode-confusables', (mod) => (mod as { rectifyConfusion: (s: string) => string }).rectifyConfusion],
    ['confusables', (mod) => (mod as { remove: (s: string) => string }).remove],
    ['decancer', (mod) => (s) => String((mod as (s: string) => unknown)(s))],
  ];
  for (const [pkg, entry] of optional) {
    let mod: unknown;
    try {
      mod = require(pkg);
    } catch {
      console.log(`(${pkg} is not installed: skipped)`);
      continue;
    }
    const version = (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
    // decancer's code is a native binary in a per-platform package beside it.
    const bytes = sizeOf(path.join('node_modules', pkg)) + (pkg === 'decancer' ? sizeOf('node_modules/@vierofernando') : 0);
    list.push({ name: `${pkg} ${version}`, key: around(entry(mod)), about: `${kib(bytes)} installed` });
  }
  return list;
}

function correctness(key: Key): { required: string; lookAlikes: string; distinct: string; misses: string[] } {
  const misses: string[] = [];
  const required = ['\u0430lice', 'alic\u0435', '\u03b1lice', 'al\u0131ce', '\u1d00\u029f\u026a\u1d04\u1d07'];
  const requiredOk = required.filter((n) => key(n) === key('alice')).length;
  let pairs = 0;
  let same = 0;
  for (const [original, lookAlikes] of LOOK_ALIKES) {
    for (const name of lookAlikes) {
      pairs++;
      if (key(name) === key(original)) same++;
      else misses.push(`${original} ≠ ${escape(name)}`);
    }
  }
  let distinctPairs = 0;
  let apart = 0;
  for (let i = 0; i < DISTINCT.length; i++) {
    for (let j = i + 1; j < DISTINCT.length; j++) {
      distinctPairs++;
      if (key(DISTINCT[i]) !== key(DISTINCT[j])) apart++;
      else misses.push(`${DISTINCT[i]} = ${DISTINCT[j]}`);
    }
  }
  return {
    required: `${requiredOk}/${required.length}`,
    lookAlikes: `${same}/${pairs}`,
    distinct: `${apart}/${distinctPairs}`,
    misses,
  };
}

function microsPerCall(fn: (name: string) => unknown, names: readonly string[], calls = 100_000): number {
  for (let i = 0; i < 10_000; i++) fn(names[i % names.length]); // warm-up
  const runs: number[] = [];
  for (let run = 0; run < 5; run++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) fn(names[i % names.length]);
    runs.push(Number(process.hrtime.bigint() - start) / 1000 / calls);
  }
  return runs.sort((a, b) => a - b)[2];
}

function main(): void {
  const names = [...new Set([...LOOK_ALIKES.flatMap(([o, l]) => [o, ...l]), ...DISTINCT, ...ACCEPTED, ...MIXED])];
  console.log(`Node ${process.version} (Unicode ${process.versions.unicode}); ${names.length} names in the table\n`);
  console.log('Identity key: look-alikes that must collide, distinct names that must not');
  const rows = candidates().map((c) => {
    const result = correctness(c.key);
    return { ...c, ...result, micros: microsPerCall(c.key, names) };
  });
  console.log(
    table(
      ['key', 'alice ×5', 'look-alikes same', 'distinct apart', 'µs/key', 'data'],
      rows.map((r) => [r.name, r.required, r.lookAlikes, r.distinct, r.micros.toFixed(2), r.about]),
    ),
  );
  for (const r of rows) {
    if (r.misses.length === 0) continue;
    const shown = r.misses.slice(0, 8).join('; ');
    console.log(`  ${r.name} misses (${r.misses.length}): ${shown}${r.misses.length > 8 ? '; …' : ''}`);
  }

  console.log('\nMixed scripts: which restriction level to require of new names');
  const levels: RestrictionLevel[] = ['single-script', 'highly-restrictive', 'moderately-restrictive'];
  console.log(
    table(
      ['level', 'single-script & CJK names accepted', 'mixed names refused', 'accepted of the mixed ones'],
      levels.map((level) => {
        const accepted = ACCEPTED.filter((n) => meetsLevel(n, level)).length;
        const refused = MIXED.filter((n) => !meetsLevel(n, level));
        const letThrough = MIXED.filter((n) => meetsLevel(n, level)).join(' ');
        return [level, `${accepted}/${ACCEPTED.length}`, `${refused.length}/${MIXED.length}`, letThrough || '-'];
      }),
    ),
  );
  console.log(`checkName: ${microsPerCall(checkName, names).toFixed(2)} µs/call`);
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...r[i]].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c + ' '.repeat(widths[i] - [...c].length)).join(' | ')} |`;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Non-ASCII look-alikes shown with their code points, so the output says what was compared. */
function escape(name: string): string {
  return /^[\x20-\x7e]*$/.test(name) ? name : `${name} (${[...name].map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase()}`).join(' ')})`;
}

function sizeOf(relative: string): number {
  const full = path.join(ROOT, relative);
  if (!existsSync(full)) return 0;
  const stat = statSync(full);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(full).reduce((sum, entry) => sum + sizeOf(path.join(relative, entry)), 0);
}

function kib(bytes: number): string {
  return `${Math.round(bytes / 1024)} KiB`;
}

main();
