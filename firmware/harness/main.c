/*
 * kit device harness: says HELLO on boot, then answers frames forever (protocol/messages.h).
 * Images arrive in PIECEs and are assembled block by block in `image`; the piece that completes
 * one runs it and sends its RESULT, which is kept to be sent again when a POLL asks (the first
 * copy may be lost). A damaged frame is answered with a STATUS, so the host re-sends only what
 * was lost. Nothing is allocated.
 */
#include "cold.h" /* compiled for size: runs per frame or per boot */
#include <stdint.h>
#include <string.h>

#include "frame.h"
#include "harness.h"
#include "messages.h"
#include "model_api.h"
#include "replies.h"
#include "timer.h"
#include "uart.h"

/* The largest PIECE data accepted, at most the image: on a clean link a small image goes as one
 * piece, so the protocol costs a few bytes per image. A board short of RAM can build with less. */
#ifndef KIT_PIECE_BYTES
#define KIT_PIECE_BYTES 4096u
#endif
#if KIT_PIECE_BYTES % KIT_BLOCK_BYTES != 0 || KIT_PIECE_BYTES > 65535u
#error "KIT_PIECE_BYTES must be a multiple of KIT_BLOCK_BYTES, below 64 KiB"
#endif
#define PIECE_HEADER_BYTES 12u /* seq, image, offset */
#define IMAGE_BLOCKS (((uint32_t)KIT_MODEL_INPUT_BYTES + KIT_BLOCK_BYTES - 1u) / KIT_BLOCK_BYTES)
#define PIECE_MAX (IMAGE_BLOCKS * KIT_BLOCK_BYTES < KIT_PIECE_BYTES ? IMAGE_BLOCKS * KIT_BLOCK_BYTES : KIT_PIECE_BYTES)

static uint8_t rx_buffer[KIT_FRAME_BUFFER_BYTES(PIECE_HEADER_BYTES + PIECE_MAX)];
static kit_frame_parser_t parser;
static uint8_t image[KIT_MODEL_INPUT_BYTES];
static uint8_t received[(IMAGE_BLOCKS + 7u) / 8u];
static uint32_t blocks_in;
static uint32_t collecting = KIT_SEQ_NONE; /* the image being assembled */
static uint32_t newest = KIT_SEQ_NONE;     /* the newest image number seen since boot */
static uint32_t last_seq = KIT_SEQ_NONE;   /* of the last intact request read */
/* The last RESULT, for a POLL that asks again. */
static uint32_t done_image = KIT_SEQ_NONE;
static uint16_t done_class;
static uint64_t done_ticks;
static uint8_t logits[KIT_MODEL_OUTPUT_BYTES];
/* The image being run, for kit_harness_fault's report; KIT_SEQ_NONE between requests. */
static volatile uint32_t running_image = KIT_SEQ_NONE;

static uint32_t read_u32(const uint8_t *b) {
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}

/* Image numbers grow (modulo 2^32): a is older than b. */
static int older(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }

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

/* A damaged frame follows the last intact one, so the request after it was lost (if it existed):
 * the STATUS of a damage report names that one. Sequence numbers skip KIT_SEQ_NONE. */
static uint32_t after(uint32_t seq) {
    if (seq == KIT_SEQ_NONE) return KIT_SEQ_NONE;
    return seq + 1u == KIT_SEQ_NONE ? 0u : seq + 1u;
}

static void send_status(uint32_t seq, uint32_t id) {
    if (id == collecting && id != KIT_SEQ_NONE) {
        kit_send_status(seq, id, KIT_STATUS_COLLECTING, (uint16_t)IMAGE_BLOCKS, received, sizeof received);
    } else if (newest != KIT_SEQ_NONE && id != KIT_SEQ_NONE && older(id, newest)) {
        kit_send_status(seq, id, KIT_STATUS_STALE, 0, received, 0);
    } else {
        kit_send_status(seq, id, KIT_STATUS_NOT_STARTED, 0, received, 0);
    }
}

