import { KitError, type Stage } from '../errors.js';
import { KIT_VERSION } from '../version.js';

/**
 * Refuses a manifest or report of a schema version this kit does not read, in one line that says
 * which kit wrote it (when the file records it) and what to do.
 */
export function checkSchemaVersion(opts: { file: string; found: unknown; known: number; writtenBy?: unknown; stage: Stage; rerun: string }): void {
  const { file, found, known } = opts;
  if (found === known) return;
  const by = typeof opts.writtenBy === 'string' ? `kit ${opts.writtenBy}` : 'a kit that did not record its version';
  if (typeof found !== 'number' || !Number.isInteger(found)) {
    throw new KitError('schema-unknown', opts.stage, `${file} has no schema version kit knows (${JSON.stringify(found) ?? 'none'}), written by ${by}; this kit ${KIT_VERSION} reads version ${known}`, `re-run ${opts.rerun} with this kit`);
  }
  const newer = found > known;
  throw new KitError(
    'schema-version',
    opts.stage,
    `${file} has schema version ${found}, written by ${by}; this kit ${KIT_VERSION} reads version ${known}`,
    newer ? `upgrade kit to read it, or re-run ${opts.rerun} with this kit` : `re-run ${opts.rerun} with this kit`,
  );
}
