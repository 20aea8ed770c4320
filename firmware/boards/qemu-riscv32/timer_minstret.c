/*
 * Timer for the emulated rv32 core: minstret, the retired-instruction counter, with its high half
 * (minstreth). Under QEMU's -icount the counter reads the instruction-driven virtual clock, so with
 * shift 0 (the board JSON's icountShift) it is the exact number of instructions, the same on every
 * run. (On an ESP32-C3 the same counters are not in the core; ESP-IDF times with its own.)
 */
#include "cold.h" /* compiled for size: runs per frame or per boot */
#include "timer.h"

static uint64_t started;

static uint64_t instret(void) {
    uint32_t hi, lo, again;
    do { /* a carry into the high half between the reads shows as a changed high half */
        __asm__ volatile("csrr %0, minstreth" : "=r"(hi));
        __asm__ volatile("csrr %0, minstret" : "=r"(lo));
        __asm__ volatile("csrr %0, minstreth" : "=r"(again));
    } while (hi != again);
    return ((uint64_t)hi << 32) | lo;
}

void kit_timer_init(void) { kit_timer_start(); }

/* Takes the counter's current value as zero (reading is exact; writing it is not needed). */
void kit_timer_start(void) { started = instret(); }

uint64_t kit_timer_elapsed(void) { return instret() - started; }

/* One tick per instruction: at one instruction per cycle, the core clock. */
uint32_t kit_timer_hz(void) { return (uint32_t)KIT_BOARD_CLOCK_HZ; }
