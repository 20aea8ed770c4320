/**
 * kit device protocol, version 3: message types and payload layouts (little-endian), the host side
 * of firmware/protocol/messages.h (which tells the exchange). Images travel as PIECEs of whole
 * blocks; the device answers a complete image with its RESULT and a damaged frame or a POLL with a
 * STATUS of what it has.
 */
import { encodeFrame } from './frame.js';

/** 3: HELLO says whether the firmware profiles layers, and RESULT carries the per-layer counter marks. */
export const PROTOCOL_VERSION = 3;
/** Pieces start on a block boundary; STATUS reports an image block by block. */
export const BLOCK_BYTES = 32;
/** The sequence number of a message that answers no request (a HELLO sent on boot, an ERROR about a damaged frame). */
export const SEQ_NONE = 0xffffffff;

export const MsgType = {
  GetHello: 0x01,
  Hello: 0x02,
  Result: 0x04,
  Error: 0x05,
  Ping: 0x06,
  Pong: 0x07,
  Piece: 0x08,
  Poll: 0x09,
  Status: 0x0a,
} as const;

/** STATUS.state */
export const StatusState = {
  /** The image is being collected; `received` says which blocks are in. */
  Collecting: 0,
  /** Nothing of the image yet. */
  NotStarted: 1,
  /** Older than what the device collects: send it again under a new number. */
  Stale: 2,
} as const;

export const ErrorCode = {
  BadLength: 3,
  UnknownType: 4,
  /** The CPU took an exception (the text names the cause, PC and address); the device has stopped. */
  CpuFault: 5,
} as const;

const HELLO_FLAG_SIGNED = 0x01;

/** What a device says about itself. */
export interface DeviceInfo {
  protocolVersion: number;
  board: string;
  modelHash: string;
  inputBytes: number;
  outputBytes: number;
  arenaBytes: number;
  clockHz: number;
  /** Frequency of the counter RESULT.ticks is read from (for qemu-cortex-m4, SysTick on the 25 MHz core clock). */
  tickHz: number;
  /** Logits are int8 (else uint8). */
  outputSigned: boolean;
  /** The largest PIECE data the device accepts. */
  pieceBytes: number;
  /** Counter marks per RESULT: 0, or layers + 1 in a firmware built with -DKIT_PROFILE (firmware/harness/profile.h). */
  profileMarks: number;
}

export type Message =
  | { type: 'get-hello'; seq: number }
  | { type: 'hello'; seq: number; info: DeviceInfo }
  | { type: 'piece'; seq: number; image: number; offset: number; data: Uint8Array }
  | { type: 'poll'; seq: number; image: number }
  /** marks: the counter before the first layer and after each one (a profiling build), else empty. */
  | { type: 'result'; image: number; class: number; ticks: number; marks: number[]; logits: Uint8Array }
  | { type: 'status'; seq: number; image: number; state: number; blocks: number; received: Uint8Array }
  | { type: 'error'; seq: number; code: number; text: string }
  | { type: 'ping'; seq: number; data: Uint8Array }
  | { type: 'pong'; seq: number; data: Uint8Array };

/** A frame whose payload does not fit its type's layout. */
export class MalformedMessage extends Error {}

const TYPE_OF: Record<Message['type'], number> = {
  'get-hello': MsgType.GetHello,
  hello: MsgType.Hello,
  piece: MsgType.Piece,
  poll: MsgType.Poll,
  result: MsgType.Result,
  status: MsgType.Status,
  error: MsgType.Error,
  ping: MsgType.Ping,
  pong: MsgType.Pong,
};

/** A little-endian writer sized up front. */
class Out {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private at = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u8(v: number) {
    this.view.setUint8(this.at, v);
    this.at += 1;
  }
  u16(v: number) {
    this.view.setUint16(this.at, v, true);
    this.at += 2;
  }
  u32(v: number) {
    this.view.setUint32(this.at, v >>> 0, true);
    this.at += 4;
  }
  u64(v: number) {
    this.view.setBigUint64(this.at, BigInt(v), true);
    this.at += 8;
  }
  raw(b: Uint8Array) {
    this.bytes.set(b, this.at);
    this.at += b.length;
  }
  str8(s: string) {
    const b = new TextEncoder().encode(s);
    if (b.length > 255) throw new RangeError(`"${s.slice(0, 20)}..." is longer than 255 bytes`);
    this.u8(b.length);
    this.raw(b);
  }
}

class In {
  private readonly view: DataView;
  private at = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private need(n: number) {
    if (this.at + n > this.bytes.length) throw new MalformedMessage(`${this.what} payload is too short (${this.bytes.length} bytes)`);
  }
  u8() {
    this.need(1);
    return this.view.getUint8(this.at++);
  }
  u16() {
    this.need(2);
    const v = this.view.getUint16(this.at, true);
    this.at += 2;
    return v;
  }
  u32() {
    this.need(4);
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }
  u64() {
    this.need(8);
    const v = this.view.getBigUint64(this.at, true);
    this.at += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new MalformedMessage(`${this.what} counter ${v} is out of range`);
    return Number(v);
  }
  raw(n: number) {
    this.need(n);
    const b = this.bytes.slice(this.at, this.at + n);
    this.at += n;
    return b;
  }
  rest() {
    return this.raw(this.bytes.length - this.at);
  }
  str8() {
    return new TextDecoder().decode(this.raw(this.u8()));
  }
  done() {
    if (this.at !== this.bytes.length) throw new MalformedMessage(`${this.what} payload has ${this.bytes.length - this.at} extra bytes`);
  }
}

