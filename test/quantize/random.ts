/** Small deterministic PRNG (mulberry32) so tests do not depend on Math.random. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
}

export function randomFloats(n: number, rand: () => number, lo: number, hi: number): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rand());
}

/**
 * Image-like random pictures: a smooth colour gradient plus a few rectangles and some noise, so that
 * activations look more like those of photos than white noise does.
 */
export function syntheticImages(count: number, seed: number, size = 32): Uint8Array {
  const rand = rng(seed);
  const out = new Uint8Array(count * size * size * 3);
  for (let i = 0; i < count; i++) {
    const base = [rand() * 255, rand() * 255, rand() * 255];
    const grad = [rand() - 0.5, rand() - 0.5, rand() - 0.5].map((g) => g * 8);
    const rects = Array.from({ length: 3 }, () => ({
      x0: Math.floor(rand() * size), y0: Math.floor(rand() * size), w: 4 + Math.floor(rand() * 12), h: 4 + Math.floor(rand() * 12),
      colour: [rand() * 255, rand() * 255, rand() * 255],
    }));
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        for (let c = 0; c < 3; c++) {
          let v = base[c] + grad[c] * (x - size / 2) + grad[(c + 1) % 3] * (y - size / 2);
          for (const r of rects) if (x >= r.x0 && x < r.x0 + r.w && y >= r.y0 && y < r.y0 + r.h) v = 0.5 * v + 0.5 * r.colour[c];
          v += (rand() - 0.5) * 30;
          out[((i * size + y) * size + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
        }
      }
    }
  }
  return out;
}
