/** Seeded byte streams for the frame decoders: real frames among garbage, damage and false starts. */
import { encodeFrame } from '../../src/device/protocol/frame.js';
import { Rng } from '../../src/util/rng.js';

export interface FuzzStream {
  bytes: Uint8Array;
  /** The undamaged frames, in order: what a decoder must find. */
  intact: { type: number; payload: Uint8Array }[];
}

const bytesOf = (rng: Rng, n: number) => Uint8Array.from({ length: n }, () => rng.int(256));

/**
 * `pieces` pieces, each one of: an intact frame, random garbage, a frame with one bit flipped, a
 * truncated frame, a false start (sync + random header), or a header announcing more than
 * `maxPayload`. Ends with padding long enough to resolve any candidate still open.
 */
export function fuzzStream(seed: number, pieces: number, maxPayload: number): FuzzStream {
  const rng = new Rng(seed, 0xf022);
  const parts: Uint8Array[] = [];
  const intact: FuzzStream['intact'] = [];
  const frame = () => {
    const payload = bytesOf(rng, rng.next() < 0.2 ? 0 : rng.int(Math.min(maxPayload, 300) + 1));
    // Payloads full of sync bytes are the nasty case for a resynchronising parser.
    if (rng.next() < 0.3) for (let i = 0; i + 1 < payload.length; i += 2 + rng.int(8)) payload.set([0xa5, 0x5a], i);
    return { type: rng.int(256), payload };
  };
  for (let i = 0; i < pieces; i++) {
    const r = rng.next();
    if (r < 0.45) {
      const f = frame();
      intact.push(f);
      parts.push(encodeFrame(f.type, f.payload));
    } else if (r < 0.6) {
      parts.push(bytesOf(rng, rng.int(40)));
    } else if (r < 0.72) {
      const f = frame();
      const b = encodeFrame(f.type, f.payload);
      b[2 + rng.int(b.length - 2)] ^= 1 << rng.int(8); // anywhere but the sync bytes
      parts.push(b);
    } else if (r < 0.8) {
      const f = frame();
      const b = encodeFrame(f.type, f.payload);
      parts.push(b.subarray(0, rng.int(b.length)));
    } else if (r < 0.9) {
      const len = rng.int(Math.min(maxPayload, 64));
      parts.push(Uint8Array.of(0xa5, 0x5a, rng.int(256), len & 0xff, len >> 8, 0, 0, ...bytesOf(rng, rng.int(8))));
    } else {
      const len = maxPayload + 1 + rng.int(1000);
      parts.push(Uint8Array.of(0xa5, 0x5a, rng.int(256), len & 0xff, (len >> 8) & 0xff, len >>> 16, 0));
    }
  }
  parts.push(new Uint8Array(maxPayload + 16)); // zeros: no sync, closes every open candidate
  const total = parts.reduce((n, p) => n + p.length, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return { bytes, intact };
}
