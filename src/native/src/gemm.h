// Row-major single-precision GEMM, C = alpha * op(A) * op(B) + beta * C, on one thread.
// All parallelism is ours (threads.h), so that how work is split never depends on BLAS's own
// thread count and results stay bit-identical for any number of threads.
#pragma once

namespace kit {

void sgemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
           const float* b, int ldb, float beta, float* c, int ldc);

// Called once at load: pins BLAS to one thread per call. Returns a short description.
const char* blas_init();

}  // namespace kit
