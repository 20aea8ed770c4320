/**
 * When may a fused residual block write its output over its shortcut's input?
 *
 * The kernel (templates/kernels/conv2d_add.c.hbs) walks the output pixels in raster order in groups
 * of PIXELS_PER_STEP: for one group it reads everything it needs (the main convolution reads another
 * buffer; the shortcut reads the group's input pixels), adds, and only then stores the group. With
 * the output at the input's offset, storing groups 0..g overwrites input bytes [0, (g+1) G Cout), so
 * the write is safe when every pixel m of a later group reads only input bytes at or above that:
 *
 *   start(m) >= h G Cout for every pixel m of every group h >= 1,            (*)
 *
 * where start(m) is the first input byte pixel m's shortcut reads (1x1 kernel, no padding: the one
 * input pixel (sH oy, sW ox), start(m) = (sH oy W + sW ox) Cin; every shortcut here is 1x1 and
 * unpadded, and the identity is the case sH = sW = 1, Cin = Cout).
 *
 * Proof for the cases that hold: it suffices that start(m) >= m Cout for every m, since a pixel of
 * group h has m >= h G. With m = oy OW + ox, start(m) - m Cout = oy (sH W Cin - OW Cout) +
 * ox (sW Cin - Cout), which is >= 0 when Cout <= sW Cin and OW Cout <= sH W Cin.
 * - Identity (s = 1, Cin = Cout, W = OW): both terms are 0.
 * - 1x1 stride 2 with Cout = 2 Cin (ResNet's downsampling shortcut): sW Cin - Cout = 0, and
 *   W >= OW gives sH W Cin = 2 W Cin >= OW Cout = 2 OW Cin, for odd widths too (W = 2 OW - 1 >= OW).
 * - Any Cout < 2 Cin at stride 2 as well; Cout > 2 Cin fails (the second pixel of the first row
 *   would read bytes the first group already overwrote).
 * The planner does not rely on this algebra: `shortcutInPlaceHolds` checks (*) pixel by pixel for
 * the actual shapes, and the output gets its own buffer when it fails.
 */

/** Output pixels the fused kernel reads before it stores them (kit_matmul2: two columns). */
export const PIXELS_PER_STEP = 2;

export interface ShortcutGeometry {
  /** Shortcut input (the block input) [H, W, Cin]. */
  input: number[];
  /** Block output [OH, OW, Cout]. */
  output: number[];
  strides: [number, number];
}

/** Condition (*) above, checked for every pixel of the actual shapes. */
export function shortcutInPlaceHolds(g: ShortcutGeometry, group = PIXELS_PER_STEP): boolean {
  const [, w, cin] = g.input;
  const [oh, ow, cout] = g.output;
  const [sh, sw] = g.strides;
  const pixels = oh * ow;
  // Walk the groups backwards, keeping the smallest start of any later pixel.
  let minLater = Infinity;
  const groups = Math.ceil(pixels / group);
  for (let h = groups - 1; h >= 1; h--) {
    for (let m = h * group; m < Math.min(pixels, (h + 1) * group); m++) {
      const oy = Math.floor(m / ow);
      const ox = m % ow;
      minLater = Math.min(minLater, (sh * oy * w + sw * ox) * cin);
    }
    if (minLater < h * group * cout) return false;
  }
  return true;
}
