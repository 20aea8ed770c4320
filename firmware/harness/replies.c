#include "cold.h" /* compiled for size: runs per frame or per boot */
#include "replies.h"

#include "frame.h"
#include "messages.h"
#include "model_api.h"
#include "profile.h"
#include "timer.h"
#include "uart.h"

/* Board identity comes from the board JSON via the build (src/device/build.ts). */
#ifndef KIT_BOARD_NAME
#error "KIT_BOARD_NAME must be defined by the build"
#endif
#ifndef KIT_BOARD_CLOCK_HZ
#error "KIT_BOARD_CLOCK_HZ must be defined by the build"
#endif

static void put_u32(uint8_t *b, uint32_t v) {
    for (int i = 0; i < 4; i++) b[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *b, uint64_t v) {
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
}

/* The length of a short string, at most 255 (every string the harness sends is shorter). Not
 * strlen, which the bound also keeps gcc from calling: newlib's is a word-at-a-time version of 220
 * bytes of Thumb-2, aligned to 64 bytes, in firmware that sends a few short strings. */
static uint8_t short_len(const char *s) {
    uint8_t n = 0;
    while (n < 255 && s[n]) n++;
    return n;
}

void kit_send_hello(uint32_t seq, uint16_t piece_bytes) {
    static const char board[] = KIT_BOARD_NAME;
    uint8_t board_len = short_len(board);
    uint8_t hash_len = short_len(kit_model_hash);
    uint8_t fixed[30];
    put_u32(fixed, seq);
    fixed[4] = KIT_PROTOCOL_VERSION;
    put_u32(fixed + 5, (uint32_t)KIT_MODEL_INPUT_BYTES);
    put_u32(fixed + 9, (uint32_t)KIT_MODEL_OUTPUT_BYTES);
    put_u32(fixed + 13, (uint32_t)KIT_MODEL_ARENA_BYTES);
    put_u32(fixed + 17, (uint32_t)KIT_BOARD_CLOCK_HZ);
    put_u32(fixed + 21, kit_timer_hz());
    fixed[25] = KIT_MODEL_OUTPUT_SIGNED ? KIT_HELLO_FLAG_SIGNED : 0u;
    fixed[26] = (uint8_t)piece_bytes;
    fixed[27] = (uint8_t)(piece_bytes >> 8);
    fixed[28] = (uint8_t)KIT_PROFILE_MARKS; /* 0: not a profiling build */
    fixed[29] = (uint8_t)(KIT_PROFILE_MARKS >> 8);

    kit_frame_writer_t w;
    kit_frame_begin(&w, kit_uart_write, KIT_MSG_HELLO, (uint32_t)(sizeof fixed + 2u + board_len + hash_len));
    kit_frame_part(&w, fixed, sizeof fixed);
    kit_frame_part(&w, &board_len, 1);
    kit_frame_part(&w, (const uint8_t *)board, board_len);
    kit_frame_part(&w, &hash_len, 1);
    kit_frame_part(&w, (const uint8_t *)kit_model_hash, hash_len);
    kit_frame_end(&w);
}

void kit_send_result(uint32_t seq, uint16_t cls, uint64_t ticks, const uint8_t *logits) {
    uint8_t fixed[16];
    put_u32(fixed, seq);
    fixed[4] = (uint8_t)cls;
    fixed[5] = (uint8_t)(cls >> 8);
    put_u64(fixed + 6, ticks);
    fixed[14] = (uint8_t)KIT_PROFILE_MARKS;
    fixed[15] = (uint8_t)(KIT_PROFILE_MARKS >> 8);

    kit_frame_writer_t w;
    kit_frame_begin(&w, kit_uart_write, KIT_MSG_RESULT, (uint32_t)(sizeof fixed + 8u * KIT_PROFILE_MARKS + KIT_MODEL_OUTPUT_BYTES));
    kit_frame_part(&w, fixed, sizeof fixed);
#ifdef KIT_PROFILE
    for (uint16_t k = 0; k < KIT_PROFILE_MARKS; k++) {
        uint8_t mark[8];
        put_u64(mark, kit_profile_marks[k]);
        kit_frame_part(&w, mark, sizeof mark);
    }
#endif
    kit_frame_part(&w, logits, KIT_MODEL_OUTPUT_BYTES);
    kit_frame_end(&w);
}

void kit_send_status(uint32_t seq, uint32_t image, uint8_t state, uint16_t blocks, const uint8_t *received, size_t received_bytes) {
    uint8_t fixed[11];
    put_u32(fixed, seq);
    put_u32(fixed + 4, image);
    fixed[8] = state;
    fixed[9] = (uint8_t)blocks;
    fixed[10] = (uint8_t)(blocks >> 8);

    kit_frame_writer_t w;
    kit_frame_begin(&w, kit_uart_write, KIT_MSG_STATUS, (uint32_t)(sizeof fixed + received_bytes));
    kit_frame_part(&w, fixed, sizeof fixed);
    kit_frame_part(&w, received, received_bytes);
    kit_frame_end(&w);
}

void kit_send_error(uint8_t code, uint32_t seq, const char *text) {
    uint8_t fixed[5];
    size_t text_len = short_len(text);
    fixed[0] = code;
    put_u32(fixed + 1, seq);

    kit_frame_writer_t w;
    kit_frame_begin(&w, kit_uart_write, KIT_MSG_ERROR, (uint32_t)(sizeof fixed + text_len));
    kit_frame_part(&w, fixed, sizeof fixed);
    kit_frame_part(&w, (const uint8_t *)text, text_len);
    kit_frame_end(&w);
}

/* Appends s to buf at *at, within cap. */
static void append(char *buf, size_t cap, size_t *at, const char *s) {
    while (*s && *at + 1 < cap) buf[(*at)++] = *s++;
    buf[*at] = 0;
}

static void append_hex(char *buf, size_t cap, size_t *at, uint32_t v) {
    static const char digits[] = "0123456789abcdef";
    char text[11] = "0x";
    for (int i = 0; i < 8; i++) text[2 + i] = digits[(v >> (28 - 4 * i)) & 0xFu];
    text[10] = 0;
    append(buf, cap, at, text);
}

static void append_dec(char *buf, size_t cap, size_t *at, uint32_t v) {
    char text[11];
    int i = 10;
    text[i] = 0;
    do {
        text[--i] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v && i > 0);
    append(buf, cap, at, text + i);
}

void kit_send_fault(uint32_t seq, const char *what, uint32_t cause, uint32_t pc, uint32_t address) {
    char text[160];
    size_t at = 0;
    text[0] = 0;
    append(text, sizeof text, &at, "CPU exception: ");
    append(text, sizeof text, &at, what);
    append(text, sizeof text, &at, " (cause ");
    append_dec(text, sizeof text, &at, cause);
    append(text, sizeof text, &at, ") at pc ");
    append_hex(text, sizeof text, &at, pc);
    append(text, sizeof text, &at, ", address ");
    append_hex(text, sizeof text, &at, address);
    kit_send_error(KIT_ERR_CPU_FAULT, seq, text);
}

void kit_send_pong(const uint8_t *payload, uint32_t length) {
    kit_frame_writer_t w;
    kit_frame_begin(&w, kit_uart_write, KIT_MSG_PONG, length);
    kit_frame_part(&w, payload, length);
    kit_frame_end(&w);
}
