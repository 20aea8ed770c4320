import { isKitError } from '../errors.js';

/**
 * Runs one command's action and owns the exit code: a KitError becomes its single line on stderr,
 * anything else is a bug in kit and says so (with the stack only when KIT_DEBUG is set).
 */
export function runCommand<A extends unknown[]>(action: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await action(...args);
      process.exitCode = code ?? 0;
    } catch (e) {
      if (isKitError(e)) {
        process.stderr.write(`${e.format()}\n`);
        process.exitCode = e.exitCode;
      } else {
        const err = e as Error;
        process.stderr.write(`kit: internal error: ${err?.message ?? String(e)} (please report it; set KIT_DEBUG=1 for details)\n`);
        if (process.env.KIT_DEBUG) process.stderr.write(`${err?.stack}\n`);
        process.exitCode = 70;
      }
    }
  };
}
