/*
 * Timer for QEMU mps2-an386: SysTick on the core clock (KIT_BOARD_CLOCK_HZ, 25 MHz), widened to
 * 64 bits by counting wraps in its interrupt. Under `-icount shift=N` QEMU's virtual clock is
 * instruction count times 2^N ns, so these counts are exact and repeat run to run; the DWT cycle
 * counter is not modelled (reads 0). kit_timer_start restarts the counter, so a wrap (and its
 * interrupt's instructions) falls at the same point of every measurement.
 */
#include "cold.h" /* compiled for size: runs per frame or per boot */
#include "timer.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define CSR_ENABLE 0x1u
#define CSR_TICKINT 0x2u
#define CSR_CORE_CLOCK 0x4u
#define RELOAD 0x00FFFFFFu

static volatile uint32_t wraps;

void kit_systick_handler(void) { wraps++; }

void kit_timer_init(void) {
    SYST_RVR = RELOAD;
    SYST_CVR = 0;
    wraps = 0;
    SYST_CSR = CSR_ENABLE | CSR_TICKINT | CSR_CORE_CLOCK;
}

void kit_timer_start(void) {
    /* A write clears the counter; it reloads on the next tick without raising the interrupt. */
    SYST_CSR = 0;
    SYST_CVR = 0;
    wraps = 0;
    SYST_CSR = CSR_ENABLE | CSR_TICKINT | CSR_CORE_CLOCK;
}

uint64_t kit_timer_elapsed(void) {
    uint32_t w, v;
    do { /* a wrap between the two reads shows as a changed count: read again */
        w = wraps;
        v = SYST_CVR;
    } while (w != wraps);
    /* Tick 0 reads 0; tick k (1 <= k <= RELOAD + 1) reads RELOAD + 1 - k; the interrupt counts
     * the tick that lands on 0 again. */
    return (uint64_t)w * (RELOAD + 1u) + (v ? (RELOAD + 1u - v) : 0u);
}

uint32_t kit_timer_hz(void) { return (uint32_t)KIT_BOARD_CLOCK_HZ; }
