/**
 * The one place tests decide whether a tool they need is there. A test that needs a compiler, an
 * emulator or the native addon takes `{ skip: missing('qemu-system-arm', 'arm-none-eabi-gcc') }`.
 *
 * Outside CI a missing tool skips the test with the reason (test/skip-summary.mjs lists every skip
 * once at the end of the run). Under KIT_REQUIRE_TOOLS=1, which `.ci/run` sets because `.ci/setup`
 * installed everything, a missing tool is an error naming it: a CI whose setup lost a package fails
 * instead of going green with the device checks skipped. KIT_REQUIRE_NATIVE=1 is an older alias.
 */
import { spawnSync } from 'node:child_process';

/** True when tests must fail rather than skip for a missing tool (KIT_REQUIRE_TOOLS=1 or KIT_REQUIRE_NATIVE=1). */
export function toolsRequired(): boolean {
  return process.env.KIT_REQUIRE_TOOLS === '1' || process.env.KIT_REQUIRE_NATIVE === '1';
}

const onPath = new Map<string, boolean>();
function commandExists(command: string): boolean {
  if (!onPath.has(command)) onPath.set(command, spawnSync('sh', ['-c', `command -v '${command}'`]).status === 0);
  return onPath.get(command)!;
}

/**
 * The reason to skip when a command is not on PATH, else false. Under KIT_REQUIRE_TOOLS=1 it throws
 * instead, naming the missing commands, so the test (or the file declaring it) fails.
 */
export function missing(...commands: string[]): string | false {
  const gone = commands.filter((c) => !commandExists(c));
  return unavailable(gone.length ? `needs ${gone.join(', ')}, not on PATH; bash .ci/setup installs it` : false);
}

/**
 * The same for a prerequisite that is not a command (C headers of a cross compiler, the native
 * addon): `reason` says what is missing, or is false/undefined when it is there.
 */
export function unavailable(reason: string | false | undefined): string | false {
  if (!reason) return false;
  if (toolsRequired()) throw new Error(`KIT_REQUIRE_TOOLS=1: ${reason}`);
  return reason;
}
