/*
 * kit device harness: says HELLO on boot, then answers frames forever. Every request gets exactly
 * one reply, in arrival order (the host's loss detection depends on that):
 *   GET_HELLO -> HELLO, INFER -> RESULT (or ERROR), PING -> PONG, a damaged frame -> ERROR.
 * Nothing is allocated; the receive buffer holds one INFER, and the image is run from it in place.
 */
#include <stdint.h>

#include "frame.h"
#include "harness.h"
#include "messages.h"
#include "model_api.h"
#include "replies.h"
#include "timer.h"
#include "uart.h"

#define INFER_PAYLOAD_BYTES (4u + (uint32_t)KIT_MODEL_INPUT_BYTES)

static uint8_t rx_buffer[KIT_FRAME_BUFFER_BYTES(INFER_PAYLOAD_BYTES)];
static kit_frame_parser_t parser;
static uint8_t logits[KIT_MODEL_OUTPUT_BYTES];
/* The INFER being run, for kit_harness_fault's report; KIT_SEQ_NONE between requests. */
static volatile uint32_t running_seq = KIT_SEQ_NONE;

static uint32_t read_seq(const kit_frame_t *f) {
    const uint8_t *b = f->payload;
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}

/* First index of the largest logit; the host computes the same from the logits it receives. */
static uint16_t argmax(const uint8_t *v) {
    uint16_t best = 0;
    for (uint16_t k = 1; k < KIT_MODEL_OUTPUT_BYTES; k++) {
#if KIT_MODEL_OUTPUT_SIGNED
        if ((int8_t)v[k] > (int8_t)v[best]) best = k;
#else
        if (v[k] > v[best]) best = k;
#endif
    }
    return best;
}

static void infer(const kit_frame_t *f) {
    uint32_t seq = read_seq(f);
    running_seq = seq;
    kit_timer_start();
    kit_model_invoke(f->payload + 4, logits);
    uint64_t ticks = kit_timer_elapsed();
    running_seq = KIT_SEQ_NONE;
    kit_send_result(seq, argmax(logits), ticks, logits);
}

static void handle_frame(const kit_frame_t *f) {
    /* Requests all start with a sequence number; without one nothing can be answered by name. */
    uint32_t seq = f->length >= 4 ? read_seq(f) : KIT_SEQ_NONE;
    switch (f->type) {
    case KIT_MSG_GET_HELLO:
        if (f->length != 4) {
            kit_send_error(KIT_ERR_BAD_LENGTH, seq, "GET_HELLO carries a 4-byte sequence number");
            return;
        }
        kit_send_hello(seq);
        return;
    case KIT_MSG_INFER:
        if (f->length != INFER_PAYLOAD_BYTES) {
            kit_send_error(KIT_ERR_BAD_LENGTH, seq, "INFER image size differs from the model's input");
            return;
        }
        infer(f);
        return;
    case KIT_MSG_PING:
        if (f->length < 4) {
            kit_send_error(KIT_ERR_BAD_LENGTH, seq, "PING carries a sequence number");
            return;
        }
        kit_send_pong(f->payload, f->length);
        return;
    default:
        kit_send_error(KIT_ERR_UNKNOWN_TYPE, seq, "unknown frame type");
        return;
    }
}

void kit_harness_run(void) {
    kit_uart_init();
    kit_timer_init();
    kit_frame_parser_init(&parser, rx_buffer, sizeof rx_buffer);
    kit_send_hello(KIT_SEQ_NONE);
    for (;;) {
        uint8_t chunk[64];
        size_t n = kit_uart_read(chunk, sizeof chunk);
        size_t fed = 0;
        while (fed < n) {
            fed += kit_frame_feed(&parser, chunk + fed, n - fed);
            kit_frame_t f;
            kit_frame_event_t ev;
            while ((ev = kit_frame_next(&parser, &f)) != KIT_FRAME_NONE) {
                if (ev == KIT_FRAME_OK) handle_frame(&f);
                else if (ev == KIT_FRAME_BAD_CRC) kit_send_error(KIT_ERR_BAD_CRC, KIT_SEQ_NONE, "frame failed its CRC check");
                else kit_send_error(KIT_ERR_TOO_LONG, KIT_SEQ_NONE, "frame longer than this device accepts");
            }
        }
    }
}

void kit_harness_fault(const char *what, uint32_t cause, uint32_t pc, uint32_t address) {
    kit_send_fault(running_seq, what, cause, pc, address);
    for (;;) {
    }
}

/* Boards whose SDK owns main() (ESP-IDF) define KIT_HARNESS_NO_MAIN and call kit_harness_run. */
#ifndef KIT_HARNESS_NO_MAIN
int main(void) {
    kit_harness_run();
    return 0;
}
#endif
