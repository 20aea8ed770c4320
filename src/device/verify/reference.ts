import type { Graph } from '../../ir/graph.js';
import { runImages, runImagesSync, type RunOptions, type RunResult, type RunSpec } from '../../quantize/parallel-eval.js';
import type { LabelledImages } from '../../data/types.js';

export interface HostReference {
  /** Integer logits of every image, as bytes (int8 reinterpreted), image after image. */
  logits: Uint8Array;
  outputBytes: number;
  intClass: Uint8Array;
  /** Float model's class per image, when the float graph is available. */
  floatClass?: Uint8Array;
}

const referenceSpec = (graph: Graph, floatGraph: Graph | undefined): RunSpec => ({
  graphs: floatGraph ? [graph, floatGraph] : [graph],
  keepOutputs: [true, false],
});

function reference(r: RunResult): HostReference {
  return { logits: r.outputs[0]!, outputBytes: r.outputBytes[0], intClass: r.classes[0], floatClass: r.classes[1] };
}

/** What the board must reproduce: the integer reference interpreter's logits for every image. */
export function hostReference(graph: Graph, floatGraph: Graph | undefined, set: Pick<LabelledImages, 'images' | 'count'>, onProgress?: (done: number, total: number) => void): HostReference {
  return reference(runImagesSync(referenceSpec(graph, floatGraph), set.images, set.count, onProgress));
}

/** hostReference on worker threads (identical bytes; in-thread for small sets or one thread). */
export async function hostReferenceParallel(
  graph: Graph,
  floatGraph: Graph | undefined,
  set: Pick<LabelledImages, 'images' | 'count'>,
  onProgress?: (done: number, total: number) => void,
  options: Omit<RunOptions, 'onProgress'> = {},
): Promise<HostReference> {
  return reference(await runImages(referenceSpec(graph, floatGraph), set.images, set.count, { ...options, onProgress }));
}
