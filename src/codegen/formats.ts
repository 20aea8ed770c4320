/**
 * Project formats of `kit codegen --format`: the same generated C, laid out and described for the
 * build system a user already has. `c` (the default) is the flat folder kit flash and kit verify
 * build; the others add what CMake, ESP-IDF, the Arduino IDE or PlatformIO need to take the model
 * as it is. Everything here is rendered before any file is written, like the C itself.
 */
import { join } from 'node:path';
import { KitError } from '../errors.js';
import { loadBoard } from '../device/boards.js';
import { partitionsCsv, planPartitions } from '../device/esp-idf/partitions.js';
import { numElements } from '../ir/graph.js';
import { Interpreter } from '../ir/interpreter.js';
import { kitVersion } from '../ir/kit-version.js';
import { cArrayBody, cIdentifier } from './c-format.js';
import type { Prepared } from './generate.js';
import { arrayBytes } from './sizes.js';
import type { Templates } from './templates.js';

export const FORMATS = ['c', 'cmake', 'esp-idf-component', 'arduino', 'platformio'] as const;
export type ProjectFormat = (typeof FORMATS)[number];

/** The formats whose model files sit flat at the top of the folder, where kit flash looks for them. */
export const FLASHABLE_FORMATS: readonly ProjectFormat[] = ['c', 'cmake', 'esp-idf-component'];

export function parseFormat(name: string): ProjectFormat {
  if ((FORMATS as readonly string[]).includes(name)) return name as ProjectFormat;
  throw new KitError('usage', 'codegen', `unknown project format "${name}"`, `one of ${FORMATS.join(', ')}`);
}

/** Where the model's C files go inside the output folder (Arduino and PlatformIO compile src/). */
export function modelSubdir(format: ProjectFormat): string {
  return format === 'arduino' || format === 'platformio' ? 'src' : '';
}

/** kit_<model>: the library, target and component name ("resnet-seed" -> "kit_resnet_seed"). */
export function libraryName(modelName: string): string {
  return `kit_${cIdentifier(modelName).toLowerCase()}`.replace(/_+/g, '_');
}

/**
 * The sample input of the examples: a fixed pattern, not a photo. What the examples check is that
 * the board's logits are the interpreter's, byte for byte.
 */
export function samplePixels(bytes: number): Uint8Array {
  const pixels = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) pixels[i] = (29 * i + 7) & 0xff;
  return pixels;
}

/** The boards the PlatformIO project's envs are sized for: esp32dev and esp32-c3-devkitm-1 both carry 4 MB of flash. */
const PLATFORMIO_SIZING_BOARD = 'esp32';

/** The files a format adds to the model's C, path (relative to the output folder) -> text. */
export function renderFormat(format: ProjectFormat, p: Prepared, templates: Templates, modelFiles: string[]): Map<string, string> {
  const files = new Map<string, string>();
  if (format === 'c') return files;
  const lib = libraryName(p.modelName);
  const input = p.graph.tensors[p.graph.inputs[0]];
  const output = p.graph.tensors[p.graph.outputs[0]];
  const ctx = {
    lib,
    upperLib: lib.toUpperCase(),
    name: lib.slice('kit_'.length),
    modelName: p.modelName,
    scheme: p.graph.scheme ?? 'quantized',
    version: kitVersion(),
    hash: p.hash,
    sources: modelFiles.filter((f) => f.endsWith('.c')).sort(),
    arenaBytes: p.plan.arenaBytes,
    weightBytes: p.layers.reduce((s, l) => s + l.arrays.reduce((t, a) => t + arrayBytes(a), 0), 0),
    inputBytes: numElements(input.shape),
    outputBytes: numElements(output.shape),
  };
  const sample = () => {
    const pixels = samplePixels(ctx.inputBytes);
    const logits = new Interpreter(p.graph).run(pixels);
    const bytes = Uint8Array.from(logits, (v) => v & 0xff);
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    return templates.render('formats/kit_sample.h.hbs', { ...ctx, pixels: cArrayBody(pixels, 16), logits: cArrayBody(bytes, 16), outputType: output.dtype, expectedClass: best });
  };
  switch (format) {
    case 'cmake':
      files.set('CMakeLists.txt', templates.render('formats/CMakeLists.cmake.hbs', ctx));
      break;
    case 'esp-idf-component':
      files.set('CMakeLists.txt', templates.render('formats/esp-idf-component.cmake.hbs', ctx));
      files.set('idf_component.yml', templates.render('formats/idf_component.yml.hbs', ctx));
      break;
    case 'arduino': {
      const example = `${lib}_example`;
      files.set('library.properties', templates.render('formats/library.properties.hbs', { ...ctx, url: '' }));
      files.set(join('src', `${lib}.h`), templates.render('formats/library-header.h.hbs', ctx));
      files.set(join('examples', example, `${example}.ino`), templates.render('formats/sketch.ino.hbs', { ...ctx, example }));
      files.set(join('examples', example, 'kit_sample.h'), sample());
      break;
    }
    case 'platformio': {
      // Refused when too big for the 4 MB of flash both envs' boards carry; the app gets all of it,
      // since the Arduino core's share is larger than ESP-IDF's (which is what the allowance is for).
      const plan = planPartitions(loadBoard(PLATFORMIO_SIZING_BOARD), p.sizes.flash.total, { fillFlash: true });
      files.set('platformio.ini', templates.render('formats/platformio.ini.hbs', { ...ctx, appBytes: plan.appBytes.toLocaleString('en-US') }));
      files.set('partitions.csv', partitionsCsv(plan, 'esp32dev and esp32-c3-devkitm-1', 'kit codegen --format platformio'));
      files.set('sdkconfig.defaults', templates.render('formats/platformio-sdkconfig.defaults.hbs', ctx));
      files.set('CMakeLists.txt', templates.render('formats/platformio-project.cmake.hbs', ctx));
      files.set(join('src', 'CMakeLists.txt'), templates.render('formats/platformio-src.cmake.hbs', ctx));
      files.set(join('src', 'main.cpp'), templates.render('formats/platformio-main.cpp.hbs', ctx));
      files.set(join('src', 'kit_sample.h'), sample());
      break;
    }
  }
  return files;
}
