/**
 * Writes TensorFlow.js graph models in the format tensorflowjs_converter gives a Keras model
 * (`--input_format=keras_saved_model`, Grappler's fusions applied): model.json with format
 * 'graph-model', the GraphDef's nodes in JSON (strings base64, int64 as strings), every constant a
 * 'Const' node whose value sits in the weights manifest, and one weight shard.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TfAttr, TfNode } from '../../src/import/tfjs/graph-model.js';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
export const str = (s: string): TfAttr => ({ s: b64(s) });
export const ints = (xs: number[]): TfAttr => ({ list: { i: xs.map(String) } });
export const fused = (...ops: string[]): TfAttr => ({ list: { s: ops.map(b64) } });
const T = { type: 'DT_FLOAT' };

export class TfjsGraphBuilder {
  readonly nodes: TfNode[] = [];
  private readonly specs: { name: string; shape: number[]; dtype: 'float32' | 'int32' }[] = [];
  private readonly chunks: Uint8Array[] = [];

  constructor(readonly shape: number[], readonly inputName = 'input_1') {
    this.nodes.push({ name: inputName, op: 'Placeholder', attr: { dtype: T, shape: { shape: { dim: [-1, ...shape].map((d) => ({ size: String(d) })) } } } });
  }

  const(name: string, shape: number[], data: ArrayLike<number>, dtype: 'float32' | 'int32' = 'float32'): string {
    const dt = { type: dtype === 'float32' ? 'DT_FLOAT' : 'DT_INT32' };
    this.nodes.push({ name, op: 'Const', attr: { value: { tensor: { dtype: dt.type, tensorShape: { dim: shape.map((d) => ({ size: String(d) })) } } } as TfAttr, dtype: dt } });
    this.specs.push({ name, shape, dtype });
    const arr = dtype === 'float32' ? Float32Array.from(data) : Int32Array.from(data);
    this.chunks.push(new Uint8Array(arr.buffer));
    return name;
  }

  node(name: string, op: string, input: string[], attr: Record<string, TfAttr> = {}): string {
    this.nodes.push({ name, op, input, attr: { T, ...attr } });
    return name;
  }

  /** model.json + group1-shard1of1.bin in `dir`, with `output` as the signature's output. */
  write(dir: string, output: string): string {
    mkdirSync(dir, { recursive: true });
    const tensorShape = { dim: [-1, ...this.shape].map((d) => ({ size: String(d) })) };
    const json = {
      format: 'graph-model',
      generatedBy: '2.15.0',
      convertedBy: 'TensorFlow.js Converter v4.22.0',
      signature: {
        inputs: { [this.inputName]: { name: `${this.inputName}:0`, dtype: 'DT_FLOAT', tensorShape } },
        outputs: { output_0: { name: `${output}:0`, dtype: 'DT_FLOAT' } },
      },
      modelTopology: { node: this.nodes, library: {}, versions: { producer: 1645 } },
      weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: this.specs }],
    };
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    writeFileSync(join(dir, 'group1-shard1of1.bin'), Buffer.concat(this.chunks));
    return dir;
  }
}
