import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32 } from '../../src/device/protocol/crc32.js';
import { FrameDecoder, type FrameEvent, encodeFrame } from '../../src/device/protocol/frame.js';
import { type Message, MalformedMessage, SEQ_NONE, argmax, decodeMessage, encodeMessage } from '../../src/device/protocol/messages.js';
import { MOCK_INFO } from '../../src/device/transport/mock.js';
import { Rng } from '../../src/util/rng.js';
import { fuzzStream } from './fuzz.js';
import { hex } from './helpers.js';

const frames = (events: FrameEvent[]) => events.filter((e) => e.kind === 'frame').map((e) => ({ type: e.type, payload: hex(e.payload) }));

test('crc32: the IEEE check value, and chaining equals one pass', () => {
  const data = new TextEncoder().encode('123456789');
  assert.equal(crc32(data), 0xcbf43926);
  assert.equal(crc32(data.subarray(4), crc32(data.subarray(0, 4))), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

test('frame: layout is sync, type, u32 LE length, payload, CRC over type+length+payload', () => {
  const f = encodeFrame(0x03, Uint8Array.of(1, 2, 3));
  assert.equal(hex(f.subarray(0, 10)), 'a55a0303000000010203');
  assert.equal(new DataView(f.buffer).getUint32(10, true), crc32(f.subarray(2, 10)));
  assert.deepEqual(new FrameDecoder().push(f), [{ kind: 'frame', type: 3, payload: Uint8Array.of(1, 2, 3) }]);
});

test('messages: every message type survives encode -> frame -> decode', () => {
  const msgs: Message[] = [
    { type: 'get-hello', seq: 7 },
    { type: 'hello', seq: SEQ_NONE, info: { ...MOCK_INFO, board: 'qemu-cortex-m4', modelHash: 'ab'.repeat(32) } },
    { type: 'piece', seq: 0xfffffffe, image: 12, offset: 1024, data: Uint8Array.from({ length: 1024 }, (_, i) => i * 7) },
    { type: 'poll', seq: 3, image: 12 },
    { type: 'status', seq: 3, image: 12, state: 0, blocks: 10, received: Uint8Array.of(0xff, 0x01) },
    { type: 'status', seq: SEQ_NONE, image: SEQ_NONE, state: 1, blocks: 0, received: new Uint8Array(0) },
    { type: 'result', image: 9, class: 3, ticks: 2 ** 40 + 5, marks: [], logits: Uint8Array.of(1, 200, 3) },
    { type: 'result', image: 10, class: 1, ticks: 900, marks: [0, 7, 2 ** 33 + 1], logits: Uint8Array.of(4, 5) },
    { type: 'error', seq: SEQ_NONE, code: 3, text: 'PIECE outside the image' },
    { type: 'ping', seq: 1, data: Uint8Array.of(9, 9) },
    { type: 'pong', seq: 1, data: new Uint8Array(0) },
  ];
  const dec = new FrameDecoder(4096);
  const got = dec.push(Uint8Array.from(msgs.flatMap((m) => [...encodeMessage(m)])));
  assert.equal(got.length, msgs.length);
  got.forEach((e, i) => {
    assert.equal(e.kind, 'frame');
    if (e.kind === 'frame') assert.deepEqual(decodeMessage(e.type, e.payload), msgs[i]);
  });
  assert.equal(decodeMessage(0x7e, new Uint8Array(0)), undefined, 'unknown types decode to nothing');
});

test('messages: short payloads, trailing bytes and a foreign protocol version are MalformedMessage', () => {
  assert.throws(() => decodeMessage(0x04, Uint8Array.of(1, 2, 3)), MalformedMessage);
  assert.throws(() => decodeMessage(0x01, new Uint8Array(5)), /1 extra bytes/);
  // A STATUS whose bitmap does not match its block count.
  assert.throws(() => decodeMessage(0x0a, encodeMessage({ type: 'status', seq: 1, image: 2, state: 0, blocks: 9, received: Uint8Array.of(1) }).slice(7, -4)), /STATUS payload is too short/);
  const hello = encodeMessage({ type: 'hello', seq: 1, info: MOCK_INFO }).slice(7, -4);
  hello[4] = 9;
  assert.throws(() => decodeMessage(0x02, hello), /protocol version 9/);
});

test('argmax: int8 logits treat bytes >= 128 as negative; ties go to the first', () => {
  const logits = Uint8Array.of(5, 200, 5, 127);
  assert.equal(argmax(logits, true), 3);
  assert.equal(argmax(logits, false), 1);
  assert.equal(argmax(Uint8Array.of(0x80, 0x80), true), 0);
});

test('decoder: resynchronises after garbage, a bad CRC and an oversized length', () => {
  const a = encodeFrame(1, Uint8Array.of(1));
  const b = encodeFrame(2, Uint8Array.of(2, 2));
  const damaged = encodeFrame(3, new Uint8Array(20));
  damaged[12] ^= 4;
  const tooLong = Uint8Array.of(0xa5, 0x5a, 4, 0xff, 0xff, 0x01, 0x00);
  const stream = Uint8Array.from([0x00, 0xa5, 0x11, ...a, ...damaged, 0xa5, ...tooLong, ...b]);
  const dec = new FrameDecoder(1000);
  const events = dec.push(stream);
  assert.deepEqual(
    events.map((e) => e.kind),
    ['frame', 'bad-crc', 'too-long', 'frame'],
  );
  assert.deepEqual(frames(events), [
    { type: 1, payload: '01' },
    { type: 2, payload: '0202' },
  ]);
  assert.equal(dec.pending, 0);
});

test('decoder: a frame hidden inside a false start is still found', () => {
  // The false start announces 30 bytes, so it swallows the real frame; when its CRC fails the
  // decoder must scan again from the byte after the false sync, not from after the 30 bytes.
  const real = encodeFrame(5, Uint8Array.of(5, 5, 5));
  const stream = Uint8Array.from([0xa5, 0x5a, 9, 30, 0, 0, 0, ...real, ...new Uint8Array(30)]);
  assert.deepEqual(frames(new FrameDecoder(100).push(stream)), [{ type: 5, payload: '050505' }]);
});

test('decoder: seeded fuzz finds exactly the intact frames, however the stream is chunked', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const maxPayload = seed % 2 ? 300 : 0xffff;
    const { bytes, intact } = fuzzStream(seed, 300, maxPayload);
    const whole = new FrameDecoder(maxPayload).push(bytes);
    assert.deepEqual(
      frames(whole),
      intact.map((f) => ({ type: f.type, payload: hex(f.payload) })),
      `seed ${seed}`,
    );
    const rng = new Rng(seed);
    const dec = new FrameDecoder(maxPayload);
    const chunked: FrameEvent[] = [];
    for (let at = 0; at < bytes.length; ) {
      const n = 1 + rng.int(64);
      chunked.push(...dec.push(bytes.subarray(at, at + n)));
      at += n;
    }
    assert.deepEqual(chunked, whole, `seed ${seed}: chunking changed the events`);
  }
});

test('decoder: flush() resolves a false start left hanging by a silence, and still finds the frame inside it', () => {
  const dec = new FrameDecoder(600);
  const real = encodeFrame(4, Uint8Array.of(1, 2, 3));
  // A damaged length announces 500 bytes: the real frame after it is swallowed while it waits.
  const events = dec.push(Uint8Array.from([0xa5, 0x5a, 4, 0xf4, 0x01, 0, 0, ...real]));
  assert.deepEqual(events, []);
  const flushed = dec.flush();
  assert.deepEqual(frames(flushed), [{ type: 4, payload: '010203' }]);
  assert.equal(flushed[0].kind, 'bad-crc');
  assert.equal(dec.pending, 0);
  assert.deepEqual(dec.flush(), []);
});
