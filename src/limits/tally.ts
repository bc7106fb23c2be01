/** How many of something each key has (reservations, attempts in flight); a key at zero is not kept. */
export class Tally<K> {
  private readonly counts = new Map<K, number>();

  count(key: K): number {
    return this.counts.get(key) ?? 0;
  }

  add(key: K): void {
    this.counts.set(key, this.count(key) + 1);
  }

  /** One less for `key`; never below zero. */
  remove(key: K): void {
    const left = this.count(key) - 1;
    if (left > 0) this.counts.set(key, left);
    else this.counts.delete(key);
  }
}
