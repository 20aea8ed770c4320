/* The harness's only link to the host: a byte pipe. Each board implements it for its own UART
 * (firmware/boards/<board>/). Blocking on purpose: the harness has nothing else to do. */
#ifndef KIT_UART_H
#define KIT_UART_H

#include <stddef.h>
#include <stdint.h>

void kit_uart_init(void);

/* Sends all n bytes, waiting for room as needed. */
void kit_uart_write(const uint8_t *data, size_t n);

/* Waits for at least one byte, then returns how many (1..max) it stored in buf. */
size_t kit_uart_read(uint8_t *buf, size_t max);

#endif
