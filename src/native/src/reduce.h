// Sums over the middle axis of a tensor viewed as [outer, reduce, inner].
#pragma once

namespace kit {

// out[o, i] = scale * sum_r x[o, r, i], accumulated in double.
void reduce_sum(long outer, long reduce, long inner, double scale, const float* x, float* out);

}  // namespace kit
