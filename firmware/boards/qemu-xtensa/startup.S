/*
 * Reset and exception vectors for the lx106 core under QEMU lx60 (call0 ABI, no register windows).
 *
 * Reset: interrupts off, exception mode off (so that ICOUNT counts: it only counts while the
 * current interrupt level is below ICOUNTLEVEL, see timer_icount.c), stack at the top of system
 * RAM, then C (kit_xtensa_start in startup.c).
 *
 * Every exception vector reports and stops: kit_xtensa_fault gets the vector, EXCCAUSE (or
 * DEBUGCAUSE), the faulting PC and EXCVADDR, sends an ERROR frame and never returns. The vectors
 * are 16 bytes apart, and ROM is too far from instruction RAM for a jump, so each one jumps to
 * a stub here, which loads the C function's address from a literal.
 */
    .section .vectors, "ax"
    .global kit_xtensa_vectors
kit_xtensa_vectors:
    .org 0x10 /* debug (level 2): an ICOUNT wrap, a BREAK */
    wsr     a2, excsave2
    movi    a2, 1
    j       .Lreport_debug
    .org 0x20 /* NMI */
    movi    a2, 2
    j       .Lreport
    .org 0x30 /* kernel exception (PS.UM = 0) */
    movi    a2, 3
    j       .Lreport
    .org 0x50 /* user exception (PS.UM = 1: kit's code) */
    movi    a2, 4
    j       .Lreport
    .org 0x70 /* double exception: a fault inside an exception handler */
    movi    a2, 5
    j       .Lreport_double

    .align 4
.Lfault_fn:
    .word   kit_xtensa_fault
.Lfault_sp:
    .word   __fault_stack_top

.Lreport_debug:
    rsr     a3, debugcause
    rsr     a4, epc2
    movi    a5, 0
    j       .Lcall
.Lreport_double:
    rsr     a3, exccause
    rsr     a4, depc
    rsr     a5, excvaddr
    j       .Lcall
.Lreport:
    rsr     a3, exccause
    rsr     a4, epc1
    rsr     a5, excvaddr
.Lcall:
    l32r    a1, .Lfault_sp
    l32r    a0, .Lfault_fn
    callx0  a0
1:  j       1b

    .section .reset, "ax"
    .global kit_xtensa_reset
kit_xtensa_reset:
    j       .Lstart
    .align 4
.Lstack:
    .word   __stack_top
.Lvecbase:
    .word   kit_xtensa_vectors
.Lstart_c:
    .word   kit_xtensa_start
.Lstart:
    movi    a0, 0
    wsr     a0, intenable
    l32r    a2, .Lvecbase
    wsr     a2, vecbase
    /* PS: INTLEVEL 0, EXCM 0, UM 1 (exceptions take the user vector), no register windows. */
    movi    a2, 0x20
    wsr     a2, ps
    rsync
    l32r    a1, .Lstack
    l32r    a0, .Lstart_c
    callx0  a0
2:  j       2b
