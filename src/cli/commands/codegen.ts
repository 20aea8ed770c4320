import { type Command, Option } from 'commander';
import { codegen, FORMATS, libraryName, type ProjectFormat } from '../../codegen/index.js';
import { probeFolder } from '../../util/atomic-folder.js';
import { examples, jsonOption, output, type JsonFlag } from '../output.js';
import { runCommand } from '../run-command.js';

export function registerCodegen(program: Command): void {
  program
    .command('codegen')
    .description('generate a C project for a board: weights, fixed-point kernels, a static memory plan, exact sizes')
    .argument('<quantized>', 'a folder written by kit quantize')
    .requiredOption('-b, --board <name>', 'target board (boards/<name>.json), e.g. qemu-cortex-m4, esp32, host')
    .option('-o, --out <dir>', 'output folder (default <quantized>/c-<board>, or <quantized>/<format>-<board>)')
    .addOption(
      new Option('-f, --format <format>', 'project layout: the flat C folder kit flash builds, a CMake library, an ESP-IDF component, an Arduino library with an example sketch, or a PlatformIO project')
        .choices([...FORMATS])
        .default('c'),
    )
    .option('--no-fuse', 'layer by layer: no fused residual blocks and no outputs written over inputs (a larger arena; for comparison)')
    .addOption(jsonOption())
    .addHelpText('after', examples('kit codegen runs/resnet8/int8 --board qemu-cortex-m4', 'kit codegen runs/resnet8/int8 --board esp32 --format esp-idf-component', 'kit codegen runs/resnet8/int8 --board esp32 --json | jq .ram'))
    .action(
      runCommand(async (quantizedDir: string, flags: { board: string; out?: string; format: ProjectFormat; fuse: boolean } & JsonFlag) => {
        const out = output(flags);
        const base = quantizedDir.replace(/\/+$/, '');
        const outDir = flags.out ?? (flags.format === 'c' ? `${base}/c-${flags.board}` : `${base}/${flags.format}-${flags.board}`);
        // Before the compilers run: an --out that cannot be written is one line now, not after.
        probeFolder(outDir, 'codegen');
        const result = await codegen({ quantizedDir, board: flags.board, outDir, format: flags.format, fuse: flags.fuse });
        const figures = result.figures();
        out.text(result.report());
        out.text(NEXT[flags.format](outDir, libraryName(result.generated.modelName)));
        out.result({ out: outDir, format: flags.format, ...figures });
      }),
    );
}

/** What to do with each format's folder. */
const NEXT: Record<ProjectFormat, (dir: string, lib: string) => string> = {
  c: (dir) => `C project written to ${dir}; next: kit flash ${dir}`,
  cmake: (dir, lib) => `CMake library written to ${dir}: add_subdirectory() it and link target ${lib}; kit flash ${dir} works too`,
  'esp-idf-component': (dir, lib) => `ESP-IDF component written to ${dir}: put it in an app as components/${lib} (a component is named after its folder); kit flash ${dir} works too`,
  arduino: (dir, lib) => `Arduino library written to ${dir}: copy it to libraries/${lib} in your sketchbook and open File > Examples > ${lib}`,
  platformio: (dir) => `PlatformIO project written to ${dir}: pio run -d ${dir} -e esp32dev-arduino -t upload -t monitor`,
};
