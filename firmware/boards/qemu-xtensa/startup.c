/*
 * C side of the lx106 startup: copy .data from ROM, clear .bss, run the harness; and the report of
 * a CPU exception, called from the vectors in startup.S with a fresh stack.
 */
#include "cold.h" /* compiled for size: runs per frame or per boot */
#include <stdint.h>

#include "harness.h"

extern uint32_t __data_start, __data_end, __data_load, __bss_start, __bss_end;
extern int main(void);

void kit_xtensa_start(void);
void kit_xtensa_fault(uint32_t vector, uint32_t cause, uint32_t pc, uint32_t address);

void kit_xtensa_start(void) {
    const uint32_t *src = &__data_load;
    for (uint32_t *dst = &__data_start; dst < &__data_end;) *dst++ = *src++;
    for (uint32_t *dst = &__bss_start; dst < &__bss_end;) *dst++ = 0;
    main();
    for (;;) {
    }
}

/* Names of the EXCCAUSE values kit's code can meet (Xtensa ISA, exception causes). */
static const char *cause_name(uint32_t cause) {
    switch (cause) {
    case 0: return "illegal instruction";
    case 2: return "instruction fetch error";
    case 3: return "load/store error";
    case 6: return "integer divide by zero";
    case 9: return "unaligned load or store (LoadStoreAlignment)";
    case 14: return "instruction fetch from an address with no memory";
    case 15: return "load or store to an address with no memory";
    case 20: return "instruction fetch prohibited";
    case 28: return "load prohibited";
    case 29: return "store prohibited";
    default: return "exception";
    }
}

void kit_xtensa_fault(uint32_t vector, uint32_t cause, uint32_t pc, uint32_t address) {
    if (vector == 1) {
        /* DEBUGCAUSE bit 0: ICOUNT reached zero (more than 2^32 instructions since kit_timer_start). */
        kit_harness_fault((cause & 1u) ? "debug exception: instruction counter wrapped" : "debug exception", cause, pc, address);
    }
    kit_harness_fault(vector == 5 ? "double exception" : cause_name(cause), cause, pc, address);
}
