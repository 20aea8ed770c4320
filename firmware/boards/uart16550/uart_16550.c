/*
 * UART for boards with a 16550-compatible UART, polled: QEMU's lx60 (registers 4 bytes apart at
 * 0xfd050020) and virt RISC-V machines (1 byte apart at 0x10000000). The board JSON gives the base
 * address and the register spacing as KIT_UART16550_BASE and KIT_UART16550_STRIDE.
 */
#include "cold.h" /* compiled for size: runs per frame or per boot */
#include "uart.h"

#ifndef KIT_UART16550_BASE
#error "KIT_UART16550_BASE must be defined by the board (its cflags)"
#endif
#ifndef KIT_UART16550_STRIDE
#error "KIT_UART16550_STRIDE must be defined by the board (its cflags)"
#endif
#ifndef KIT_BOARD_BAUD
#define KIT_BOARD_BAUD 115200u
#endif

/* Register n (8 bits wide whatever the spacing). */
#define REG(n) (*(volatile uint8_t *)((uintptr_t)(KIT_UART16550_BASE) + (uintptr_t)(n) * (KIT_UART16550_STRIDE)))
#define RBR REG(0) /* receive buffer (read) */
#define THR REG(0) /* transmit holding (write) */
#define DLL REG(0) /* divisor latch, low byte (while LCR.DLAB) */
#define IER REG(1)
#define DLM REG(1) /* divisor latch, high byte (while LCR.DLAB) */
#define FCR REG(2) /* FIFO control (write) */
#define LCR REG(3)
#define MCR REG(4)
#define LSR REG(5)

#define LCR_8N1 0x03u
#define LCR_DLAB 0x80u
#define FCR_ENABLE_AND_CLEAR 0x07u
#define MCR_DTR_RTS 0x03u
#define LSR_DATA_READY 0x01u
#define LSR_THR_EMPTY 0x20u

/* The 16550's reference clock on the real parts QEMU models (1.8432 MHz); QEMU itself does not pace. */
#define UART_CLOCK_HZ 1843200u

void kit_uart_init(void) {
    const uint32_t divisor = UART_CLOCK_HZ / (16u * KIT_BOARD_BAUD);
    IER = 0; /* polled: no interrupts */
    LCR = LCR_DLAB;
    DLL = (uint8_t)(divisor ? divisor : 1u);
    DLM = (uint8_t)(divisor >> 8);
    LCR = LCR_8N1;
    FCR = FCR_ENABLE_AND_CLEAR;
    MCR = MCR_DTR_RTS;
}

void kit_uart_write(const uint8_t *data, size_t n) {
    for (size_t i = 0; i < n; i++) {
        while (!(LSR & LSR_THR_EMPTY)) {
        }
        THR = data[i];
    }
}

size_t kit_uart_read(uint8_t *buf, size_t max) {
    size_t n = 0;
    while (!(LSR & LSR_DATA_READY)) {
    }
    /* Take what the FIFO holds now; never wait for more. */
    while (n < max && (LSR & LSR_DATA_READY)) buf[n++] = RBR;
    return n;
}
