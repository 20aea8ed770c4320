import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { addInputSpecOptions, parseClassNames, parseNormalization, type InputSpecFlags } from '../../data/input-spec.js';
import { KitError } from '../../errors.js';
import { importOnnx } from '../../import/onnx/index.js';
import { importTfjs, tfjsModelDir } from '../../import/tfjs/index.js';
import { importTflite, renderImportSummary, saveImported } from '../../import/tflite/import-model.js';
import { examples, jsonOption, output, type JsonFlag } from '../output.js';
import { runCommand } from '../run-command.js';
import { probeFolder } from '../../util/atomic-folder.js';

interface ImportFlags extends JsonFlag, InputSpecFlags {
  out?: string;
}

/** An int8 .tflite is already quantized: it becomes the folder kit quantize would have written. */
async function importTfliteFile(file: string, flags: ImportFlags): Promise<void> {
  const doc = output(flags);
  const dir = flags.out ?? file.replace(/\.tflite$/i, '') + (file.toLowerCase().endsWith('.tflite') ? '' : '-kit');
  probeFolder(dir, 'import');
  const result = await importTflite(file);
  await saveImported(dir, file, result);
  doc.text(renderImportSummary(result.summary));
  doc.text(`quantized model written to ${dir}; next: kit codegen ${dir} --board qemu-cortex-m4`);
  doc.result({ out: dir, ...result.summary });
}

/** What a float model does not say and kit needs: the input normalization (required) and class names. */
function floatModelFacts(file: string, flags: ImportFlags) {
  // The channel count is the model's, known only once it is read: one value per list stands for
  // every channel, and the importer checks a longer list against the model's input.
  const counts = [flags.mean, flags.std].map((v) => (v === undefined ? 1 : v.split(',').length));
  const normalization = parseNormalization(flags, Math.max(...counts));
  if (!normalization) {
    throw new KitError('bad-option', 'cli', `importing ${file} needs --mean and --std, or --scale (the normalization the model expects of its input)`, 'e.g. --mean 0.4914,0.4822,0.4465 --std 0.247,0.243,0.261, or --scale 1/255 if the model normalizes values 0..1 itself');
  }
  return { normalization, classes: parseClassNames(flags.classes) };
}

/** A float ONNX model becomes a float graph that kit quantize takes like a trained model. */
async function importOnnxFile(file: string, flags: ImportFlags): Promise<void> {
  const facts = floatModelFacts(file, flags);
  const out = flags.out ?? join(dirname(file), basename(file, extname(file)));
  const doc = output(flags);
  probeFolder(out, 'import');
  const { graph, meta } = await importOnnx(file, out, facts);
  doc.text(`imported ${graph.nodes.length} kit nodes from ${file} into ${out}; next: kit quantize ${out}`);
  doc.result({ out, nodes: graph.nodes.map((n) => ({ name: n.name, op: n.op, fused: n.fused ?? [] })), ...meta });
}

/** A TensorFlow.js graph model, or a Layers model kit train did not write, the same way. */
async function importTfjsFile(path: string, flags: ImportFlags): Promise<void> {
  const facts = floatModelFacts(path, flags);
  const dir = tfjsModelDir(path);
  const out = flags.out ?? join(dir, 'kit');
  const doc = output(flags);
  probeFolder(out, 'import');
  const { graph, meta } = await importTfjs(path, out, facts);
  doc.text(`imported ${graph.nodes.length} kit nodes from the ${meta.format} in ${dir} into ${out}; next: kit quantize ${out}`);
  doc.result({ out, nodes: graph.nodes.map((n) => ({ name: n.name, op: n.op, fused: n.fused ?? [] })), ...meta });
}

export function registerImport(program: Command): void {
  const cmd = program
    .command('import')
    .description('import a model: an int8 .tflite into the quantized folder kit codegen takes, or a float .onnx or TensorFlow.js model into a folder kit quantize takes')
    .argument('<model>', 'a .tflite file (int8 activations and weights, int32 biases; float32 input/output around QUANTIZE/DEQUANTIZE accepted), an .onnx file (float, opset 11 to 20, NCHW image input), or a TensorFlow.js graph or Layers model (its model.json or folder)')
    .option('-o, --out <dir>', 'output folder (default: beside the model, named after it)')
    .addOption(jsonOption());
  // --mean/--std/--scale/--classes: ONNX and TensorFlow.js models (a .tflite carries its own).
  addInputSpecOptions(cmd)
    .addHelpText(
      'after',
      examples(
        'kit import vww.tflite --out vww && kit codegen vww --board qemu-cortex-m4',
        'kit import tiny.onnx --mean 0.4914,0.4822,0.4465 --std 0.247,0.243,0.261 --classes airplane,automobile,bird,cat,deer,dog,frog,horse,ship,truck',
        'kit import web_model/model.json --scale 1 --classes cat,dog --out pets',
      ),
    )
    .action(
      runCommand(async (file: string, flags: ImportFlags) => {
        const ext = extname(file).toLowerCase();
        if (ext === '.tflite') return importTfliteFile(file, flags);
        if (ext === '.onnx') return importOnnxFile(file, flags);
        if (ext === '.json' || (existsSync(file) && statSync(file).isDirectory())) return importTfjsFile(file, flags);
        throw new KitError('import-format', 'cli', `${file}: kit import reads .tflite (int8) and .onnx (float) files, and TensorFlow.js models (model.json or its folder)`, 'rename the file to its format\'s extension, or convert it to one of them');
      }),
    );
}
