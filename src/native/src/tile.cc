#include "tile.h"

#include <algorithm>
#include <cstring>

#include "elementwise.h"
#include "threads.h"

namespace kit {

void tile(int rank, const long* dims, const long* reps, const float* x, float* out) {
  long out_dims[kMaxRank], x_strides[kMaxRank];
  long rows = 1;
  for (int d = rank - 1, stride = 1; d >= 0; d--) {
    out_dims[d] = dims[d] * reps[d];
    x_strides[d] = stride;
    stride *= dims[d];
    if (d < rank - 1) rows *= out_dims[d];
  }
  const long last = dims[rank - 1], out_last = out_dims[rank - 1];
  // One output row = the matching input row repeated reps[last] times.
  const long per_task = std::max<long>(1, 32768 / std::max<long>(1, out_last));
  parallel_for((int)((rows + per_task - 1) / per_task), [&](int t) {
    const long r1 = std::min(rows, (t + 1) * per_task);
    for (long r = t * per_task; r < r1; r++) {
      long rem = r, src = 0;
      for (int d = rank - 2; d >= 0; d--) {
        src += (rem % out_dims[d]) % dims[d] * x_strides[d];
        rem /= out_dims[d];
      }
      float* dst = out + r * out_last;
      const float* row = x + src;
      if (last == 1) {
        std::fill(dst, dst + out_last, *row);
      } else {
        for (long k = 0; k < reps[rank - 1]; k++) std::memcpy(dst + k * last, row, last * sizeof(float));
      }
    }
  });
}

}  // namespace kit
