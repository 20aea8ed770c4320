// Average pooling over NHWC and its gradient, with tfjs's conventions: the forward average
// counts only window pixels inside the input; the gradient divides by the full window size.
#pragma once

namespace kit {

struct PoolShape {
  int n, h, w, c;
  int oh, ow;
  int fh, fw;
  int sh, sw;
  int pt, pl;
};

void avg_pool(const PoolShape& s, const float* x, float* y);
void avg_pool_grad(const PoolShape& s, const float* dy, float* dx);

}  // namespace kit
