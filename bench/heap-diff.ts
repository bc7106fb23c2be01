/**
 * What grew between two V8 heap snapshots (as bench/memory.ts --snapshots writes them): object counts and
 * shallow sizes by constructor, largest growth first.
 *
 *   node dist-bench/bench/heap-diff.js before.heapsnapshot after.heapsnapshot [--top 20]
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';

interface Totals {
  count: number;
  bytes: number;
}

function totalsByConstructor(file: string): Map<string, Totals> {
  const snapshot = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const totals = new Map<string, Totals>();
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    const type = types[snapshot.nodes[i + typeAt]];
    // Objects by constructor; strings, code and arrays by their type (their names are contents, not kinds).
    const key = type === 'object' || type === 'closure' ? `${type} ${snapshot.strings[snapshot.nodes[i + nameAt]]}` : `(${type})`;
    const entry = totals.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += snapshot.nodes[i + sizeAt];
    totals.set(key, entry);
  }
  return totals;
}

const { positionals, values } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '20' } } });
if (positionals.length !== 2) {
  console.error('usage: heap-diff before.heapsnapshot after.heapsnapshot [--top N]');
  process.exit(2);
}
const [before, after] = positionals.map(totalsByConstructor);
const keys = new Set([...before.keys(), ...after.keys()]);
const rows = [...keys].map((key) => {
  const b = before.get(key) ?? { count: 0, bytes: 0 };
  const a = after.get(key) ?? { count: 0, bytes: 0 };
  return { key, count: a.count - b.count, bytes: a.bytes - b.bytes, total: a.bytes };
});
rows.sort((x, y) => Math.abs(y.bytes) - Math.abs(x.bytes));
const sum = (m: Map<string, Totals>) => [...m.values()].reduce((s, t) => s + t.bytes, 0);
console.log(`heap: ${(sum(before) / 1024).toFixed(0)} KiB → ${(sum(after) / 1024).toFixed(0)} KiB`);
console.log('growth (bytes)  objects  kind');
for (const row of rows.slice(0, Number(values.top))) {
  console.log(`${String(row.bytes).padStart(14)} ${String(row.count).padStart(8)}  ${row.key}`);
}
