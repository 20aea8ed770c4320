import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** The layer-config fields this rewrite reads (tfjs-layers' JSON topology, snake_case keys). */
interface LayerJson {
  class_name: string;
  name: string;
  config: Record<string, unknown> & { name: string; activation?: string; epsilon?: number; center?: boolean; scale?: boolean };
  inbound_nodes: [string, number, number, Record<string, unknown>][][];
}

/**
 * An inference copy of a float model with each BatchNorm folded into the Conv2D before it (and a
 * ReLU right after that BatchNorm fused into the convolution): per output channel,
 * w' = w * gamma / sqrt(var + eps), b' = (b - mean) * gamma / sqrt(var + eps) + beta. One
 * convolution then does the work of three layers, and on the native backend of one kernel call
 * instead of three full-size passes. Only a conv whose single consumer is the BatchNorm is folded
 * (the folded output replaces both). Results equal the unfolded model's up to float rounding.
 * The copy has its own weights; dispose it when done.
 */
export async function foldBatchNorm(model: tfl.LayersModel): Promise<tfl.LayersModel> {
  const topology = model.toJSON(null, false) as unknown as { config: { layers: LayerJson[]; output_layers: [string, number, number][] } };
  const layers = topology.config.layers;
  const byName = new Map(layers.map((l) => [l.name, l]));
  const consumers = new Map<string, LayerJson[]>();
  for (const l of layers)
    for (const node of l.inbound_nodes) for (const [src] of node) consumers.set(src, [...(consumers.get(src) ?? []), l]);
  const only = (name: string) => {
    const c = consumers.get(name) ?? [];
    return c.length === 1 && c[0].inbound_nodes.length === 1 && c[0].inbound_nodes[0].length === 1 ? c[0] : undefined;
  };
  const isOutput = (name: string) => topology.config.output_layers.some(([n]) => n === name);
  // folded conv name -> the BatchNorm folded into it; dropped layer name -> the layer replacing it
  const folds = new Map<string, string>();
  const replaced = new Map<string, string>();
  for (const conv of layers) {
    if (conv.class_name !== 'Conv2D' || conv.config.activation !== 'linear' || isOutput(conv.name)) continue;
    const bn = only(conv.name);
    if (!bn || bn.class_name !== 'BatchNormalization' || bn.config.center === false || bn.config.scale === false) continue;
    folds.set(conv.name, bn.name);
    replaced.set(bn.name, conv.name);
    const relu = isOutput(bn.name) ? undefined : only(bn.name);
    if (relu && relu.class_name === 'ReLU' && relu.config.max_value == null && !relu.config.threshold && !isOutput(relu.name)) {
      conv.config.activation = 'relu';
      replaced.set(relu.name, conv.name);
    }
    conv.config.use_bias = true;
  }
  topology.config.layers = layers.filter((l) => !replaced.has(l.name));
  for (const l of topology.config.layers)
    for (const node of l.inbound_nodes) for (const ref of node) ref[0] = replaced.get(ref[0]) ?? ref[0];
  const folded = await tfl.models.modelFromJSON({ modelTopology: topology as unknown as tf.io.ModelJSON['modelTopology'] });
  for (const layer of folded.layers) {
    const source = model.getLayer(layer.name);
    const bnName = folds.get(layer.name);
    if (!bnName) {
      layer.setWeights(source.getWeights());
      continue;
    }
    const bn = model.getLayer(bnName);
    const eps = byName.get(bnName)!.config.epsilon ?? 1e-3;
    const [w, b] = source.getWeights();
    const [gamma, beta, mean, variance] = bn.getWeights();
    const weights = tf.tidy(() => {
      const scale = tf.div(gamma, tf.sqrt(tf.add(variance, eps)));
      return [tf.mul(w, scale), tf.add(tf.mul(tf.sub(b ?? tf.zerosLike(beta), mean), scale), beta)];
    });
    layer.setWeights(weights);
    tf.dispose(weights);
  }
  return folded;
}
