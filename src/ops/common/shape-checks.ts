import { KitError } from '../../errors.js';
import type { Shape } from '../../ir/graph.js';

/** Refuse a shape of the wrong rank with a message naming the node. */
export function expectRank(node: string, shape: Shape | undefined, rank: number, what: string): Shape {
  if (!shape || shape.length !== rank) {
    throw new KitError('shape', 'quantize', `${node}: ${what} must have rank ${rank}, got [${shape?.join(', ') ?? ''}]`);
  }
  return shape;
}

export function expectEqual(node: string, a: number, b: number, what: string): void {
  if (a !== b) throw new KitError('shape', 'quantize', `${node}: ${what} (${a} vs ${b})`);
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
