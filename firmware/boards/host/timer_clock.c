/* Timer for the `host` board: CLOCK_MONOTONIC in nanoseconds. Wall time on a shared machine, so
 * unlike the QEMU board's counts these vary run to run. */
#include <time.h>

#include "timer.h"

static uint64_t started_ns;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void kit_timer_init(void) { started_ns = now_ns(); }

void kit_timer_start(void) { started_ns = now_ns(); }

uint64_t kit_timer_elapsed(void) { return now_ns() - started_ns; }

uint32_t kit_timer_hz(void) { return 1000000000u; }
