// Contracting a*b + c into one fused multiply-add would round once where tfjs rounds twice.
#pragma GCC optimize("fp-contract=off")
#include "adam.h"

#include <algorithm>
#include <cmath>

#include "threads.h"

namespace kit {

namespace {
// Elements per task (shape-only, so the split never depends on the thread count).
constexpr long kChunk = 16384;
}  // namespace

void adam_step(long n, float* w, float* m, float* v, const float* g, const AdamConsts& c) {
  parallel_for((int)((n + kChunk - 1) / kChunk), [&](int t) {
    const long e1 = std::min(n, (t + 1) * kChunk);
    for (long i = t * kChunk; i < e1; i++) {
      // One float rounding per tfjs op, in tfjs's order (adam_optimizer.js).
      const float gi = g[i];
      const float mi = m[i] * c.beta1 + gi * c.one_minus_beta1;
      const float gg = gi * gi;
      const float vi = v[i] * c.beta2 + gg * c.one_minus_beta2;
      m[i] = mi;
      v[i] = vi;
      const float mh = mi / c.one_minus_acc1;
      const float vh = vi / c.one_minus_acc2;
      const float denom = std::sqrt(vh) + c.epsilon;
      w[i] = (mh / denom) * c.neg_lr + w[i];
    }
  });
}

}  // namespace kit
