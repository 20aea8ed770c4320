/**
 * A kit-trained TF.js Layers model (model.json + float32 shard) written as the ONNX graph
 * torch.onnx.export writes for the same network rebuilt in PyTorch (scripts/pytorch/export-resnet8-onnx.py):
 * NCHW, the normalization inside as Sub/Div by [1, 3, 1, 1] constants, Conv + BatchNormalization +
 * Relu, a stride-2 'same' convolution as Pad (bottom/right) + Conv without pads (Keras' padding, which
 * PyTorch's symmetric padding would not reproduce), Add, AveragePool, Flatten, Gemm (transB).
 * Written here with the protobuf package so the tests need no PyTorch.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OnnxBuilder } from './onnx-builder.js';

interface LayerJson {
  class_name: string;
  config: Record<string, unknown> & { name: string };
  inbound_nodes: [string, number, number, unknown][][];
}

/** name -> { shape, data } from model.json's weightsManifest. */
export function readWeights(dir: string, manifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[]) {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const group of manifest) {
    const bytes = Buffer.concat(group.paths.map((p) => readFileSync(join(dir, p))));
    const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    let offset = 0;
    for (const w of group.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      out.set(w.name, { shape: w.shape, data: all.slice(offset, offset + n) });
      offset += n;
    }
  }
  return out;
}

/** HWIO -> OIHW. */
function hwioToOihw(w: Float32Array, [kh, kw, ci, co]: number[]): Float32Array {
  const out = new Float32Array(w.length);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) {
    out[((o * ci + i) * kh + y) * kw + x] = w[((y * kw + x) * ci + i) * co + o];
  }
  return out;
}

/**
 * F.pad's list (last axis first: left, right, top, bottom) as torch.onnx.export (opset 13) turns it
 * into ONNX's pads [begin of each axis..., end of each axis...]: with shape arithmetic in the graph.
 */
function torchPads(b: OnnxBuilder, list: number[]): string {
  const zeros = b.node('ConstantOfShape', [b.constant([1], [8 - list.length], true)], { value: { tensor: { dims: [1], dataType: 7, int64Data: [0] } } });
  const pairs = b.node('Reshape', [b.node('Concat', [b.constant([list.length], list, true), zeros], { axis: 0 }), b.constant([2], [-1, 2], true)]);
  const reversed = b.node('Slice', [pairs, b.constant([1], [-1], true), b.constant([1], [-(2 ** 53)], true), b.constant([1], [0], true), b.constant([1], [-1], true)]);
  const flat = b.node('Reshape', [b.node('Transpose', [reversed], { perm: [1, 0] }), b.constant([1], [-1], true)]);
  return b.node('Cast', [flat], { to: 7 });
}

export function layersModelToOnnx(dir: string, normalization: { mean: number[]; std: number[] }, opset = 13): { bytes: Uint8Array; size: number } {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const layers = json.modelTopology.config.layers as LayerJson[];
  const weights = readWeights(dir, json.weightsManifest);
  const w = (name: string) => weights.get(name)!;
  const [, size, , channels] = layers[0].config.batch_input_shape as number[];
  const b = new OnnxBuilder([1, channels, size, size], opset, 'image');
  const out = new Map<string, string>();
  const spatial = new Map<string, number>();
  for (const layer of layers) {
    const { name } = layer.config;
    const ins = (layer.inbound_nodes[0] ?? []).map(([src]) => out.get(src)!);
    const inSize = spatial.get(layer.inbound_nodes[0]?.[0]?.[0] ?? '') ?? size;
    let y: string;
    let ySize = inSize;
    switch (layer.class_name) {
      case 'InputLayer':
        y = b.node('Div', [b.node('Sub', ['image', b.init([1, channels, 1, 1], normalization.mean)]), b.init([1, channels, 1, 1], normalization.std)]);
        break;
      case 'Conv2D': {
        const kernel = w(`${name}/kernel`);
        const [kh, kw, ci, co] = kernel.shape;
        const [stride] = layer.config.strides as number[];
        const inputs = [ins[0], b.init([co, ci, kh, kw], hwioToOihw(kernel.data, kernel.shape)), b.init([co], w(`${name}/bias`).data)];
        if (layer.config.padding !== 'same' || kh !== kw) throw new Error(`${name}: only square 'same' convolutions are written`);
        ySize = Math.ceil(inSize / stride);
        const total = Math.max((ySize - 1) * stride + kh - inSize, 0);
        const before = Math.floor(total / 2);
        if (before === total - before) {
          y = b.node('Conv', inputs, { kernel_shape: [kh, kw], strides: [stride, stride], pads: [before, before, before, before] });
        } else {
          // nn.ZeroPad2d((0, 1, 0, 1)) before the convolution: what Keras' 'same' does at stride 2.
          inputs[0] = b.node('Pad', [ins[0], torchPads(b, [before, total - before, before, total - before]), b.constant([], [0])]);
          y = b.node('Conv', inputs, { kernel_shape: [kh, kw], strides: [stride, stride], pads: [0, 0, 0, 0] });
        }
        break;
      }
      case 'BatchNormalization':
        y = b.node('BatchNormalization', [ins[0], ...['gamma', 'beta', 'moving_mean', 'moving_variance'].map((k) => b.init([w(`${name}/${k}`).data.length], w(`${name}/${k}`).data))], { epsilon: layer.config.epsilon as number });
        break;
      case 'ReLU':
        y = b.node('Relu', ins);
        break;
      case 'Add':
        y = b.node('Add', ins);
        break;
      case 'AveragePooling2D': {
        const [k] = layer.config.pool_size as number[];
        const [s] = layer.config.strides as number[];
        y = b.node('AveragePool', ins, { kernel_shape: [k, k], strides: [s, s] });
        ySize = Math.floor((inSize - k) / s) + 1;
        break;
      }
      case 'Flatten':
        y = b.node('Flatten', ins, { axis: 1 });
        break;
      case 'Dense': {
        const kernel = w(`${name}/kernel`);
        const [inUnits, units] = kernel.shape;
        const t = new Float32Array(kernel.data.length);
        for (let i = 0; i < inUnits; i++) for (let o = 0; o < units; o++) t[o * inUnits + i] = kernel.data[i * units + o];
        y = b.node('Gemm', [ins[0], b.init([units, inUnits], t), b.init([units], w(`${name}/bias`).data)], { transB: 1 });
        break;
      }
      default:
        throw new Error(`layer ${name} (${layer.class_name}) is not written to ONNX by this test helper`);
    }
    out.set(name, y);
    spatial.set(name, ySize);
  }
  return { bytes: b.encode(out.get(layers.at(-1)!.config.name)!), size };
}
