// Prints the Debian packages that kit's boards need (their "requires" in boards/*.json), one per
// line, for scripts/setup.sh. Plain JavaScript so that it runs before kit is built.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(import.meta.dirname, '..', 'boards');
const packages = new Set();
for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
  const board = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  for (const r of board.requires ?? []) for (const p of r.debian ?? []) packages.add(p);
}
process.stdout.write([...packages].map((p) => `${p}\n`).join(''));
