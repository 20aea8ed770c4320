/**
 * `kit codegen QUANTIZED_DIR --board B --out DIR`: generate the C project, then (when the board's
 * cross compiler is installed) compile it to measure the code exactly, build the firmware to measure
 * the harness's flash, RAM and stack, and re-check the budget; kit-codegen.json records the result.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { relocate, replaceFolder } from '../util/atomic-folder.js';
import { writeCodegenManifest } from './codegen-manifest.js';
import { codegenFigures, type CodegenFigures } from './figures.js';
import type { ProjectFormat } from './formats.js';
import { ioBytes, ownedByCodegen, prepareGenerate, writeProject, type GenerateOptions, type Generated } from './generate.js';
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
  const projectDir = resolve(options.outDir);
  const first = await prepareGenerate(base);
  // The project, its measurements and kit-codegen.json are written into a temporary folder that
  // replaces the old project only when all of it is there (src/util/atomic-folder.ts).
  return replaceFolder(projectDir, { stage: 'codegen', owns: ownedByCodegen }, async (tmp) => {
    let gen = writeProject(first.prepared, first.templates, tmp, first.format);
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
        if (moved) {
          const again = await prepareGenerate({ ...base, code, harness });
          gen = writeProject(again.prepared, again.templates, tmp, again.format);
        }
        sizes = { ...measured.report, flash: { ...measured.report.flash, measuredConstants: objects.rodata + objects.regionConstants } };
      }
    } finally {
      rmSync(objectsDir, { recursive: true, force: true });
    }
    const final: Generated = { ...gen, outDir: relocate(gen.outDir, tmp, projectDir), projectDir, files: gen.files.map((f) => relocate(f, tmp, projectDir)) };
    const figures = codegenFigures(final, sizes);
    writeCodegenManifest(tmp, {
      board: sizes.board,
      quantizedDir: options.quantizedDir,
      modelHash: final.hash,
      arenaBytes: final.plan.arenaBytes,
      flashBytes: sizes.flash.total,
      ramBytes: sizes.ram.total,
      layout: final.format,
      figures,
    });
    return { files: final.files, plan: final.plan, sizes, hash: final.hash, generated: final, report: () => renderCodegenReport(final, sizes, final.projectDir), figures: () => figures };
  });
}
