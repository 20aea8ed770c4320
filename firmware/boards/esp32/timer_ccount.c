/*
 * Timer for the ESP32 boards: the Xtensa CCOUNT register, one tick per CPU cycle (240 MHz), read
 * with ESP-IDF v5's esp_cpu_get_cycle_count() (on the RISC-V ESP32-C3 the same call reads the core's
 * machine performance counter, set by ESP-IDF to count cycles). CCOUNT is per core and the two cores' counts are not
 * in step, so this relies on the harness task staying on one core: app_main runs in ESP-IDF's main
 * task, pinned to CPU0 (the generated sdkconfig says so). Power management stays off, so the clock
 * does not change under a measurement.
 *
 * CCOUNT is 32 bits and wraps every 17.9 s at 240 MHz, longer than a big model may take. Rather
 * than an interrupt to count wraps, the 64-bit microsecond clock (esp_timer) is read alongside: it
 * tells roughly how many cycles passed, and the exact low 32 bits come from CCOUNT, so the number
 * of whole wraps is the one that brings the two closest together.
 *
 * The count includes the interrupts that land during an inference (the UART receiving the host's
 * next request, the FreeRTOS tick): on a real board the figure is wall time in cycles, not the
 * exact instruction count the QEMU board gives.
 */
#include "esp_cpu.h"
#include "esp_rom_sys.h"
#include "esp_timer.h"
#include "sdkconfig.h"

#include "timer.h"

#ifndef KIT_BOARD_CLOCK_HZ
#error "KIT_BOARD_CLOCK_HZ must be defined by the build"
#endif
/* HELLO reports the board JSON's clock; a menuconfig change must not make that a lie. */
#if defined(CONFIG_ESP_DEFAULT_CPU_FREQ_MHZ) && (CONFIG_ESP_DEFAULT_CPU_FREQ_MHZ * 1000000u != KIT_BOARD_CLOCK_HZ)
#error "CONFIG_ESP_DEFAULT_CPU_FREQ_MHZ differs from the board JSON's clockHz: re-run kit flash, or fix the board"
#endif

static uint32_t hz;
static uint32_t start_cycles;
static int64_t start_us;

void kit_timer_init(void) {
    /* The rate the CPU really runs at: ESP-IDF updates the ROM's figure whenever it sets the clock. */
    hz = esp_rom_get_cpu_ticks_per_us() * 1000000u;
    kit_timer_start();
}

void kit_timer_start(void) {
    start_us = esp_timer_get_time();
    start_cycles = (uint32_t)esp_cpu_get_cycle_count();
}

uint64_t kit_timer_elapsed(void) {
    uint32_t low = (uint32_t)esp_cpu_get_cycle_count() - start_cycles; /* exact modulo 2^32 */
    int64_t us = esp_timer_get_time() - start_us;
    uint64_t approx = (uint64_t)(us > 0 ? us : 0) * (hz / 1000000u);
    /* approx = wraps * 2^32 + low, give or take a few microseconds' worth of cycles: round. */
    uint64_t wraps = approx > low ? (approx - low + 0x80000000u) >> 32 : 0u;
    return (wraps << 32) + low;
}

uint32_t kit_timer_hz(void) { return hz; }