export function encodePayload(m: Message): Uint8Array {
  switch (m.type) {
    case 'get-hello': {
      const o = new Out(4);
      o.u32(m.seq);
      return o.bytes;
    }
    case 'hello': {
      const i = m.info;
      const o = new Out(4 + 1 + 20 + 1 + 2 + 2 + 2 + new TextEncoder().encode(i.board + i.modelHash).length);
      o.u32(m.seq);
      o.u8(i.protocolVersion);
      o.u32(i.inputBytes);
      o.u32(i.outputBytes);
      o.u32(i.arenaBytes);
      o.u32(i.clockHz);
      o.u32(i.tickHz);
      o.u8(i.outputSigned ? HELLO_FLAG_SIGNED : 0);
      o.u16(i.pieceBytes);
      o.u16(i.profileMarks);
      o.str8(i.board);
      o.str8(i.modelHash);
      return o.bytes;
    }
    case 'piece': {
      const o = new Out(12 + m.data.length);
      o.u32(m.seq);
      o.u32(m.image);
      o.u32(m.offset);
      o.raw(m.data);
      return o.bytes;
    }
    case 'poll': {
      const o = new Out(8);
      o.u32(m.seq);
      o.u32(m.image);
      return o.bytes;
    }
    case 'status': {
      const o = new Out(11 + m.received.length);
      o.u32(m.seq);
      o.u32(m.image);
      o.u8(m.state);
      o.u16(m.blocks);
      o.raw(m.received);
      return o.bytes;
    }
    case 'result': {
      const o = new Out(16 + 8 * m.marks.length + m.logits.length);
      o.u32(m.image);
      o.u16(m.class);
      o.u64(m.ticks);
      o.u16(m.marks.length);
      for (const t of m.marks) o.u64(t);
      o.raw(m.logits);
      return o.bytes;
    }
    case 'error': {
      const text = new TextEncoder().encode(m.text);
      const o = new Out(5 + text.length);
      o.u8(m.code);
      o.u32(m.seq);
      o.raw(text);
      return o.bytes;
    }
    case 'ping':
    case 'pong': {
      const o = new Out(4 + m.data.length);
      o.u32(m.seq);
      o.raw(m.data);
      return o.bytes;
    }
  }
}

/** The whole frame for a message, ready to write. */
export function encodeMessage(m: Message): Uint8Array {
  return encodeFrame(TYPE_OF[m.type], encodePayload(m));
}

/** Decodes a frame's payload; undefined for a type this host does not know, MalformedMessage for a bad layout. */
export function decodeMessage(type: number, payload: Uint8Array): Message | undefined {
  switch (type) {
    case MsgType.GetHello: {
      const r = new In(payload, 'GET_HELLO');
      const seq = r.u32();
      r.done();
      return { type: 'get-hello', seq };
    }
    case MsgType.Hello: {
      const r = new In(payload, 'HELLO');
      const seq = r.u32();
      const protocolVersion = r.u8();
      if (protocolVersion !== PROTOCOL_VERSION) {
        // Later fields may have moved: report the version, decode nothing else.
        throw new MalformedMessage(`device speaks protocol version ${protocolVersion}, this kit speaks ${PROTOCOL_VERSION}`);
      }
      const info: DeviceInfo = {
        protocolVersion,
        inputBytes: r.u32(),
        outputBytes: r.u32(),
        arenaBytes: r.u32(),
        clockHz: r.u32(),
        tickHz: r.u32(),
        outputSigned: (r.u8() & HELLO_FLAG_SIGNED) !== 0,
        pieceBytes: r.u16(),
        profileMarks: r.u16(),
        board: r.str8(),
        modelHash: r.str8(),
      };
      r.done();
      return { type: 'hello', seq, info };
    }
    case MsgType.Piece: {
      const r = new In(payload, 'PIECE');
      return { type: 'piece', seq: r.u32(), image: r.u32(), offset: r.u32(), data: r.rest() };
    }
    case MsgType.Poll: {
      const r = new In(payload, 'POLL');
      const m = { type: 'poll' as const, seq: r.u32(), image: r.u32() };
      r.done();
      return m;
    }
    case MsgType.Status: {
      const r = new In(payload, 'STATUS');
      const m = { type: 'status' as const, seq: r.u32(), image: r.u32(), state: r.u8(), blocks: r.u16() };
      const received = r.raw(Math.ceil(m.blocks / 8));
      r.done();
      return { ...m, received };
    }
    case MsgType.Result: {
      const r = new In(payload, 'RESULT');
      const head = { image: r.u32(), class: r.u16(), ticks: r.u64() };
      const marks = Array.from({ length: r.u16() }, () => r.u64());
      return { type: 'result', ...head, marks, logits: r.rest() };
    }
    case MsgType.Error: {
      const r = new In(payload, 'ERROR');
      return { type: 'error', code: r.u8(), seq: r.u32(), text: new TextDecoder().decode(r.rest()) };
    }
    case MsgType.Ping:
    case MsgType.Pong: {
      const r = new In(payload, type === MsgType.Ping ? 'PING' : 'PONG');
      return { type: type === MsgType.Ping ? 'ping' : 'pong', seq: r.u32(), data: r.rest() };
    }
    default:
      return undefined;
  }
}

/** Index of the largest logit, the first one on ties: the device computes the same. */
export function argmax(logits: Uint8Array, signed: boolean): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let k = 0; k < logits.length; k++) {
    const v = signed ? (logits[k] << 24) >> 24 : logits[k];
    if (v > bestValue) {
      bestValue = v;
      best = k;
    }
  }
  return best;
}
