import type { Graph } from '../../ir/graph.js';
import { Interpreter } from '../../ir/interpreter.js';
import { argmax } from '../../quantize/evaluate.js';
import { IMAGE_BYTES, type LabelledImages } from '../../data/types.js';

export interface HostReference {
  /** Integer logits of every image, as bytes (int8 reinterpreted), image after image. */
  logits: Uint8Array;
  outputBytes: number;
  intClass: Uint8Array;
  /** Float model's class per image, when the float graph is available. */
  floatClass?: Uint8Array;
}

/** What the board must reproduce: the integer reference interpreter's logits for every image. */
export function hostReference(graph: Graph, floatGraph: Graph | undefined, set: LabelledImages, onProgress?: (done: number, total: number) => void): HostReference {
  const interp = new Interpreter(graph);
  const floatInterp = floatGraph && new Interpreter(floatGraph);
  let outputBytes = 0;
  let logits = new Uint8Array(0);
  const intClass = new Uint8Array(set.count);
  const floatClass = floatInterp ? new Uint8Array(set.count) : undefined;
  for (let i = 0; i < set.count; i++) {
    const image = set.images.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES);
    const out = interp.run(image);
    if (i === 0) {
      outputBytes = out.byteLength;
      logits = new Uint8Array(outputBytes * set.count);
    }
    logits.set(new Uint8Array(out.buffer, out.byteOffset, out.byteLength), i * outputBytes);
    intClass[i] = argmax(out);
    if (floatInterp && floatClass) floatClass[i] = argmax(floatInterp.run(image));
    onProgress?.(i + 1, set.count);
  }
  return { logits, outputBytes, intClass, floatClass };
}
