/**
 * A name's case- and width-insensitive form (NFKC, then JavaScript's lower case): how user and room lists are
 * ordered, and what a user displaced from its key is known by (names.ts, `legacyKey`). In a module of its own,
 * with nothing to load: the SQLite store's thread computes it for every new or renamed user, and the name data
 * behind names.ts take tens of milliseconds to load.
 */
export function sortKey(name: string): string {
  return name.normalize('NFKC').toLowerCase();
}
