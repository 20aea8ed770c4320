/* UART for QEMU mps2-an386: the CMSDK APB UART0 at 0x40004000, polled. */
#include "uart.h"

typedef struct {
    volatile uint32_t data;
    volatile uint32_t state; /* bit 0: TX buffer full, bit 1: RX buffer full */
    volatile uint32_t ctrl;  /* bit 0: TX enable, bit 1: RX enable */
    volatile uint32_t intstatus;
    volatile uint32_t bauddiv;
} kit_cmsdk_uart_t;

#define UART0 ((kit_cmsdk_uart_t *)0x40004000u)
#define STATE_TX_FULL 0x1u
#define STATE_RX_FULL 0x2u

#ifndef KIT_BOARD_BAUD
#define KIT_BOARD_BAUD 115200u
#endif

void kit_uart_init(void) {
    /* QEMU does not pace by the baud rate, but a real CMSDK UART needs a divisor >= 16. */
    UART0->bauddiv = (uint32_t)KIT_BOARD_CLOCK_HZ / KIT_BOARD_BAUD;
    UART0->ctrl = 0x3u;
}

void kit_uart_write(const uint8_t *data, size_t n) {
    for (size_t i = 0; i < n; i++) {
        while (UART0->state & STATE_TX_FULL) {
        }
        UART0->data = data[i];
    }
}

size_t kit_uart_read(uint8_t *buf, size_t max) {
    size_t n = 0;
    while (!(UART0->state & STATE_RX_FULL)) {
    }
    /* One-byte holding register: take what is there now, never wait for a second byte. */
    while (n < max && (UART0->state & STATE_RX_FULL)) buf[n++] = (uint8_t)UART0->data;
    return n;
}
