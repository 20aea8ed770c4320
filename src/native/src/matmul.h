// Batched matrix product with optional bias and ReLU: out[b] = act(op(a[b]) x op(b[b]) + bias).
#pragma once

namespace kit {

struct MatMulShape {
  int batch;             // output batch
  int batch_a, batch_b;  // 1 (broadcast) or batch
  int m, n, k;
  bool trans_a, trans_b;
};

void matmul(const MatMulShape& s, const float* a, const float* b, const float* bias, bool relu, float* out);

}  // namespace kit
