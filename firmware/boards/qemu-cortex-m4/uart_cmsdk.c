/*
 * UART for QEMU mps2-an386: the CMSDK APB UART0 at 0x40004000. The UART has a one-byte receive
 * holding register and no FIFO, so while the harness waits for input it sleeps in WFI with the
 * receive interrupt on, and the interrupt moves each byte into a ring buffer. During an inference
 * the interrupt is off: no handler runs inside a measurement (instruction counts stay exact), and
 * bytes wait in the holding register (QEMU holds the rest back; a real board would lose them, and
 * the protocol re-sends what was lost).
 */
#include "cold.h" /* compiled for size: runs per frame or per boot */
#include "uart.h"

typedef struct {
    volatile uint32_t data;
    volatile uint32_t state; /* bit 0: TX buffer full, bit 1: RX buffer full */
    volatile uint32_t ctrl;  /* bit 0: TX enable, bit 1: RX enable, bit 3: RX interrupt enable */
    volatile uint32_t intstatus; /* write 1 to clear */
    volatile uint32_t bauddiv;
} kit_cmsdk_uart_t;

#define UART0 ((kit_cmsdk_uart_t *)0x40004000u)
#define STATE_TX_FULL 0x1u
#define STATE_RX_FULL 0x2u
#define CTRL_TX_RX 0x3u
#define CTRL_RX_INT 0x8u
#define INT_RX 0x2u
/* mps2-an386: UART0's receive interrupt is external interrupt 0. */
#define NVIC_ISER0 (*(volatile uint32_t *)0xE000E100u)
#define UART0_RX_IRQ_BIT 0x1u

#ifndef KIT_BOARD_BAUD
#define KIT_BOARD_BAUD 115200u
#endif

#define RING_BYTES 256u /* a power of two */
static volatile uint8_t ring[RING_BYTES];
static volatile uint32_t ring_head; /* written by the interrupt */
static uint32_t ring_tail;          /* written by kit_uart_read */

void kit_uart_rx_handler(void);

void kit_uart_rx_handler(void) {
    while (UART0->state & STATE_RX_FULL) {
        uint8_t b = (uint8_t)UART0->data;
        if (ring_head - ring_tail < RING_BYTES) {
            ring[ring_head % RING_BYTES] = b;
            ring_head++;
        }
    }
    UART0->intstatus = INT_RX;
}

void kit_uart_init(void) {
    /* QEMU does not pace by the baud rate, but a real CMSDK UART needs a divisor >= 16. */
    UART0->bauddiv = (uint32_t)KIT_BOARD_CLOCK_HZ / KIT_BOARD_BAUD;
    UART0->ctrl = CTRL_TX_RX;
    NVIC_ISER0 = UART0_RX_IRQ_BIT;
}

void kit_uart_write(const uint8_t *data, size_t n) {
    for (size_t i = 0; i < n; i++) {
        while (UART0->state & STATE_TX_FULL) {
        }
        UART0->data = data[i];
    }
}

size_t kit_uart_read(uint8_t *buf, size_t max) {
    UART0->ctrl = CTRL_TX_RX | CTRL_RX_INT;
    for (;;) {
        __asm__ volatile("cpsid i" ::: "memory");
        if (ring_head != ring_tail || (UART0->state & STATE_RX_FULL)) break;
        /* With interrupts masked, WFI still wakes on a pending one: no byte slips past the check. */
        __asm__ volatile("wfi\n cpsie i\n isb" ::: "memory");
    }
    __asm__ volatile("cpsie i\n isb" ::: "memory");
    UART0->ctrl = CTRL_TX_RX;
    kit_uart_rx_handler(); /* whatever is in the holding register */
    size_t n = 0;
    while (n < max && ring_tail != ring_head) {
        buf[n++] = ring[ring_tail % RING_BYTES];
        ring_tail++;
    }
    return n;
}
