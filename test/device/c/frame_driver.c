/*
 * Test driver for firmware/protocol/frame.c, built for the host with sanitizers: reads a byte
 * stream on stdin, feeds it to the parser `chunk` bytes at a time, and prints one line per event.
 * test/device/frame-c.test.ts renders the TypeScript decoder's events the same way and compares.
 *
 *   frame_driver MAX_PAYLOAD CHUNK < stream
 *
 *   F <type> <length> <payload hex> <the frame re-encoded by kit_frame_begin/part/end, hex>
 *   C <type> <length>      bad CRC
 *   L <type> <length>      length over MAX_PAYLOAD
 *   E <skipped> <pending>  end of input
 */
#include <stdio.h>
#include <stdlib.h>

#include "frame.h"

static uint8_t input[1 << 22];
static uint8_t parser_buf[(1 << 16) + KIT_FRAME_OVERHEAD];

static void print_hex(const uint8_t *data, size_t n) {
    for (size_t i = 0; i < n; i++) printf("%02x", data[i]);
}

static void sink(const uint8_t *data, size_t n) { print_hex(data, n); }

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: frame_driver MAX_PAYLOAD CHUNK < stream\n");
        return 2;
    }
    size_t max_payload = (size_t)strtoul(argv[1], NULL, 10);
    size_t chunk = (size_t)strtoul(argv[2], NULL, 10);
    if (max_payload + KIT_FRAME_OVERHEAD > sizeof parser_buf || chunk == 0) return 2;
    size_t n = fread(input, 1, sizeof input, stdin);

    kit_frame_parser_t p;
    kit_frame_parser_init(&p, parser_buf, max_payload + KIT_FRAME_OVERHEAD);
    size_t at = 0;
    while (at < n) {
        size_t want = n - at < chunk ? n - at : chunk;
        size_t took = kit_frame_feed(&p, input + at, want);
        if (took == 0) {
            fprintf(stderr, "feed refused bytes with the parser drained\n");
            return 1;
        }
        at += took;
        kit_frame_t f;
        kit_frame_event_t ev;
        while ((ev = kit_frame_next(&p, &f)) != KIT_FRAME_NONE) {
            if (ev == KIT_FRAME_OK) {
                printf("F %u %lu ", f.type, (unsigned long)f.length);
                print_hex(f.payload, f.length);
                putchar(' ');
                kit_frame_writer_t w;
                kit_frame_begin(&w, sink, f.type, f.length);
                /* In two parts, to exercise the running CRC. */
                kit_frame_part(&w, f.payload, f.length / 2);
                kit_frame_part(&w, f.payload + f.length / 2, f.length - f.length / 2);
                kit_frame_end(&w);
                putchar('\n');
            } else {
                printf("%c %u %lu\n", ev == KIT_FRAME_BAD_CRC ? 'C' : 'L', f.type, (unsigned long)f.length);
            }
        }
    }
    printf("E %lu %lu\n", (unsigned long)p.skipped, (unsigned long)(p.end - p.start));
    return 0;
}
