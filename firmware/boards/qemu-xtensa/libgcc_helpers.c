/*
 * Integer helpers GCC calls on the lx106, which has a 32-bit multiplier (MULL) but no divider and
 * no high-half multiply, and whose Debian libgcc lacks these routines. Written with 32-bit
 * operations only, so that compiling them cannot call themselves. Division by zero returns 0
 * (C leaves it undefined; kit's code never divides by zero).
 */
#include <stdint.h>

uint32_t __udivsi3(uint32_t n, uint32_t d);
uint32_t __umodsi3(uint32_t n, uint32_t d);
int32_t __divsi3(int32_t n, int32_t d);
uint64_t __umulsidi3(uint32_t a, uint32_t b);
uint64_t __muldi3(uint64_t a, uint64_t b);
uint64_t __udivdi3(uint64_t n, uint64_t d);
uint64_t __umoddi3(uint64_t n, uint64_t d);
int64_t __divdi3(int64_t n, int64_t d);

/* Restoring division, one quotient bit per step; *rem gets the remainder. */
static uint32_t udivmod32(uint32_t n, uint32_t d, uint32_t *rem) {
    uint32_t q = 0, r = 0;
    if (d == 0) {
        *rem = 0;
        return 0;
    }
    for (int i = 31; i >= 0; i--) {
        r = (r << 1) | ((n >> i) & 1u);
        if (r >= d) {
            r -= d;
            q |= 1u << i;
        }
    }
    *rem = r;
    return q;
}

uint32_t __udivsi3(uint32_t n, uint32_t d) {
    uint32_t r;
    return udivmod32(n, d, &r);
}

uint32_t __umodsi3(uint32_t n, uint32_t d) {
    uint32_t r;
    udivmod32(n, d, &r);
    return r;
}

/* Quotient rounded toward zero, as C's / on int. */
int32_t __divsi3(int32_t n, int32_t d) {
    uint32_t r;
    const uint32_t un = n < 0 ? 0u - (uint32_t)n : (uint32_t)n;
    const uint32_t ud = d < 0 ? 0u - (uint32_t)d : (uint32_t)d;
    const uint32_t q = udivmod32(un, ud, &r);
    return (int32_t)(((n < 0) != (d < 0)) ? 0u - q : q);
}

/* 32 x 32 -> 64 bits from four 16 x 16 -> 32 bit products. */
uint64_t __umulsidi3(uint32_t a, uint32_t b) {
    const uint32_t al = a & 0xFFFFu, ah = a >> 16, bl = b & 0xFFFFu, bh = b >> 16;
    const uint32_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    /* middle = lh + hl + (ll >> 16), carried into the high word */
    const uint32_t mid = (ll >> 16) + (lh & 0xFFFFu) + (hl & 0xFFFFu);
    const uint32_t lo = (ll & 0xFFFFu) | (mid << 16);
    const uint32_t hi = hh + (lh >> 16) + (hl >> 16) + (mid >> 16);
    return ((uint64_t)hi << 32) | lo;
}

/* The low 64 bits of a 64 x 64 product: the cross terms only reach the high word. */
uint64_t __muldi3(uint64_t a, uint64_t b) {
    const uint32_t al = (uint32_t)a, ah = (uint32_t)(a >> 32), bl = (uint32_t)b, bh = (uint32_t)(b >> 32);
    const uint64_t low = __umulsidi3(al, bl);
    const uint32_t hi = (uint32_t)(low >> 32) + al * bh + ah * bl;
    return ((uint64_t)hi << 32) | (uint32_t)low;
}

static uint64_t udivmod64(uint64_t n, uint64_t d, uint64_t *rem) {
    uint64_t q = 0, r = 0;
    if (d == 0) {
        *rem = 0;
        return 0;
    }
    for (int i = 63; i >= 0; i--) {
        r = (r << 1) | ((n >> i) & 1u);
        if (r >= d) {
            r -= d;
            q |= (uint64_t)1 << i;
        }
    }
    *rem = r;
    return q;
}

uint64_t __udivdi3(uint64_t n, uint64_t d) {
    uint64_t r;
    return udivmod64(n, d, &r);
}

uint64_t __umoddi3(uint64_t n, uint64_t d) {
    uint64_t r;
    udivmod64(n, d, &r);
    return r;
}

int64_t __divdi3(int64_t n, int64_t d) {
    uint64_t r;
    const uint64_t un = n < 0 ? 0u - (uint64_t)n : (uint64_t)n;
    const uint64_t ud = d < 0 ? 0u - (uint64_t)d : (uint64_t)d;
    const uint64_t q = udivmod64(un, ud, &r);
    return (int64_t)(((n < 0) != (d < 0)) ? 0u - q : q);
}
