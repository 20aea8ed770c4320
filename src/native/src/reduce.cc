#include "reduce.h"

#include <algorithm>
#include <vector>

#include "scratch.h"
#include "threads.h"

namespace kit {
namespace {

// acc[i] += x[r, i] for r in r0..r1-1, one pass down the rows. Blocks of rows are summed in
// float (vectorised across i), then each block total is added in double.
void accumulate(long r0, long r1, long inner, const float* x, double* acc) {
  constexpr long kBlock = 64;
  float* block = scratch(1, inner);
  for (long b0 = r0; b0 < r1; b0 += kBlock) {
    const long b1 = std::min(r1, b0 + kBlock);
    std::copy(x + b0 * inner, x + (b0 + 1) * inner, block);
    for (long r = b0 + 1; r < b1; r++) {
      const float* row = x + r * inner;
      for (long i = 0; i < inner; i++) block[i] += row[i];
    }
    for (long i = 0; i < inner; i++) acc[i] += block[i];
  }
}

}  // namespace

void reduce_sum(long outer, long reduce, long inner, double scale, const float* x, float* out) {
  const long kWork = 65536;  // elements per task
  const long outputs = outer * inner;
  if (outer > 1 || reduce * inner <= kWork) {
    // Many outputs, or little to add: each task owns whole output rows.
    const long per_task = std::max<long>(1, kWork / std::max<long>(1, reduce * inner));
    parallel_for((int)((outer + per_task - 1) / per_task), [&](int t) {
      std::vector<double> acc(inner);
      const long o1 = std::min(outer, (t + 1) * per_task);
      for (long o = t * per_task; o < o1; o++) {
        std::fill(acc.begin(), acc.end(), 0.0);
        accumulate(0, reduce, inner, x + o * reduce * inner, acc.data());
        for (long i = 0; i < inner; i++) out[o * inner + i] = (float)(acc[i] * scale);
      }
    });
    return;
  }
  // One output row with a long reduction (per-channel sums of an NHWC tensor): fixed slices of
  // the reduced axis, set by the shape alone, each summed into its own partial, then the
  // partials added in slice order.
  const int slices = (int)std::clamp<long>(reduce * inner / kWork, 1, 16);
  std::vector<double> partial((size_t)slices * outputs, 0.0);
  parallel_for(slices, [&](int s) {
    accumulate(reduce * s / slices, reduce * (s + 1) / slices, inner, x, partial.data() + (size_t)s * inner);
  });
  for (long i = 0; i < inner; i++) {
    double total = 0;
    for (int s = 0; s < slices; s++) total += partial[(size_t)s * inner + i];
    out[i] = (float)(total * scale);
  }
}

}  // namespace kit
