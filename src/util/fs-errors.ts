import { KitError, type Stage } from '../errors.js';

/** What each file-system error means to a user, and what to do about it. */
const USER_ERRORS: Record<string, [problem: string, hint: string]> = {
  EACCES: ['permission denied', 'choose a folder you can write to with --out, or fix its permissions'],
  EPERM: ['operation not permitted', 'choose a folder you can write to with --out, or fix its permissions'],
  EROFS: ['the file system is read-only', 'choose a writable folder with --out'],
  ENOSPC: ['no space left on the device', 'free some disk space, or write to another disk with --out'],
  EDQUOT: ['disk quota exceeded', 'free some space, or write to another disk with --out'],
  ENOTDIR: ['a part of the path is a file, not a folder', 'choose another path with --out, or move that file away'],
  EISDIR: ['it is a folder, not a file', 'give a file name'],
  EEXIST: ['a file is in the way', 'move it away, or choose another path with --out'],
  ENAMETOOLONG: ['the path is too long', 'choose a shorter path'],
  EMFILE: ['too many open files', 'raise the open-file limit (ulimit -n)'],
};

/** The errno code of a Node file-system error, if it is one. */
export function errnoCode(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : undefined;
}

/**
 * A file-system error as the one-line user error it is (naming the path and the problem), or the
 * error unchanged when it is not one the user can fix (then it is a bug in kit).
 */
export function fsUserError(e: unknown, stage: Stage, path: string, verb = 'write'): unknown {
  if (e instanceof KitError) return e;
  const code = errnoCode(e);
  const known = code ? USER_ERRORS[code] : undefined;
  if (!known) return e;
  return new KitError(`fs-${code!.toLowerCase()}`, stage, `cannot ${verb} ${path}: ${known[0]} (${code})`, known[1]);
}
