/*
 * kit frame layer, device side. A frame on the wire is
 *
 *     0xA5 0x5A | type u8 | length u32 LE | payload[length] | crc32 u32 LE
 *
 * with the CRC-32 taken over type, length and payload. The parser keeps every byte of a candidate
 * frame until it is resolved, so when a candidate turns out broken (bad CRC, length over the
 * limit) it can drop just its first byte and scan the rest again: a real frame that starts inside
 * the broken one is never lost. src/device/protocol/frame.ts implements exactly the same rules;
 * test/device/frame-c.test.ts holds the two to it byte for byte.
 *
 * No allocation: the caller owns the parser and its buffer (statics); the buffer's size sets the
 * largest payload accepted, KIT_FRAME_OVERHEAD bytes less than the buffer.
 */
#ifndef KIT_FRAME_H
#define KIT_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define KIT_FRAME_SYNC0 0xA5u
#define KIT_FRAME_SYNC1 0x5Au
#define KIT_FRAME_HEADER_BYTES 7u /* sync0 sync1 type length[4] */
#define KIT_FRAME_CRC_BYTES 4u
#define KIT_FRAME_OVERHEAD (KIT_FRAME_HEADER_BYTES + KIT_FRAME_CRC_BYTES)
/* Buffer size for a parser that must accept payloads of up to `max_payload` bytes. */
#define KIT_FRAME_BUFFER_BYTES(max_payload) ((size_t)(max_payload) + KIT_FRAME_OVERHEAD)

typedef enum {
    KIT_FRAME_NONE = 0, /* nothing complete yet: feed more bytes */
    KIT_FRAME_OK,       /* a frame: type, length, payload are set */
    KIT_FRAME_BAD_CRC,  /* a candidate whose CRC did not match: type and length as read */
    KIT_FRAME_TOO_LONG  /* a header whose length exceeds what the buffer can hold */
} kit_frame_event_t;

typedef struct {
    uint8_t type;
    uint32_t length;
    const uint8_t *payload; /* into the parser's buffer; valid until the next kit_frame_* call */
} kit_frame_t;

typedef struct {
    uint8_t *buf;
    size_t size;
    uint32_t max_payload; /* size - KIT_FRAME_OVERHEAD */
    size_t start;   /* unconsumed bytes are buf[start, end) */
    size_t end;
    size_t release; /* bytes of the frame handed out last, dropped on the next call */
    uint32_t skipped; /* bytes thrown away as garbage or as the first byte of a broken frame */
} kit_frame_parser_t;

/* `buf` must outlive the parser and hold more than KIT_FRAME_OVERHEAD bytes. */
void kit_frame_parser_init(kit_frame_parser_t *p, uint8_t *buf, size_t size);

/* Appends up to n bytes; returns how many were taken. Call kit_frame_next until it returns
 * KIT_FRAME_NONE between feeds, and a feed of at least one byte always succeeds. */
size_t kit_frame_feed(kit_frame_parser_t *p, const uint8_t *data, size_t n);

/* The next event from the bytes fed so far, or KIT_FRAME_NONE. */
kit_frame_event_t kit_frame_next(kit_frame_parser_t *p, kit_frame_t *out);

/* Writing: frames are streamed out piece by piece through a sink, so a reply assembled from
 * several fields (sequence, class, ticks, logits) needs no buffer of its own. */
typedef void (*kit_frame_sink_t)(const uint8_t *data, size_t n);

typedef struct {
    kit_frame_sink_t sink;
    uint32_t crc;
} kit_frame_writer_t;

/* The parts passed to kit_frame_part must add up to exactly `length` bytes. */
void kit_frame_begin(kit_frame_writer_t *w, kit_frame_sink_t sink, uint8_t type, uint32_t length);
void kit_frame_part(kit_frame_writer_t *w, const uint8_t *data, size_t n);
void kit_frame_end(kit_frame_writer_t *w);

#endif
