import type * as tfl from '@tensorflow/tfjs-layers';

export interface LayerCost {
  name: string;
  type: string;
  outputShape: number[];
  params: number;
  macs: number;
}

export interface ModelSummary {
  params: number;
  macs: number;
  floatBytes: number;
  /** int8 weights + int32 biases once BatchNorm is folded into the convolutions. */
  int8Bytes: number;
  layers: LayerCost[];
}

function shapeOf(s: tfl.Shape | tfl.Shape[]): number[] {
  const one = (Array.isArray(s[0]) ? s[0] : s) as (number | null)[];
  return one.slice(1).map((d) => d ?? 0);
}

/**
 * Parameters and multiply-accumulates, counted the way MLPerf Tiny counts them: one MAC per
 * weight per output position of conv and dense layers; BatchNorm, pooling and adds are not MACs.
 */
export function summarizeModel(model: tfl.LayersModel): ModelSummary {
  let macs = 0;
  let int8Bytes = 0;
  const layers: LayerCost[] = model.layers.map((layer) => {
    const type = layer.getClassName();
    const out = shapeOf(layer.outputShape);
    const params = layer.countParams();
    let layerMacs = 0;
    if (type === 'Conv2D' || type === 'Dense') {
      const kernel = layer.getWeights()[0];
      const outChannels = kernel.shape[kernel.shape.length - 1];
      const positions = out.slice(0, -1).reduce((a, b) => a * b, 1);
      layerMacs = kernel.size * positions;
      int8Bytes += kernel.size + 4 * outChannels;
    }
    macs += layerMacs;
    return { name: layer.name, type, outputShape: out, params, macs: layerMacs };
  });
  const params = model.countParams();
  return { params, macs, floatBytes: params * 4, int8Bytes, layers };
}
