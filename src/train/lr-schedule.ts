import type { TrainingRecipe } from '../models/registry.js';

/**
 * Learning rate at a global step. 'one-cycle' follows PyTorch's OneCycleLR defaults (cosine warm-up
 * from peak/25 over the first 30 % of steps, then cosine annealing to peak/25/1e4), so our figures
 * compare with PyTorch runs of the same recipe.
 */
export function learningRateAt(recipe: TrainingRecipe, step: number, totalSteps: number): number {
  if (recipe.schedule === 'constant') return recipe.lr;
  const initial = recipe.lr / 25;
  const final = initial / 1e4;
  const warm = Math.floor(0.3 * totalSteps) - 1;
  const cos = (from: number, to: number, pct: number) => to + ((from - to) / 2) * (1 + Math.cos(Math.PI * pct));
  if (step <= warm) return cos(initial, recipe.lr, warm > 0 ? step / warm : 1);
  return cos(recipe.lr, final, (step - warm) / Math.max(1, totalSteps - 1 - warm));
}
