/**
 * docs/configuration.md is the one table of every setting (issue 20): each variable the server reads has a row
 * there, with its default as the code has it, and a line in .env.example; neither names a variable the server
 * does not read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../bench/launcher';
import { AUTH_DEFAULTS, AUTH_VARIABLES } from '../src/auth/config';
import { DEFAULTS, VARIABLES } from '../src/config';

const read = (file: string) => fs.readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
const READ_BY_SERVER = [...VARIABLES, ...AUTH_VARIABLES];
const CODE_DEFAULTS: Record<string, string> = { ...DEFAULTS, ...AUTH_DEFAULTS };

/** The rows of docs/configuration.md's table: variable → its default column. */
function rows(): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of read('docs/configuration.md').split('\n')) {
    const cells = /^\| `([A-Z][A-Z0-9_]*)` \| ([^|]*) \|/.exec(line);
    if (cells) found.set(cells[1], cells[2].trim());
  }
  return found;
}

test('every variable the server reads has one row in docs/configuration.md, and every row is one it reads', () => {
  const table = rows();
  expect([...table.keys()].sort()).toEqual([...READ_BY_SERVER].sort());
});

test("each row's default is the code's", () => {
  const table = rows();
  const wrong = Object.entries(CODE_DEFAULTS)
    .filter(([name, value]) => table.get(name) !== `\`${value}\``)
    .map(([name, value]) => `${name}: the code says ${value}, the table ${table.get(name)}`);
  expect(wrong).toEqual([]);
});

test('.env.example names every variable, and only those', () => {
  const named = new Set([...read('.env.example').matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
  expect([...named].sort()).toEqual([...READ_BY_SERVER].sort());
});
