#include "cold.h" /* compiled for size: runs per frame or per boot */
#include "frame.h"

#include "crc32.h"

static uint32_t read_u32le(const uint8_t *b) {
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}

static void write_u32le(uint8_t *b, uint32_t v) {
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)(v >> 16);
    b[3] = (uint8_t)(v >> 24);
}

void kit_frame_parser_init(kit_frame_parser_t *p, uint8_t *buf, size_t size) {
    p->buf = buf;
    p->size = size;
    p->max_payload = (uint32_t)(size - KIT_FRAME_OVERHEAD);
    p->start = 0;
    p->end = 0;
    p->release = 0;
    p->skipped = 0;
}

size_t kit_frame_feed(kit_frame_parser_t *p, const uint8_t *data, size_t n) {
    if (p->size - p->end < n && p->start > 0) {
        /* Compact only when the tail is reached: at most one move per buffer's worth. */
        for (size_t i = 0; i < p->end - p->start; i++) p->buf[i] = p->buf[p->start + i]; /* forward: dst < src */
        p->end -= p->start;
        p->start = 0;
    }
    size_t room = p->size - p->end;
    size_t take = n < room ? n : room;
    for (size_t i = 0; i < take; i++) p->buf[p->end + i] = data[i];
    p->end += take;
    return take;
}

/* Gives up on the candidate at start: its first byte is garbage, everything after it gets
 * scanned again. */
static void drop_one(kit_frame_parser_t *p) {
    p->start++;
    p->skipped++;
}

kit_frame_event_t kit_frame_next(kit_frame_parser_t *p, kit_frame_t *out) {
    p->start += p->release;
    p->release = 0;
    for (;;) {
        size_t avail = p->end - p->start;
        const uint8_t *c = p->buf + p->start;
        if (avail == 0) {
            /* Empty: rewind for free so the buffer rarely needs compacting. */
            p->start = p->end = 0;
            return KIT_FRAME_NONE;
        }
        if (c[0] != KIT_FRAME_SYNC0) {
            drop_one(p);
            continue;
        }
        if (avail < 2) return KIT_FRAME_NONE;
        if (c[1] != KIT_FRAME_SYNC1) {
            drop_one(p);
            continue;
        }
        if (avail < KIT_FRAME_HEADER_BYTES) return KIT_FRAME_NONE;
        out->type = c[2];
        out->length = read_u32le(c + 3);
        out->payload = NULL;
        if (out->length > p->max_payload) {
            drop_one(p);
            return KIT_FRAME_TOO_LONG;
        }
        size_t total = (size_t)out->length + KIT_FRAME_OVERHEAD;
        if (avail < total) return KIT_FRAME_NONE;
        uint32_t want = read_u32le(c + KIT_FRAME_HEADER_BYTES + out->length);
        uint32_t got = kit_crc32(0, c + 2, 5u + (size_t)out->length);
        if (want != got) {
            drop_one(p);
            return KIT_FRAME_BAD_CRC;
        }
        out->payload = c + KIT_FRAME_HEADER_BYTES;
        p->release = total; /* keep the bytes until the caller is done with the payload */
        return KIT_FRAME_OK;
    }
}

void kit_frame_begin(kit_frame_writer_t *w, kit_frame_sink_t sink, uint8_t type, uint32_t length) {
    uint8_t header[KIT_FRAME_HEADER_BYTES] = {KIT_FRAME_SYNC0, KIT_FRAME_SYNC1, type, 0, 0, 0, 0};
    write_u32le(header + 3, length);
    w->sink = sink;
    w->crc = kit_crc32(0, header + 2, 5);
    sink(header, sizeof header);
}

void kit_frame_part(kit_frame_writer_t *w, const uint8_t *data, size_t n) {
    w->crc = kit_crc32(w->crc, data, n);
    w->sink(data, n);
}

void kit_frame_end(kit_frame_writer_t *w) {
    uint8_t trailer[KIT_FRAME_CRC_BYTES];
    write_u32le(trailer, w->crc);
    w->sink(trailer, sizeof trailer);
}
