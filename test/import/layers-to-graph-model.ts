/**
 * A kit-trained TF.js Layers model (the bundled ResNet-8) as tensorflowjs_converter writes the same
 * Keras model as a graph model: Grappler folds each BatchNormalization into the convolution before it
 * and fuses BiasAdd (+ Relu) into _FusedConv2D, Add becomes AddV2 followed by Relu, AveragePooling2D
 * AvgPool, Flatten a Reshape to [-1, N], Dense a _FusedMatMul with BiasAdd. Normalization stays
 * outside the model, as kit's own models have it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readWeights } from './layers-to-onnx.js';
import { fused, ints, str, TfjsGraphBuilder } from './tfjs-graph-builder.js';

interface LayerJson {
  class_name: string;
  config: Record<string, unknown> & { name: string };
  inbound_nodes: [string, number, number, unknown][][];
}

export function layersModelToGraphModel(src: string, dir: string): string {
  const json = JSON.parse(readFileSync(join(src, 'model.json'), 'utf8'));
  const layers = json.modelTopology.config.layers as LayerJson[];
  const weights = readWeights(src, json.weightsManifest);
  const w = (name: string) => weights.get(name)!.data;
  const [, h, wd, c] = layers[0].config.batch_input_shape as number[];
  const b = new TfjsGraphBuilder([h, wd, c], layers[0].config.name);
  const out = new Map<string, string>();
  const byName = new Map(layers.map((l) => [l.config.name, l]));
  const readers = (name: string) => layers.filter((l) => l.inbound_nodes[0]?.some(([s]) => s === name));
  const p = 'StatefulPartitionedCall/model/';
  for (const layer of layers) {
    const { name } = layer.config;
    const ins = (layer.inbound_nodes[0] ?? []).map(([s]) => out.get(s)!);
    switch (layer.class_name) {
      case 'InputLayer':
        out.set(name, name);
        break;
      case 'Conv2D': {
        const kernel = Float32Array.from(w(`${name}/kernel`));
        const co = layer.config.filters as number;
        const bias = Float32Array.from(w(`${name}/bias`));
        // The BatchNormalization reading this conv alone, folded as Grappler does.
        const next = readers(name);
        const bn = next.length === 1 && next[0].class_name === 'BatchNormalization' ? next[0] : undefined;
        if (bn) {
          const n = bn.config.name;
          const eps = bn.config.epsilon as number;
          for (let o = 0; o < co; o++) {
            const k = w(`${n}/gamma`)[o] / Math.sqrt(w(`${n}/moving_variance`)[o] + eps);
            for (let i = o; i < kernel.length; i += co) kernel[i] *= k;
            bias[o] = (bias[o] - w(`${n}/moving_mean`)[o]) * k + w(`${n}/beta`)[o];
          }
        }
        const relu = bn && readers(bn.config.name).length === 1 && byName.get(readers(bn.config.name)[0].config.name)!.class_name === 'ReLU' ? readers(bn.config.name)[0] : undefined;
        const [s] = layer.config.strides as number[];
        const shape = weights.get(`${name}/kernel`)!.shape;
        const y = b.node(`${p}${(relu ?? bn ?? layer).config.name}/${relu ? 'Relu' : 'BiasAdd'}`, '_FusedConv2D', [ins[0], b.const(`${p}${name}/Conv2D/ReadVariableOp`, shape, kernel), b.const(`${p}${name}/BiasAdd/ReadVariableOp`, [co], bias)], {
          strides: ints([1, s, s, 1]), padding: str((layer.config.padding as string).toUpperCase()), data_format: str('NHWC'), dilations: ints([1, 1, 1, 1]),
          explicit_paddings: { list: {} }, num_args: { i: '1' }, fused_ops: relu ? fused('BiasAdd', 'Relu') : fused('BiasAdd'),
        });
        for (const l of [layer, bn, relu]) if (l) out.set(l.config.name, y);
        break;
      }
      case 'BatchNormalization':
      case 'ReLU':
        if (!out.has(name)) {
          if (layer.class_name === 'BatchNormalization') throw new Error(`${name}: a BatchNormalization that does not follow a conv`);
          out.set(name, b.node(`${p}${name}/Relu`, 'Relu', ins));
        }
        break;
      case 'Add':
        out.set(name, b.node(`${p}${name}/add`, 'AddV2', ins));
        break;
      case 'AveragePooling2D': {
        const [k] = layer.config.pool_size as number[];
        const [s] = layer.config.strides as number[];
        out.set(name, b.node(`${p}${name}/AvgPool`, 'AvgPool', ins, { ksize: ints([1, k, k, 1]), strides: ints([1, s, s, 1]), padding: str('VALID'), data_format: str('NHWC') }));
        break;
      }
      case 'Flatten': {
        const units = weights.get(`${readers(name)[0].config.name}/kernel`)!.shape[0];
        out.set(name, b.node(`${p}${name}/Reshape`, 'Reshape', [ins[0], b.const(`${p}${name}/Const`, [2], [-1, units], 'int32')]));
        break;
      }
      case 'Dense': {
        const shape = weights.get(`${name}/kernel`)!.shape;
        out.set(name, b.node(`${p}${name}/BiasAdd`, '_FusedMatMul', [ins[0], b.const(`${p}${name}/MatMul/ReadVariableOp`, shape, w(`${name}/kernel`)), b.const(`${p}${name}/BiasAdd/ReadVariableOp`, [shape[1]], w(`${name}/bias`))], {
          transpose_a: { b: false }, transpose_b: { b: false }, fused_ops: fused('BiasAdd'), num_args: { i: '1' },
        }));
        break;
      }
      default:
        throw new Error(`layer ${name} (${layer.class_name}) is not written as a graph model by this test helper`);
    }
  }
  b.node('Identity', 'Identity', [out.get(layers.at(-1)!.config.name)!]);
  return b.write(dir, 'Identity');
}
