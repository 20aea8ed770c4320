/*
 * Timer for the emulated lx106: the ICOUNT debug register, which counts executed instructions
 * while the current interrupt level is below ICOUNTLEVEL. The harness runs at level 0 with every
 * interrupt disabled (startup.S), so with ICOUNTLEVEL 1 every instruction counts: the figure is an
 * exact instruction count, the same on every run. CCOUNT would follow QEMU's virtual clock instead.
 *
 * ICOUNT is 32 bits and raises a debug exception when it wraps to zero, which the vectors report
 * as an ERROR: one inference may run up to 2^32 - 1 instructions.
 */
#include "cold.h" /* compiled for size: runs per frame or per boot */
#include "timer.h"

void kit_timer_init(void) {
    __asm__ volatile("movi a2, 1\n wsr a2, icountlevel\n isync" ::: "a2");
    kit_timer_start();
}

void kit_timer_start(void) {
    __asm__ volatile("movi a2, 0\n wsr a2, icount\n isync" ::: "a2", "memory");
}

uint64_t kit_timer_elapsed(void) {
    uint32_t n;
    __asm__ volatile("rsr %0, icount" : "=r"(n)::"memory");
    return n;
}

/* One tick per instruction: at one instruction per cycle, the core clock. */
uint32_t kit_timer_hz(void) { return (uint32_t)KIT_BOARD_CLOCK_HZ; }
