/**
 * The database holds a schema newer than this release knows: it was migrated by a later release (an upgrade
 * rolled back without restoring the backup taken before it). Both stores refuse to open it rather than run
 * queries written for another schema. Migrations only ever go forward (docs/deployment.md, "Upgrades").
 */
export class SchemaTooNewError extends Error {
  constructor(
    readonly found: number,
    readonly known: number,
  ) {
    super(`the database schema is version ${found}; this release knows versions up to ${known}`);
    this.name = 'SchemaTooNewError';
  }
}
