/**
 * A node:test reporter that lists every skipped test (or suite) with its reason once, after all
 * test files have run, so that a missing tool is not lost in the scroll. `npm test` runs it next
 * to the spec reporter. Under KIT_REQUIRE_TOOLS=1 (CI) missing tools fail instead (test/tools.ts).
 */
import { relative } from 'node:path';

export default async function* skipSummary(source) {
  const skipped = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' || !event.data.skip) continue;
    const file = event.data.file ? relative(process.cwd(), event.data.file) : '?';
    const reason = typeof event.data.skip === 'string' ? event.data.skip : 'skipped';
    skipped.push(`  ${file}: ${event.data.name} (${reason})`);
  }
  if (skipped.length) yield `\nskipped ${skipped.length} test${skipped.length === 1 ? '' : 's'} or suites:\n${skipped.join('\n')}\n`;
}
