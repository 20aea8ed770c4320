import type { TrainingRecipe } from '../models/registry.js';

/** Adam's beta1 outside a one-cycle schedule (the Adam paper's and PyTorch's default). */
export const DEFAULT_BETA1 = 0.9;
/** OneCycleLR's default momentum range: beta1 falls to BASE while the rate rises, then climbs back. */
const MAX_BETA1 = 0.95;
const BASE_BETA1 = 0.85;

const cosine = (from: number, to: number, pct: number) => to + ((from - to) / 2) * (1 + Math.cos(Math.PI * pct));

/** Where a step sits in the one-cycle: the warm-up phase (first 30 % of steps) or the annealing one. */
function phaseAt(step: number, totalSteps: number): { warmUp: boolean; pct: number } {
  const warm = Math.floor(0.3 * totalSteps) - 1;
  if (step <= warm) return { warmUp: true, pct: warm > 0 ? step / warm : 1 };
  return { warmUp: false, pct: (step - warm) / Math.max(1, totalSteps - 1 - warm) };
}

/**
 * Learning rate at a global step. 'one-cycle' follows PyTorch's OneCycleLR defaults (cosine warm-up
 * from peak/25 over the first 30 % of steps, then cosine annealing to peak/25/1e4), so our figures
 * compare with PyTorch runs of the same recipe.
 */
export function learningRateAt(recipe: TrainingRecipe, step: number, totalSteps: number): number {
  if (recipe.schedule === 'constant') return recipe.lr;
  const initial = recipe.lr / 25;
  const final = initial / 1e4;
  const { warmUp, pct } = phaseAt(step, totalSteps);
  return warmUp ? cosine(initial, recipe.lr, pct) : cosine(recipe.lr, final, pct);
}

/**
 * Adam's beta1 at a global step. OneCycleLR cycles it by default (cycle_momentum=True), inversely to
 * the learning rate, and a PyTorch run of the one-cycle recipe gets that whether or not its author
 * asked for it; matching it keeps our accuracy comparable with theirs.
 */
export function beta1At(recipe: TrainingRecipe, step: number, totalSteps: number): number {
  if (recipe.schedule === 'constant') return DEFAULT_BETA1;
  const { warmUp, pct } = phaseAt(step, totalSteps);
  return warmUp ? cosine(MAX_BETA1, BASE_BETA1, pct) : cosine(BASE_BETA1, MAX_BETA1, pct);
}
