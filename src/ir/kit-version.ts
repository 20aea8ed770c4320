import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** kit's version from package.json (two levels up from src/ir or dist/ir). */
export function kitVersion(): string {
  if (cached === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
      cached = pkg.version ?? 'unknown';
    } catch {
      cached = 'unknown';
    }
  }
  return cached;
}
