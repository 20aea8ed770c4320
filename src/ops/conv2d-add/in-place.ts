/**
 * When may a fused residual block write its output over its shortcut's input?
 *
 * The kernel (templates/kernels/conv2d_add.c.hbs) walks the output rows in order; within row oy:
 * - identity shortcut: output value (pixel m, channel c) reads the block input at its own byte
 *   m Cout + c, right before it stores the output there (kit_residual_*). No value reads any other
 *   byte of the block input, so the values already stored were never needed again: always safe.
 * - 1x1 shortcut (unpadded: one input pixel per output pixel): before it stores anything of row oy,
 *   the kernel widens input row sH oy (the pixels 0..(OW - 1) sW the row reads, i.e. from byte
 *   sH oy W Cin on) into its row buffer in scratch, and later reads only that buffer. With the output
 *   at the input's offset, rows 0..oy-1 have by then overwritten bytes [0, oy OW Cout), so the write
 *   is safe when, for every row oy >= 1,
 *
 *     oy OW Cout <= sH oy W Cin,   i.e.   OW Cout <= sH W Cin   (for OH >= 2).            (*)
 *
 * Cases: the identity and a 1x1 stride-1 shortcut with Cout = Cin (W = OW): equality. 1x1 stride 2
 * with Cout = 2 Cin (ResNet's downsampling shortcut): 2 W Cin >= OW 2 Cin since W >= OW, odd widths
 * too. Up to Cout = 3 Cin at stride 2 whenever 2 W >= 3 OW (W = 2 OW - 1 >= 3 OW / 2 for OW >= 2).
 * Fails: a 1x1 stride-1 shortcut that widens the channels (the next input row starts at W Cin <
 * OW Cout), or stride 2 with Cout = 5 Cin (2 W < 5 OW).
 * The planner does not rely on this algebra: `shortcutInPlaceHolds` checks (*) row by row for the
 * actual shapes, and the output gets its own buffer when it fails.
 */

export interface ShortcutGeometry {
  /** Shortcut input (the block input) [H, W, Cin]. */
  input: number[];
  /** Block output [OH, OW, Cout]. */
  output: number[];
  strides: [number, number];
  /** The identity shortcut (reads its own byte per value; no row buffer). */
  identity: boolean;
}

/** Condition (*) above for every row of the actual shapes (always true for the identity). */
export function shortcutInPlaceHolds(g: ShortcutGeometry): boolean {
  if (g.identity) return true;
  const [, w, cin] = g.input;
  const [oh, ow, cout] = g.output;
  const [sh] = g.strides;
  for (let oy = 1; oy < oh; oy++) {
    const overwritten = oy * ow * cout;
    const firstRead = sh * oy * w * cin;
    if (firstRead < overwritten) return false;
  }
  return true;
}
