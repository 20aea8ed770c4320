/*
 * Included first by the harness, protocol and board port sources, never by the model: this code runs
 * once per frame or once per boot, not once per multiply-accumulate, so gcc compiles it for size (-Os)
 * whatever -O level the board gives the model, and keeps its copy loops as loops rather than calls
 * to the C library's memcpy/memmove/memset (which the linker would then pull in: on qemu-cortex-m4
 * newlib-nano's memcpy and memmove alone are 562 B, memset 162 B; the model zeroes with a loop of its own too). The instructions
 * per inference do not change: the timer reads around kit_model_invoke compile the same.
 */
#ifndef KIT_COLD_H
#define KIT_COLD_H
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("Os", "no-tree-loop-distribute-patterns")
#endif
#endif
