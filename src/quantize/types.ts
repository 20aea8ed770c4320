/**
 * Images as the data loader returns them: `count` RGB images of the model's input size, HWC uint8,
 * back to back. `split` (if the loader sets it) lets calibration refuse test images.
 */
export interface ImageSet {
  images: Uint8Array;
  count: number;
  split?: string;
}

export interface LabelledSet extends ImageSet {
  labels: Uint8Array;
}

export interface Progress {
  /** calibrate: running the float model on calibration images; evaluate: float and integer models on the evaluation set. */
  phase: 'calibrate' | 'evaluate';
  done: number;
  total: number;
}

export type ProgressFn = (p: Progress) => void;
