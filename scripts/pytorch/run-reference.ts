/**
 * Runs scripts/pytorch/reference.py with a Python that has PyTorch: $KIT_PYTHON, else python3, else
 * Debian's /usr/bin/python3 (where apt-get install python3-torch puts it). Benchmark scripts only;
 * nothing in kit or its tests depends on PyTorch.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./reference.py', import.meta.url));

/** The first Python that can import torch, or undefined. */
export function findTorchPython(): string | undefined {
  const candidates = [process.env.KIT_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  return candidates.find((py) => spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
}

export const NO_TORCH = 'PyTorch not found: none of $KIT_PYTHON, python3, /usr/bin/python3 can import torch (Debian: apt-get install python3-torch)';

/** Runs reference.py with `args`; calls `onLine` with each JSON line it prints; resolves with all of them. */
export function runReference(python: string, args: string[], onLine: (line: Record<string, unknown>) => void = () => {}): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: Record<string, unknown>[] = [];
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const text = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        if (!text.startsWith('{')) continue;
        const line = JSON.parse(text) as Record<string, unknown>;
        lines.push(line);
        onLine(line);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(lines) : reject(new Error(`${python} ${SCRIPT} ${args.join(' ')} exited with ${code}`))));
  });
}
