/* The device's side of each message: builds a reply's payload field by field and streams it out
 * as one frame through the UART (firmware/protocol/messages.h has the layouts). */
#ifndef KIT_REPLIES_H
#define KIT_REPLIES_H

#include <stddef.h>
#include <stdint.h>

void kit_send_hello(uint32_t seq, uint16_t piece_bytes);
void kit_send_result(uint32_t seq, uint16_t cls, uint64_t ticks, const uint8_t *logits);
/* `received` holds ceil(blocks / 8) bytes (received_bytes); blocks 0 sends none. */
void kit_send_status(uint32_t seq, uint32_t image, uint8_t state, uint16_t blocks, const uint8_t *received, size_t received_bytes);
void kit_send_error(uint8_t code, uint32_t seq, const char *text);
/* ERROR KIT_ERR_CPU_FAULT: "<what> (cause C) at pc 0x..., address 0x...". */
void kit_send_fault(uint32_t seq, const char *what, uint32_t cause, uint32_t pc, uint32_t address);
void kit_send_pong(const uint8_t *payload, uint32_t length);

#endif
