/*
 * Reset and trap entry for rv32imc under QEMU virt, in machine mode. QEMU jumps to the ELF entry
 * with nothing set up: gp (for GCC's gp-relative small data), sp, and mtvec are ours to set.
 * Interrupts stay off (mstatus.MIE is 0 from reset, and nothing enables them), so the trap entry
 * only ever sees exceptions: it reports them through kit_riscv_fault (startup.c) and stops.
 */
    .section .text.kit_start, "ax"
    .global kit_riscv_start
kit_riscv_start:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    la      sp, __stack_top
    la      t0, kit_riscv_trap
    csrw    mtvec, t0
    call    kit_riscv_boot
1:  j       1b

    .align 2 /* mtvec in direct mode: a 4-byte aligned handler */
kit_riscv_trap:
    csrr    a0, mcause
    csrr    a1, mepc
    csrr    a2, mtval
    la      sp, __fault_stack_top
    call    kit_riscv_fault
2:  j       2b
