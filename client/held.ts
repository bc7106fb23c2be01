/**
 * The positions (message ids, change seqs) a client holds, to drop an entry that arrives again. Memory stays
 * bounded for a client that runs for months: once more than LIMIT positions are held, all but the newest KEEP of
 * those at or below the cursor are folded into a floor, and every position at or below the floor counts as held.
 * That is sound because nothing at or below the cursor arrives again but the server's resends of private
 * messages not yet confirmed, which the library confirms (receipts.ts) the first time they arrive.
 */
const LIMIT = 10_000;
const KEEP = 1_000;

export class HeldPositions {
  private readonly positions = new Set<number>();
  private floor = 0;

  has(position: number): boolean {
    return position <= this.floor || this.positions.has(position);
  }

  add(position: number): void {
    this.positions.add(position);
  }

  /** Folds old positions into the floor once there are more than LIMIT; only those at or below `cursor`. */
  prune(cursor: number): void {
    if (this.positions.size <= LIMIT) return;
    const old = [...this.positions].filter((p) => p <= cursor).sort((a, b) => a - b);
    const folded = old.length - KEEP;
    if (folded <= 0) return;
    this.floor = Math.max(this.floor, old[folded - 1]);
    for (const position of old.slice(0, folded)) this.positions.delete(position);
  }

  clear(): void {
    this.positions.clear();
    this.floor = 0;
  }
}
