import { isKitError } from '../errors.js';
import { commandName, jsonRequested, paint } from './output.js';
import { errnoCode, fsUserError } from '../util/fs-errors.js';

/**
 * Runs one command's action and owns the exit code: a KitError becomes its single line on stderr,
 * anything else is a bug in kit and says so (with the stack only when KIT_DEBUG is set). Under
 * --json the failure is also the JSON document on stdout, so a pipeline always gets one.
 */
export function runCommand<A extends unknown[]>(action: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await action(...args);
      process.exitCode = code ?? 0;
    } catch (e) {
      const json = jsonRequested(args);
      // A file-system error the user can fix (permission denied, disk full, a file in the way) is
      // theirs, not a bug in kit: say which path and what is wrong.
      if (!isKitError(e) && errnoCode(e) && (e as NodeJS.ErrnoException).path) e = fsUserError(e, 'cli', String((e as NodeJS.ErrnoException).path), 'use');
      if (isKitError(e)) {
        // The prefix names the command the user ran (kit codegen), whatever stage's code raised it.
        process.stderr.write(`${paint('red', e.format(commandName(args)), process.stderr)}\n`);
        if (json) process.stdout.write(`${JSON.stringify({ error: { code: e.code, stage: e.stage, message: e.message, hint: e.hint ?? null } }, null, 2)}\n`);
        process.exitCode = e.exitCode;
      } else {
        const err = e as Error;
        process.stderr.write(`kit: internal error: ${err?.message ?? String(e)} (please report it; set KIT_DEBUG=1 for details)\n`);
        if (process.env.KIT_DEBUG) process.stderr.write(`${err?.stack}\n`);
        if (json) process.stdout.write(`${JSON.stringify({ error: { code: 'internal', stage: null, message: err?.message ?? String(e), hint: null } }, null, 2)}\n`);
        process.exitCode = 70;
      }
    }
  };
}
