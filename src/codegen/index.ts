/** kit's codegen stage: quantized graph -> C project for a board, with its memory plan and sizes. */
export { codegen, type CodegenOptions, type CodegenResult } from './codegen.js';
export { generateC, prepareCodegen, resolveBoard, type GenerateOptions, type Generated, type Prepared } from './generate.js';
export { planMemory, placeIntervals, lowerBound, checkPlan, type MemoryPlan, type Interval, type PlannedTensor } from './memory-plan.js';
export { computeSizes, codeSizes, HARNESS, type SizeReport, type LayerSize } from './sizes.js';
export { measureObjects, type ObjectSizes } from './toolchain.js';
export { modelHash } from './model-hash.js';
export { renderCodegenReport } from './report.js';
export { codegenFigures, type CodegenFigures } from './figures.js';
export { writeCodegenManifest, readCodegenManifest, CODEGEN_MANIFEST, type CodegenManifest } from './codegen-manifest.js';
export { FORMATS, FLASHABLE_FORMATS, parseFormat, libraryName, samplePixels, type ProjectFormat } from './formats.js';