static void run(uint32_t id) {
    running_image = id;
    kit_timer_start();
    kit_model_invoke(image, logits);
    done_ticks = kit_timer_elapsed();
    running_image = KIT_SEQ_NONE;
    done_class = argmax(logits);
    done_image = id;
    collecting = KIT_SEQ_NONE;
    kit_send_result(done_image, done_class, done_ticks, logits);
}

static void piece(const kit_frame_t *f) {
    uint32_t id = read_u32(f->payload + 4);
    uint32_t offset = read_u32(f->payload + 8);
    uint32_t n = f->length - PIECE_HEADER_BYTES;
    uint32_t end = offset + n;
    if (offset % KIT_BLOCK_BYTES != 0 || end > (uint32_t)KIT_MODEL_INPUT_BYTES || end < offset ||
        (n % KIT_BLOCK_BYTES != 0 && end != (uint32_t)KIT_MODEL_INPUT_BYTES)) {
        kit_send_error(KIT_ERR_BAD_LENGTH, last_seq, "PIECE outside the image or off a block boundary");
        return;
    }
    if (id == done_image || (newest != KIT_SEQ_NONE && older(id, newest))) return; /* a duplicate or stale */
    if (id != collecting) { /* a newer image: the host gave up the one being collected, if any */
        collecting = newest = id;
        for (uint32_t b = 0; b < sizeof received; b++) received[b] = 0;
        blocks_in = 0;
    }
    for (uint32_t i = 0; i < n; i++) image[offset + i] = f->payload[PIECE_HEADER_BYTES + i];
    for (uint32_t b = offset / KIT_BLOCK_BYTES; b * KIT_BLOCK_BYTES < end; b++) {
        uint8_t bit = (uint8_t)(1u << (b % 8u));
        if (!(received[b / 8u] & bit)) {
            received[b / 8u] |= bit;
            blocks_in++;
        }
    }
    if (blocks_in == IMAGE_BLOCKS) run(id);
}

static void handle_frame(const kit_frame_t *f) {
    /* Requests all start with a sequence number; without one nothing can be answered by name. */
    if (f->length < 4) {
        kit_send_error(KIT_ERR_BAD_LENGTH, KIT_SEQ_NONE, "request without a sequence number");
        return;
    }
    uint32_t seq = read_u32(f->payload);
    /* The host numbers every frame it sends one after another: a jump means frames were lost
     * without a trace (their sync bytes damaged), and a STATUS after this one tells it at once. */
    int gap = last_seq != KIT_SEQ_NONE && seq != after(last_seq) && f->type != KIT_MSG_GET_HELLO;
    last_seq = seq;
    switch (f->type) {
    case KIT_MSG_GET_HELLO:
        if (f->length != 4) {
            kit_send_error(KIT_ERR_BAD_LENGTH, seq, "GET_HELLO carries a 4-byte sequence number");
            return;
        }
        kit_send_hello(seq, (uint16_t)PIECE_MAX);
        return;
    case KIT_MSG_PIECE:
        if (f->length <= PIECE_HEADER_BYTES) {
            kit_send_error(KIT_ERR_BAD_LENGTH, seq, "PIECE without data");
            return;
        }
        piece(f);
        if (gap && collecting != KIT_SEQ_NONE) send_status(seq, collecting);
        return;
    case KIT_MSG_POLL: {
        if (f->length != 8) {
            kit_send_error(KIT_ERR_BAD_LENGTH, seq, "POLL carries a sequence number and an image number");
            return;
        }
        uint32_t id = read_u32(f->payload + 4);
        if (id == done_image && id != KIT_SEQ_NONE) kit_send_result(done_image, done_class, done_ticks, logits);
        else send_status(seq, id);
        return;
    }
    case KIT_MSG_PING:
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
    kit_send_hello(KIT_SEQ_NONE, (uint16_t)PIECE_MAX);
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
                else send_status(after(last_seq), collecting); /* damaged: the host re-sends what is missing */
            }
        }
    }
}

void kit_harness_fault(const char *what, uint32_t cause, uint32_t pc, uint32_t address) {
    kit_send_fault(running_image, what, cause, pc, address);
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
