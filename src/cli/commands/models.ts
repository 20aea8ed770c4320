import type { Command } from 'commander';
import { MODELS, getModelSpec } from '../../models/registry.js';
import { summarizeModel } from '../../models/summary.js';
import { formatBytes, formatCount } from '../../util/format.js';
import { selectBackend } from '../../train/backend/select-backend.js';
import { examples, jsonOption, output, type JsonFlag } from '../output.js';
import { runCommand } from '../run-command.js';

export function registerModels(program: Command): void {
  program
    .command('models')
    .description('list the models kit can train, with parameters, MACs and weight sizes')
    .addOption(jsonOption())
    .addHelpText('after', examples('kit models', 'kit models --json'))
    .action(
      runCommand(async (flags: JsonFlag) => {
        const out = output(flags);
        await selectBackend('auto');
        const models = [];
        for (const name of Object.keys(MODELS)) {
          const spec = getModelSpec(name);
          const s = summarizeModel(spec.build(1));
          const r = spec.recipe;
          out.text(
            `${name.padEnd(12)} ${s.params.toLocaleString('en-US').padStart(11)} params ${formatCount(s.macs).padStart(8)}MACs ` +
              `${formatBytes(s.floatBytes).padStart(10)} float ${formatBytes(s.int8Bytes).padStart(10)} int8  ` +
              `recipe: Adam ${r.lr} ${r.schedule}, batch ${r.batch}, ${r.epochs} epochs\n    ${spec.description}`,
          );
          models.push({ name, description: spec.description, params: s.params, macs: s.macs, floatBytes: s.floatBytes, int8Bytes: s.int8Bytes, recipe: r });
        }
        out.result({ models });
      }),
    );
}
