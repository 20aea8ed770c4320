/* The counter an inference is timed with. Each board implements it with what it has: SysTick on
 * the Cortex-M4 (exact under QEMU's -icount), CLOCK_MONOTONIC on the host. */
#ifndef KIT_TIMER_H
#define KIT_TIMER_H

#include <stdint.h>

void kit_timer_init(void);

/* Restarts the count from zero. Restarting (rather than subtracting two readings of a free-running
 * counter) makes the result independent of where in the counter's period the measurement starts,
 * so the same inference measures the same ticks every time on a deterministic target. */
void kit_timer_start(void);

/* Ticks since kit_timer_start. */
uint64_t kit_timer_elapsed(void);

/* Ticks per second of (possibly virtual) time. */
uint32_t kit_timer_hz(void);

#endif
