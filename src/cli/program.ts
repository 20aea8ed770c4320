/** The kit command line: every command, registered on one commander program (main.ts runs it; tests read its help). */
import { Command } from 'commander';
import { KIT_VERSION } from '../version.js';
import { examples } from './output.js';
import { registerCodegen } from './commands/codegen.js';
import { registerData } from './commands/data.js';
import { registerDoctor } from './commands/doctor.js';
import { registerExport } from './commands/export.js';
import { registerImport } from './commands/import.js';
import { registerModels } from './commands/models.js';
import { registerQuantize } from './commands/quantize.js';
import { registerTrain } from './commands/train.js';
import { registerFlash } from './commands/flash.js';
import { registerVerify } from './commands/verify.js';
import { registerReport } from './commands/report.js';
import { registerSetup } from './commands/setup.js';

export function createProgram(): Command {
  const program = new Command();
  program
    .name('kit')
    .description('train a ResNet, quantize it to integers, generate C for a microcontroller, verify it on the board')
    .version(KIT_VERSION)
    .showHelpAfterError('(run kit --help for usage)')
    .addHelpText('after', examples('kit setup', 'kit quantize runs/resnet8 --scheme int8 && kit codegen runs/resnet8/int8 --board qemu-cortex-m4', 'kit verify runs/resnet8/int8/c-qemu-cortex-m4 --json | jq .agreement'));

  registerData(program);
  registerModels(program);
  registerTrain(program);
  registerImport(program);
  registerQuantize(program);
  registerExport(program);
  registerCodegen(program);
  registerFlash(program);
  registerVerify(program);
  registerReport(program);
  registerDoctor(program);
  registerSetup(program);
  return program;
}
