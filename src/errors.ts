/** The stage of the pipeline an error comes from, so the CLI can say where things went wrong. */
export type Stage = 'cli' | 'data' | 'model' | 'train' | 'quantize' | 'import' | 'codegen' | 'device';

/**
 * The one error type library code throws for problems a user can fix. `message` names the
 * problem, `hint` says what to do; the CLI prints both on one line and exits with `exitCode`.
 * Anything else that escapes is a bug in kit and is reported as such.
 */
export class KitError extends Error {
  constructor(
    readonly code: string,
    readonly stage: Stage,
    message: string,
    readonly hint?: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'KitError';
  }

  /** The single line the CLI prints: prefixed with the command that was run, else with the stage. */
  format(command?: string): string {
    return `kit ${command ?? this.stage}: ${this.message}${this.hint ? ` (${this.hint})` : ''}`;
  }
}

export function isKitError(e: unknown): e is KitError {
  return e instanceof KitError;
}
