#!/usr/bin/env node
import { Command } from 'commander';
import { KIT_VERSION } from '../version.js';
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

const program = new Command();
program
  .name('kit')
  .description('train a ResNet, quantize it to integers, generate C for a microcontroller, verify it on the board')
  .version(KIT_VERSION)
  .showHelpAfterError('(run kit --help for usage)');

registerData(program);
registerModels(program);
registerTrain(program);
registerQuantize(program);
registerImport(program);
registerExport(program);
registerCodegen(program);
registerFlash(program);
registerVerify(program);
registerDoctor(program);

await program.parseAsync(process.argv);
