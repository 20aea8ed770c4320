#include "gemm.h"

#include <cblas.h>

#include <string>

namespace kit {

void sgemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
           const float* b, int ldb, float beta, float* c, int ldc) {
  if (m == 0 || n == 0) return;
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
              m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

const char* blas_init() {
  static std::string desc;
  openblas_set_num_threads(1);
  // "OpenBLAS 0.3.21 (Cooperlake)": the first two words of the build configuration and the
  // kernel set chosen for this CPU.
  std::string config = openblas_get_config();
  size_t end = config.find(' ', config.find(' ') + 1);
  desc = config.substr(0, end) + " (" + openblas_get_corename() + ")";
  return desc.c_str();
}

}  // namespace kit
