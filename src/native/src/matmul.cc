#include "matmul.h"

#include <algorithm>

#include "gemm.h"
#include "threads.h"

namespace kit {

void matmul(const MatMulShape& s, const float* a, const float* b, const float* bias, bool relu, float* out) {
  const int lda = s.trans_a ? s.m : s.k;
  const int ldb = s.trans_b ? s.k : s.n;
  // Big products are cut along the longer side of the output into a number of pieces set by the
  // shape alone; every output element is still computed by exactly one GEMM call.
  const double work = (double)s.m * s.n * s.k;
  const bool split_rows = s.m >= s.n;
  const int side = split_rows ? s.m : s.n;
  const int pieces = work < (1 << 20) ? 1 : std::clamp(side / 64, 1, 16);
  parallel_for(s.batch * pieces, [&](int t) {
    const int bi = t / pieces, p = t % pieces;
    const float* ab = a + (size_t)(s.batch_a == 1 ? 0 : bi) * s.m * s.k;
    const float* bb = b + (size_t)(s.batch_b == 1 ? 0 : bi) * s.k * s.n;
    float* cb = out + (size_t)bi * s.m * s.n;
    const int lo = (int)((long)side * p / pieces), hi = (int)((long)side * (p + 1) / pieces);
    int r0 = 0, r1 = s.m, c0 = 0, c1 = s.n;
    if (split_rows) r0 = lo, r1 = hi;
    else c0 = lo, c1 = hi;
    const float* ap = s.trans_a ? ab + r0 : ab + (size_t)r0 * s.k;
    const float* bp = s.trans_b ? bb + (size_t)c0 * s.k : bb + c0;
    float* cp = cb + (size_t)r0 * s.n + c0;
    sgemm(s.trans_a, s.trans_b, r1 - r0, c1 - c0, s.k, 1.f, ap, lda, bp, ldb, 0.f, cp, s.n);
    if (bias || relu) {
      for (int r = r0; r < r1; r++) {
        float* row = cb + (size_t)r * s.n;
        if (bias)
          for (int c = c0; c < c1; c++) row[c] += bias[c];
        if (relu)
          for (int c = c0; c < c1; c++) row[c] = row[c] < 0.f ? 0.f : row[c];
      }
    }
  });
}

}  // namespace kit
