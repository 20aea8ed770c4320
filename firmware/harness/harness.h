/* The harness loop as a function, for boards whose SDK owns main(): ESP-IDF starts the app in its
 * own main task and calls app_main, so the ESP32 port builds main.c with KIT_HARNESS_NO_MAIN and
 * calls kit_harness_run from app_main. Bare-metal and host boards keep main.c's main(). */
#ifndef KIT_HARNESS_H
#define KIT_HARNESS_H

#include <stdint.h>

#if defined(__GNUC__)
#define KIT_NORETURN __attribute__((noreturn))
#else
#define KIT_NORETURN
#endif

/* HELLO, then one reply per request, forever: never returns. */
void kit_harness_run(void);

/*
 * For a board's CPU exception handler: reports the exception as an ERROR frame (KIT_ERR_CPU_FAULT)
 * naming the request being run, the cause, the faulting PC and address, then stops the device
 * (it spins until reset). Called with the UART still usable: the harness only polls it.
 */
void kit_harness_fault(const char *what, uint32_t cause, uint32_t pc, uint32_t address) KIT_NORETURN;

#endif
