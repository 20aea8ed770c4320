/*
 * C side of the rv32 startup: clear .bss (QEMU loaded everything else in place), run the harness;
 * and the report of an exception, called from the trap entry in startup.S with a fresh stack.
 */
#include "cold.h" /* compiled for size: runs per frame or per boot */
#include <stdint.h>

#include "harness.h"

extern uint32_t __bss_start, __bss_end;
extern int main(void);

void kit_riscv_boot(void);
void kit_riscv_fault(uint32_t mcause, uint32_t mepc, uint32_t mtval);

void kit_riscv_boot(void) {
    for (uint32_t *dst = &__bss_start; dst < &__bss_end;) *dst++ = 0;
    main();
    for (;;) {
    }
}

/* The RISC-V privileged spec's exception codes (mcause with its top bit clear). */
static const char *cause_name(uint32_t cause) {
    switch (cause) {
    case 0: return "misaligned instruction address";
    case 1: return "instruction access fault";
    case 2: return "illegal instruction";
    case 3: return "breakpoint";
    case 4: return "misaligned load";
    case 5: return "load access fault";
    case 6: return "misaligned store";
    case 7: return "store access fault";
    default: return "exception";
    }
}

void kit_riscv_fault(uint32_t mcause, uint32_t mepc, uint32_t mtval) {
    kit_harness_fault((mcause >> 31) ? "unexpected interrupt" : cause_name(mcause), mcause & 0x7FFFFFFFu, mepc, mtval);
}
