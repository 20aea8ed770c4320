/*
 * kit device protocol, version 1: message types and payload layouts (all integers little-endian).
 * src/device/protocol/messages.ts is the host side of the same table.
 *
 *   GET_HELLO host->device  seq u32
 *   HELLO     device->host  seq u32 (the GET_HELLO answered, or KIT_SEQ_NONE when sent on boot),
 *                           version u8, input_bytes u32, output_bytes u32, arena_bytes u32,
 *                           clock_hz u32, tick_hz u32, flags u8 (bit 0: logits are int8),
 *                           board_len u8, board[board_len], hash_len u8, hash[hash_len]
 *   INFER     host->device  seq u32, pixels[input_bytes]
 *   RESULT    device->host  seq u32, class u16, ticks u64, logits[output_bytes]
 *   ERROR     device->host  code u8, seq u32 (KIT_SEQ_NONE when no request can be named), text
 *   PING      host->device  seq u32, any bytes
 *   PONG      device->host  the PING's payload, echoed
 *
 * The device answers requests strictly in the order they arrive, one reply each, so a reply to
 * sequence s tells the host that every request it sent before s has been answered or lost.
 */
#ifndef KIT_MESSAGES_H
#define KIT_MESSAGES_H

#define KIT_PROTOCOL_VERSION 1u

#define KIT_MSG_GET_HELLO 0x01u
#define KIT_MSG_HELLO 0x02u
#define KIT_MSG_INFER 0x03u
#define KIT_MSG_RESULT 0x04u
#define KIT_MSG_ERROR 0x05u
#define KIT_MSG_PING 0x06u
#define KIT_MSG_PONG 0x07u

#define KIT_SEQ_NONE 0xFFFFFFFFu

#define KIT_ERR_BAD_CRC 1u      /* a frame arrived damaged: its request (if any) is lost */
#define KIT_ERR_TOO_LONG 2u     /* a header announced more than the device can hold */
#define KIT_ERR_BAD_LENGTH 3u   /* a request whose payload has the wrong size for its type */
#define KIT_ERR_UNKNOWN_TYPE 4u /* a frame type this firmware does not know */
#define KIT_ERR_CPU_FAULT 5u    /* the CPU took an exception (text: cause, pc, address); the device has stopped */

#define KIT_HELLO_FLAG_SIGNED 0x01u

#endif
