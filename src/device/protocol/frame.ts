/**
 * kit frame layer, host side: `0xA5 0x5A | type u8 | length u32 LE | payload | crc32 u32 LE`, the
 * CRC taken over type, length and payload. The decoder follows exactly the rules of
 * firmware/protocol/frame.c (the device side): a candidate frame keeps all its bytes until it is
 * resolved, and when it turns out broken (bad CRC, length over the limit) only its first byte is
 * dropped and the rest is scanned again, so a real frame that starts inside a broken one is never
 * lost. Pure: no I/O, no timers.
 */
import { crc32 } from './crc32.js';

export const SYNC0 = 0xa5;
export const SYNC1 = 0x5a;
export const HEADER_BYTES = 7;
export const CRC_BYTES = 4;
export const FRAME_OVERHEAD = HEADER_BYTES + CRC_BYTES;

export type FrameEvent =
  | { kind: 'frame'; type: number; payload: Uint8Array }
  | { kind: 'bad-crc'; type: number; length: number }
  | { kind: 'too-long'; type: number; length: number };

export function encodeFrame(type: number, payload: Uint8Array): Uint8Array {
  if (!Number.isInteger(type) || type < 0 || type > 0xff) throw new RangeError(`frame type ${type} is not a byte`);
  const out = new Uint8Array(payload.length + FRAME_OVERHEAD);
  const view = new DataView(out.buffer);
  out[0] = SYNC0;
  out[1] = SYNC1;
  out[2] = type;
  view.setUint32(3, payload.length, true);
  out.set(payload, HEADER_BYTES);
  view.setUint32(HEADER_BYTES + payload.length, crc32(out, 0, 2, HEADER_BYTES + payload.length), true);
  return out;
}

/** A streaming decoder: push chunks of any size, get the events they complete. */
export class FrameDecoder {
  private buf: Uint8Array;
  private start = 0;
  private end = 0;
  /** Bytes thrown away as garbage or as the first byte of a broken frame. */
  skipped = 0;

  /** `maxPayload` bounds what a header may announce; a larger length is `too-long` and skipped. */
  constructor(public maxPayload = 0xffff) {
    this.buf = new Uint8Array(1024);
  }

  /** Bytes held for a frame not yet complete. */
  get pending(): number {
    return this.end - this.start;
  }

  push(chunk: Uint8Array): FrameEvent[] {
    this.append(chunk);
    const events: FrameEvent[] = [];
    for (let e = this.next(); e; e = this.next()) events.push(e);
    return events;
  }

  /**
   * Resolves whatever is held as if the line had gone on with bytes that start no frame: after a
   * silence, a false frame start (a damaged length) cannot be waiting for more. Frames held whole
   * are still found.
   */
  flush(): FrameEvent[] {
    if (this.pending === 0) return [];
    const events = this.push(new Uint8Array(this.maxPayload + FRAME_OVERHEAD));
    this.start = this.end = 0;
    return events;
  }

  private append(chunk: Uint8Array): void {
    if (this.buf.length - this.end < chunk.length) {
      const live = this.end - this.start;
      if (live + chunk.length <= this.buf.length) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        const grown = new Uint8Array(Math.max(live + chunk.length, this.buf.length * 2));
        grown.set(this.buf.subarray(this.start, this.end));
        this.buf = grown;
      }
      this.start = 0;
      this.end = live;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  private next(): FrameEvent | undefined {
    const b = this.buf;
    for (;;) {
      const avail = this.end - this.start;
      const s = this.start;
      if (avail === 0) {
        this.start = this.end = 0;
        return undefined;
      }
      if (b[s] !== SYNC0) {
        this.dropOne();
        continue;
      }
      if (avail < 2) return undefined;
      if (b[s + 1] !== SYNC1) {
        this.dropOne();
        continue;
      }
      if (avail < HEADER_BYTES) return undefined;
      const type = b[s + 2];
      const length = (b[s + 3] | (b[s + 4] << 8) | (b[s + 5] << 16) | (b[s + 6] << 24)) >>> 0;
      if (length > this.maxPayload) {
        this.dropOne();
        return { kind: 'too-long', type, length };
      }
      const total = length + FRAME_OVERHEAD;
      if (avail < total) return undefined;
      const at = s + HEADER_BYTES + length;
      const want = (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
      if (crc32(b, 0, s + 2, at) !== want) {
        this.dropOne();
        return { kind: 'bad-crc', type, length };
      }
      // A copy: the buffer is reused, the payload outlives this call.
      const payload = b.slice(s + HEADER_BYTES, at);
      this.start += total;
      return { kind: 'frame', type, payload };
    }
  }

  private dropOne(): void {
    this.start++;
    this.skipped++;
  }
}
