/*
 * Reset and vector table for QEMU mps2-an386. Only what the harness needs: copy .data, clear
 * .bss, turn on the FPU (the hard-float ABI may use it anywhere), call main. Faults park the core
 * in a loop; the host sees the silence and reports it.
 */
#include "cold.h" /* compiled for size: runs per frame or per boot */
#include <stdint.h>

extern uint32_t __data_start, __data_end, __data_load, __bss_start, __bss_end, __stack_top;
extern int main(void);
void kit_systick_handler(void);
void kit_uart_rx_handler(void);

#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)

void kit_reset_handler(void) {
    const uint32_t *src = &__data_load;
    for (uint32_t *dst = &__data_start; dst < &__data_end;) *dst++ = *src++;
    for (uint32_t *dst = &__bss_start; dst < &__bss_end;) *dst++ = 0;
    SCB_CPACR |= 0xFu << 20; /* CP10 and CP11 full access */
    __asm__ volatile("dsb\n isb" ::: "memory");
    main();
    for (;;) {
    }
}

static void kit_fault_handler(void) {
    for (;;) {
    }
}

typedef void (*kit_vector_t)(void);

/* Initial SP, then exceptions 1..15 (reset, NMI, faults, SVC, PendSV, SysTick). The harness
 * polls the UART, so no external interrupts are wired. */
__attribute__((section(".vectors"), used)) static const kit_vector_t vectors[17] = {
    (kit_vector_t)(uintptr_t)&__stack_top,
    kit_reset_handler,
    kit_fault_handler, /* NMI */
    kit_fault_handler, /* HardFault */
    kit_fault_handler, /* MemManage */
    kit_fault_handler, /* BusFault */
    kit_fault_handler, /* UsageFault */
    0, 0, 0, 0,
    kit_fault_handler, /* SVCall */
    kit_fault_handler, /* DebugMonitor */
    0,
    kit_fault_handler, /* PendSV */
    kit_systick_handler,
    kit_uart_rx_handler, /* external interrupt 0: UART0 receive */
};
