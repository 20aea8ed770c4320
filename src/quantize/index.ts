/** kit's quantize stage: the functions the CLI and later stages use. */
export { quantizeModel, quantizeLayersModel, type QuantizeModelOptions, type QuantizeOptions, type QuantizeResult, type QuantizeModelResult } from './quantize-model.js';
export { evaluateQuantized, evaluateGraph, compareGraphs, argmax, type EvaluationResult, type Comparison } from './evaluate.js';
export { saveQuantized, loadQuantized, loadFloatGraph, loadReport, REPORT_FILE, type QuantizedMeta } from './artefact.js';
export { renderReport, buildReport, type QuantizationReport, type LayerReport } from './report.js';
export { CALIBRATION_METHODS, DEFAULT_PERCENTILE, type CalibrationMethod } from './calibrate.js';
export { SCHEME_NAMES, getScheme, type SchemeName } from './schemes.js';
export type { ImageSet, LabelledSet, Progress, ProgressFn } from './types.js';
export { Interpreter, runBatch } from '../ir/interpreter.js';
