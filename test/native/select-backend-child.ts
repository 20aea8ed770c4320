// Run by select-backend.test.ts in a child process (KIT_NATIVE is read once per process):
// selects a backend twice and prints what it got.
import { selectBackend, type BackendChoice } from '../../src/train/backend/select-backend.js';

const choice = (process.argv[2] ?? 'auto') as BackendChoice;
try {
  const a = await selectBackend(choice);
  const b = await selectBackend(choice);
  console.log(JSON.stringify({ names: [a.name, b.name], note: a.note ?? null }));
} catch (e) {
  console.log(JSON.stringify({ error: (e as Error).message }));
}
