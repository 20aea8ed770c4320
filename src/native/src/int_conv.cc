#include "int_conv.h"

#include <cstring>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace kit {
namespace {

int pairs_per_run(const IntConvShape& s) { return (s.run + 1) / 2; }
int padded_channels(const IntConvShape& s) { return (s.channels + 7) / 8 * 8; }

}  // namespace

long int_conv_packed_size(const IntConvShape& s) {
  return (long)s.kh * pairs_per_run(s) * padded_channels(s) * 2;
}

// Layout [kh][pair][channel][2]: for one pair of input values (read as one int32 and broadcast),
// eight consecutive channels' weight pairs form one vector, so a multiply-add of 16-bit pairs
// (vpmaddwd) gives eight channels' partial sums at once.
void int_conv_pack(const IntConvShape& s, const int16_t* w, int16_t* packed) {
  const int pairs = pairs_per_run(s), cp = padded_channels(s), depth = s.kh * s.run;
  std::memset(packed, 0, int_conv_packed_size(s) * sizeof(int16_t));
  for (int ky = 0; ky < s.kh; ky++)
    for (int i = 0; i < s.run; i++)
      for (int c = 0; c < s.channels; c++)
        packed[(((long)ky * pairs + i / 2) * cp + c) * 2 + (i & 1)] = w[(long)c * depth + ky * s.run + i];
}

namespace {

#if defined(__AVX2__)
// One output pixel, channels [c0, c0 + 8 * NV): NV vector accumulators stay in registers.
template <int NV>
void pixel_block(const IntConvShape& s, const int16_t* field, const int16_t* packed, int c0, int32_t* out) {
  const int pairs = pairs_per_run(s), cp = padded_channels(s);
  __m256i acc[NV];
  for (int v = 0; v < NV; v++) acc[v] = _mm256_setzero_si256();
  for (int ky = 0; ky < s.kh; ky++) {
    const int16_t* xr = field + (long)ky * s.row_stride;
    const int16_t* wr = packed + ((long)ky * pairs * cp + c0) * 2;
    for (int k = 0; k < pairs; k++) {
      int32_t two;
      std::memcpy(&two, xr + 2 * k, sizeof two);
      const __m256i xv = _mm256_set1_epi32(two);
      const int16_t* wk = wr + (long)k * cp * 2;
      for (int v = 0; v < NV; v++)
        acc[v] = _mm256_add_epi32(acc[v], _mm256_madd_epi16(xv, _mm256_loadu_si256((const __m256i*)(wk + 16 * v))));
    }
  }
  const int n = s.channels - c0 < 8 * NV ? s.channels - c0 : 8 * NV;
  if (n == 8 * NV) {
    for (int v = 0; v < NV; v++) _mm256_storeu_si256((__m256i*)(out + c0 + 8 * v), acc[v]);
  } else {
    alignas(32) int32_t tmp[8 * NV];
    for (int v = 0; v < NV; v++) _mm256_store_si256((__m256i*)(tmp + 8 * v), acc[v]);
    std::memcpy(out + c0, tmp, n * sizeof(int32_t));
  }
}

using BlockFn = void (*)(const IntConvShape&, const int16_t*, const int16_t*, int, int32_t*);
constexpr BlockFn kBlocks[] = {nullptr, pixel_block<1>, pixel_block<2>, pixel_block<3>, pixel_block<4>,
                               pixel_block<5>, pixel_block<6>, pixel_block<7>, pixel_block<8>};
#endif

}  // namespace

void int_conv_sums(const IntConvShape& s, const int16_t* x, const int32_t* origins, const int16_t* packed,
                   int32_t* sums) {
  const int cp = padded_channels(s);
#if defined(__AVX2__)
  // Blocks of up to 64 channels (8 accumulators); pixels inside, so a block's weights stay in cache.
  for (int c0 = 0; c0 < cp; c0 += 64) {
    const int nv = (cp - c0) / 8 < 8 ? (cp - c0) / 8 : 8;
    const BlockFn block = kBlocks[nv];
    for (int p = 0; p < s.pixels; p++) block(s, x + origins[p], packed, c0, sums + (long)p * s.channels);
  }
#else
  const int pairs = pairs_per_run(s);
  for (int p = 0; p < s.pixels; p++) {
    int32_t* out = sums + (long)p * s.channels;
    for (int c = 0; c < s.channels; c++) out[c] = 0;
    for (int ky = 0; ky < s.kh; ky++) {
      const int16_t* xr = x + origins[p] + (long)ky * s.row_stride;
      const int16_t* wr = packed + (long)ky * pairs * cp * 2;
      for (int k = 0; k < pairs; k++) {
        const int32_t x0 = xr[2 * k], x1 = xr[2 * k + 1];
        const int16_t* wk = wr + (long)k * cp * 2;
        for (int c = 0; c < s.channels; c++) out[c] += x0 * wk[2 * c] + x1 * wk[2 * c + 1];
      }
    }
  }
#endif
}

}  // namespace kit
