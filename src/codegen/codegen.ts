/**
 * `kit codegen QUANTIZED_DIR --board B --out DIR`: generate the C project, then (when the board's
 * cross compiler is installed) compile it to measure the code exactly, build the firmware to measure
 * the harness's flash, RAM and stack, and re-check the budget.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codegenFigures, type CodegenFigures } from './figures.js';
import type { ProjectFormat } from './formats.js';
import { generateC, ioBytes, type GenerateOptions, type Generated } from './generate.js';
import type { MemoryPlan } from './memory-plan.js';
import { renderCodegenReport } from './report.js';
import { codeSizes, computeSizes, type SizeReport, tooLarge } from './sizes.js';
import { measureHarness } from './harness-size.js';
import { measureObjects } from './toolchain.js';

export interface CodegenOptions {
  quantizedDir: string;
  board: string;
  outDir: string;
  modelName?: string;
  /** Project layout (formats.ts); default 'c'. */
  format?: ProjectFormat;
  /** Compile with the board's toolchain to measure code (default true; skipped when it is missing). */
  measure?: boolean;
  /** false: the layer-by-layer plan, no fusion or in-place outputs (default true). */
  fuse?: boolean;
}

export interface CodegenResult {
  /** Absolute paths of the generated files. */
  files: string[];
  plan: MemoryPlan;
  sizes: SizeReport;
  /** The model hash (banner and kit_model_hash). */
  hash: string;
  generated: Generated;
  report(): string;
  /** The report's figures as data (kit codegen --json, kit-codegen.json). */
  figures(): CodegenFigures;
}

export async function codegen(options: CodegenOptions): Promise<CodegenResult> {
  const base: GenerateOptions = { quantizedDir: options.quantizedDir, board: options.board, outDir: options.outDir, modelName: options.modelName, format: options.format, fuse: options.fuse };
  let gen = await generateC(base);
  let sizes = gen.sizes;
  const objectsDir = mkdtempSync(join(tmpdir(), 'kit-codegen-objects-'));
  try {
    const objects = options.measure === false ? undefined : await measureObjects(gen.board, gen.outDir, [], objectsDir);
    if (objects) {
      const code = codeSizes(gen.layers, gen.kernelNames, objects);
      const harness = await measureHarness(gen.board, gen.outDir, objects, objectsDir);
      const measured = computeSizes(gen.board, gen.layers, gen.plan, code, gen.kernelNames, ioBytes(gen.graph), harness);
      if (!measured.report.fits) throw tooLarge(gen.modelName, measured.report, []);
      const moved = [...measured.placement.arraySections.keys()].join() !== [...gen.placement.arraySections.keys()].join() || measured.placement.arenaSection !== gen.placement.arenaSection;
      // Measured sizes moved the boundary between flash and a region: write the files again to match.
      if (moved) gen = await generateC({ ...base, code, harness });
      sizes = { ...measured.report, flash: { ...measured.report.flash, measuredConstants: objects.rodata + objects.regionConstants } };
    }
  } finally {
    rmSync(objectsDir, { recursive: true, force: true });
  }
  const final = gen;
  return { files: final.files, plan: final.plan, sizes, hash: final.hash, generated: final, report: () => renderCodegenReport(final, sizes, final.projectDir), figures: () => codegenFigures(final, sizes) };
}
