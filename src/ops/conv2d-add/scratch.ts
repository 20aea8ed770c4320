/**
 * The fused kernel's scratch buffer, one layout for both its users: the lowering puts the offsets
 * into the kernel as constants and reports `bytes` as the layer's scratch size (which the memory
 * plan sizes the shared scratch buffer from).
 *
 * In order, every offset a multiple of 4 (row lengths are multiples of 4 channels):
 * - the main conv's K_H row buffers of rowW pixels of cp int16 values (the conv2d kernel's ring);
 * - with weight zero points, their per-pixel sums (int32, K_H * rowW);
 * - for a 1x1 shortcut: its one row buffer (rowW pixels of cp int16), its per-pixel sums with
 *   weight zero points, and its requantized outputs for one group of 4 pixels (the add's other
 *   input; the identity shortcut reads the block input instead).
 */
export interface RowBufferShape {
  kH: number;
  rowW: number;
  cp: number;
  weightZeroPoint: boolean;
}

export interface Conv2dAddScratch {
  convRows: number;
  convSums: number;
  shortcutRow: number;
  shortcutSums: number;
  shortcutOut: number;
  bytes: number;
}

/** Output pixels per step of the kernel (kit_conv_px4_*). */
export const PIXELS_PER_STEP = 4;

export function conv2dAddScratch(conv: RowBufferShape, shortcut: RowBufferShape | null, outC: number): Conv2dAddScratch {
  let at = 0;
  const take = (bytes: number) => {
    const start = at;
    at += Math.ceil(bytes / 4) * 4;
    return start;
  };
  const convRows = take(conv.kH * conv.rowW * conv.cp * 2);
  const convSums = take(conv.weightZeroPoint ? conv.kH * conv.rowW * 4 : 0);
  const shortcutRow = take(shortcut ? shortcut.kH * shortcut.rowW * shortcut.cp * 2 : 0);
  const shortcutSums = take(shortcut?.weightZeroPoint ? shortcut.kH * shortcut.rowW * 4 : 0);
  const shortcutOut = take(shortcut ? PIXELS_PER_STEP * outC : 0);
  return { convRows, convSums, shortcutRow, shortcutSums, shortcutOut, bytes: at };
}
