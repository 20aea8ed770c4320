/**
 * What every command prints, in one place: with `--json` stdout carries exactly one JSON document
 * (the figures the text shows) and the text is not printed; without it, the text goes to stdout.
 * Progress and warnings always go to stderr, so `kit X --json | jq` stays parseable.
 */
import { Command, Option } from 'commander';

export interface JsonFlag {
  json?: boolean;
}

/** The --json option every command has: `.addOption(jsonOption())`. */
export function jsonOption(): Option {
  return new Option('--json', 'print the figures as one JSON document on stdout (and nothing else on stdout)');
}

/** The examples `kit <command> --help` shows under its options: `.addHelpText('after', examples(...))`. */
export function examples(...lines: string[]): string {
  return `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((e) => `  $ ${e}`).join('\n')}`;
}

export interface Output {
  readonly json: boolean;
  /** A line of the human-readable output (dropped under --json). */
  text(line: string): void;
  /** The command's result: printed as JSON under --json (dropped otherwise: the text said it). */
  result(doc: unknown): void;
}

export function output(flags: JsonFlag): Output {
  const json = Boolean(flags.json);
  return {
    json,
    text: (line) => {
      if (!json) process.stdout.write(`${line}\n`);
    },
    result: (doc) => {
      if (json) process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    },
  };
}

/**
 * A notice on stderr (also under --json) when an option the user gave asks for more images than
 * the data has: the command goes on with all of them, but says so instead of capping silently.
 * Defaults (--calib 1000 on a small folder) go unremarked.
 */
export function noteCapped(cmd: Command, flag: string, asked: number | undefined, available: number, what: string): void {
  const key = flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  if (asked !== undefined && asked > available && cmd.getOptionValueSource(key) === 'cli') {
    process.stderr.write(`note: ${flag} ${asked} is more than the ${available.toLocaleString('en-US')} ${what}; using all ${available.toLocaleString('en-US')}\n`);
  }
}

/** The name of the command whose action got these arguments (commander passes the Command last). */
export function commandName(actionArgs: unknown[]): string | undefined {
  const cmd = actionArgs[actionArgs.length - 1];
  return cmd instanceof Command ? cmd.name() : undefined;
}

/** True when --json was given to the command whose action got these arguments (commander passes the Command last). */
export function jsonRequested(actionArgs: unknown[]): boolean {
  const cmd = actionArgs[actionArgs.length - 1];
  return cmd instanceof Command && Boolean(cmd.opts().json);
}

/** SGR codes (on, off): a handful, so no library. */
const STYLES = { red: [31, 39], green: [32, 39], yellow: [33, 39], bold: [1, 22], dim: [2, 22] } as const;
type Style = keyof typeof STYLES;

/**
 * Colour for a terminal only: not when the stream is a pipe or file, and never when NO_COLOR is
 * set to anything non-empty (https://no-color.org).
 */
export function colorEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR;
}

export function paint(style: Style, text: string, stream: NodeJS.WriteStream = process.stdout): string {
  const [on, off] = STYLES[style];
  return colorEnabled(stream) ? `\x1b[${on}m${text}\x1b[${off}m` : text;
}
