/*
 * kit device protocol, version 3: message types and payload layouts (all integers little-endian).
 * src/device/protocol/messages.ts is the host side of the same table; firmware/README.md tells the
 * whole exchange.
 *
 *   GET_HELLO host->device  seq u32
 *   HELLO     device->host  seq u32 (the GET_HELLO answered, or KIT_SEQ_NONE when sent on boot),
 *                           version u8, input_bytes u32, output_bytes u32, arena_bytes u32,
 *                           clock_hz u32, tick_hz u32, flags u8 (bit 0: logits are int8),
 *                           piece_bytes u16 (largest PIECE data accepted),
 *                           profile_marks u16 (0, or layers + 1 in a profiling build),
 *                           board_len u8, board[board_len], hash_len u8, hash[hash_len]
 *   PIECE     host->device  seq u32, image u32, offset u32, data[]: bytes [offset, offset + n) of
 *                           image `image`; offset a multiple of KIT_BLOCK_BYTES, and n too unless the
 *                           piece ends the image. A complete image is run at once.
 *   POLL      host->device  seq u32, image u32: answered by RESULT (the image is done) or STATUS
 *   RESULT    device->host  image u32, class u16, ticks u64, marks u16, mark u64[marks],
 *                           logits[output_bytes]. A profiling build (-DKIT_PROFILE) sends the
 *                           counter before the first layer and after each one (harness/profile.h);
 *                           any other sends 0 marks. Version 3 added the two profile fields.
 *   STATUS    device->host  seq u32, image u32, state u8, blocks u16, received[ceil(blocks / 8)]
 *                           (bit b of byte k: block 8k + b of the image is in). The answer to a
 *                           POLL (seq: the POLL's), and sent unasked after a damaged frame, the
 *                           negative acknowledgement (seq: the one after the last intact request
 *                           read, which the damage was or swallowed).
 *   ERROR     device->host  code u8, seq u32 (KIT_SEQ_NONE when no request can be named), text
 *   PING      host->device  seq u32, any bytes
 *   PONG      device->host  the PING's payload, echoed
 *
 * The device reads requests in order, so a STATUS naming seq s tells the host that every request it
 * sent up to s that the STATUS does not show received was lost. Image numbers only grow: a PIECE
 * of a newer image drops the one being collected, a PIECE of an older one is stale and ignored.
 */
#ifndef KIT_MESSAGES_H
#define KIT_MESSAGES_H

#define KIT_PROTOCOL_VERSION 3u

#define KIT_MSG_GET_HELLO 0x01u
#define KIT_MSG_HELLO 0x02u
#define KIT_MSG_RESULT 0x04u
#define KIT_MSG_ERROR 0x05u
#define KIT_MSG_PING 0x06u
#define KIT_MSG_PONG 0x07u
#define KIT_MSG_PIECE 0x08u
#define KIT_MSG_POLL 0x09u
#define KIT_MSG_STATUS 0x0Au

#define KIT_SEQ_NONE 0xFFFFFFFFu

/* Pieces start on a block boundary; STATUS reports the image block by block. */
#define KIT_BLOCK_BYTES 32u

/* STATUS.state */
#define KIT_STATUS_COLLECTING 0u /* `image` is being collected: the bitmap says what is in */
#define KIT_STATUS_NOT_STARTED 1u /* nothing of `image` yet (bitmap all zero) */
#define KIT_STATUS_STALE 2u       /* `image` is older than what the device collects: send it again under a new number */

#define KIT_ERR_BAD_LENGTH 3u   /* a request whose payload has the wrong size for its type */
#define KIT_ERR_UNKNOWN_TYPE 4u /* a frame type this firmware does not know */
#define KIT_ERR_CPU_FAULT 5u    /* the CPU took an exception (text: cause, pc, address); the device has stopped */

#define KIT_HELLO_FLAG_SIGNED 0x01u

#endif
