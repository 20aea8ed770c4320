/* CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320): the checksum every kit frame ends with. */
#ifndef KIT_CRC32_H
#define KIT_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* zlib-style: start with crc = 0, pass the previous result to continue over more bytes. */
uint32_t kit_crc32(uint32_t crc, const uint8_t *data, size_t n);

#endif
