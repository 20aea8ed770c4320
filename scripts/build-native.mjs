#!/usr/bin/env node
/**
 * Builds kit's native CPU kernels (src/native, a node-gyp addon linked against OpenBLAS, and against
 * oneDNN for the convolutions when libdnnl-dev is installed: optional, detected here). Runs at
 * `npm install`, and by hand. It never fails the install: without g++, Node's headers or
 * OpenBLAS it prints one line saying so and kit trains on WebAssembly instead. Exactly one line
 * is printed either way; the compiler's output goes to src/native/build/build.log.
 *   node scripts/build-native.mjs [--strict]   (--strict: exit 1 when the addon is not built)
 * KIT_SKIP_NATIVE_BUILD=1 skips the build; KIT_DNNL=0 builds without oneDNN even when it is installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'src', 'native');
const buildDir = join(nativeDir, 'build');
const addonPath = join(buildDir, 'Release', 'kit_native.node');
const notePath = join(buildDir, 'build-note.txt');
const strict = process.argv.includes('--strict');

function which(cmd) {
  return (spawnSync('/bin/sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout ?? '').trim() || undefined;
}

/** Debian's multiarch triplet, for the library and header folders. */
function multiarch() {
  try {
    return execFileSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).trim() || 'x86_64-linux-gnu';
  } catch {
    return 'x86_64-linux-gnu'; // no gcc: the default multiarch folder is as good a guess as any
  }
}

/** The folder with cblas.h and openblas_config.h (Debian keeps one per OpenBLAS variant). */
function findOpenBlasInclude(arch) {
  const candidates = [
    process.env.KIT_BLAS_INCLUDE,
    `/usr/include/${arch}/openblas-pthread`,
    `/usr/include/${arch}/openblas-openmp`,
    `/usr/include/${arch}/openblas-serial`,
    '/usr/include/openblas',
    '/usr/local/include',
  ];
  return candidates.find((d) => d && existsSync(join(d, 'cblas.h')) && existsSync(join(d, 'openblas_config.h')));
}

/** True when oneDNN's C++ header and library are installed (Debian: libdnnl-dev). */
function haveDnnl(arch) {
  if (process.env.KIT_DNNL === '0') return false;
  const header = ['/usr/include', '/usr/local/include'].some((d) => existsSync(join(d, 'oneapi', 'dnnl', 'dnnl.hpp')));
  const lib = [`/usr/lib/${arch}`, '/usr/lib', '/usr/local/lib'].some((d) => existsSync(join(d, 'libdnnl.so')));
  return header && lib;
}

/** node-gyp: the one npm runs scripts with, else the one bundled with npm, else on PATH. */
function findNodeGyp() {
  const bundled = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  for (const p of [process.env.npm_config_node_gyp, bundled]) if (p && existsSync(p)) return [process.execPath, [p]];
  const onPath = which('node-gyp');
  return onPath ? [onPath, []] : undefined;
}

function build() {
  if (!which('g++') && !which('c++')) return { ok: false, reason: 'no C++ compiler (apt-get install g++)' };
  const arch = multiarch();
  const include = findOpenBlasInclude(arch);
  if (!include) return { ok: false, reason: 'OpenBLAS headers not found (apt-get install libopenblas-dev)' };
  const gyp = findNodeGyp();
  if (!gyp) return { ok: false, reason: 'node-gyp not found (it comes with npm)' };
  // Node's headers: npm passes its nodedir setting to node-gyp; by hand, use the ones installed
  // next to this node if there are any, instead of letting node-gyp download them.
  const args = [...gyp[1], 'rebuild', '--jobs=max'];
  const prefix = join(dirname(process.execPath), '..');
  if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
  const r = spawnSync(gyp[0], args, {
    cwd: nativeDir,
    env: { ...process.env, KIT_BLAS_INCLUDE: include, KIT_BLAS_LIBS: process.env.KIT_BLAS_LIBS ?? '-lopenblas', KIT_DNNL: haveDnnl(arch) ? '1' : '0' },
    encoding: 'utf8',
    timeout: 10 * 60 * 1000,
  });
  mkdirSync(buildDir, { recursive: true });
  writeFileSync(join(buildDir, 'build.log'), `${r.stdout ?? ''}\n${r.stderr ?? ''}`);
  if (r.status !== 0 || !existsSync(addonPath)) {
    return { ok: false, reason: `node-gyp failed (${r.error?.message ?? `exit ${r.status}`}; see src/native/build/build.log)` };
  }
  // Load it once in a child process: a library that links but does not load is no build.
  const check = spawnSync(process.execPath, ['-e', `console.log([require(${JSON.stringify(addonPath)}).info()].map((i) => i.blas + (i.dnnl ? ', ' + i.dnnl : ''))[0])`], { encoding: 'utf8' });
  if (check.status !== 0) return { ok: false, reason: `the addon does not load: ${(check.stderr || '').trim().split('\n')[0]}` };
  return { ok: true, blas: check.stdout.trim() };
}

if (process.env.KIT_SKIP_NATIVE_BUILD === '1') {
  console.log('kit: native CPU kernels: build skipped (KIT_SKIP_NATIVE_BUILD=1)');
  process.exit(0);
}

let result;
try {
  result = build();
} catch (e) {
  result = { ok: false, reason: e.message };
}
if (result.ok) {
  rmSync(notePath, { force: true });
  console.log(`kit: native CPU kernels built (${result.blas})`);
} else {
  // A stale addon from an older build must not outlive a failed one.
  rmSync(addonPath, { force: true });
  mkdirSync(buildDir, { recursive: true });
  writeFileSync(notePath, `${result.reason}\n`);
  console.log(`kit: native CPU kernels not built: ${result.reason}; kit will train on WebAssembly`);
}
process.exit(!result.ok && strict ? 1 : 0);
