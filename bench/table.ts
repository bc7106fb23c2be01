/** A plain-text table for the benchmark programs' output: the first `leftColumns` columns left-aligned. */
export function printTable(header: string[], rows: Array<Array<string | number>>, leftColumns = 1): void {
  const table = [header, ...rows].map((row) => row.map(String));
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
  for (const [i, row] of table.entries()) {
    console.log(row.map((cell, j) => (j < leftColumns ? cell.padEnd(widths[j]) : cell.padStart(widths[j]))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}
