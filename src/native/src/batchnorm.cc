#include "batchnorm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "threads.h"

namespace kit {

void batch_norm(long size, int channels, const float* x, const float* mean, int mean_len, const float* variance,
                int variance_len, const float* offset, int offset_len, const float* scale, int scale_len,
                float epsilon, float* y) {
  auto at = [](const float* p, int len, int c, double fallback) { return p ? (double)p[len == 1 ? 0 : c] : fallback; };
  // Per-channel affine form, in double as tfjs-backend-cpu computes it.
  std::vector<double> mul(channels), mu(channels), add(channels);
  for (int c = 0; c < channels; c++) {
    mul[c] = at(scale, scale_len, c, 1.0) / std::sqrt(at(variance, variance_len, c, 0.0) + (double)epsilon);
    mu[c] = at(mean, mean_len, c, 0.0);
    add[c] = at(offset, offset_len, c, 0.0);
  }
  const long rows = size / channels;
  const long per_task = std::max<long>(1, 32768 / channels);
  parallel_for((int)((rows + per_task - 1) / per_task), [&](int t) {
    const long r1 = std::min(rows, (t + 1) * per_task);
    for (long r = t * per_task; r < r1; r++) {
      const float* xr = x + r * channels;
      float* yr = y + r * channels;
      for (int c = 0; c < channels; c++) yr[c] = (float)(add[c] + (xr[c] - mu[c]) * mul[c]);
    }
  });
}

}  // namespace kit

namespace kit {

void batch_norm_grad_sums(long size, int channels, const float* x, const float* dy, const float* mean, float* sums) {
  const long rows = size / channels;
  // Fixed slices of rows (set by the shape alone), each with its own partial, added in order.
  const int slices = (int)std::clamp<long>(size / 65536, 1, 16);
  std::vector<double> partial((size_t)slices * 2 * channels, 0.0);
  parallel_for(slices, [&](int s) {
    double* acc = partial.data() + (size_t)s * 2 * channels;
    constexpr long kBlock = 64;  // rows summed in float before adding into double
    std::vector<float> block(2 * channels);
    const long r0 = rows * s / slices, r1 = rows * (s + 1) / slices;
    for (long b0 = r0; b0 < r1; b0 += kBlock) {
      std::fill(block.begin(), block.end(), 0.f);
      const long b1 = std::min(r1, b0 + kBlock);
      for (long r = b0; r < b1; r++) {
        const float* xr = x + r * channels;
        const float* gr = dy + r * channels;
        for (int c = 0; c < channels; c++) {
          block[c] += gr[c];
          block[channels + c] += gr[c] * (xr[c] - mean[c]);
        }
      }
      for (int i = 0; i < 2 * channels; i++) acc[i] += block[i];
    }
  });
  for (int i = 0; i < 2 * channels; i++) {
    double total = 0;
    for (int s = 0; s < slices; s++) total += partial[(size_t)s * 2 * channels + i];
    sums[i] = (float)total;
  }
}

void batch_norm_grad_x(long size, int channels, const float* dy, const float* inv_std, const float* scale, float* dx) {
  const long rows = size / channels;
  const long per_task = std::max<long>(1, 32768 / channels);
  parallel_for((int)((rows + per_task - 1) / per_task), [&](int t) {
    const long r1 = std::min(rows, (t + 1) * per_task);
    for (long r = t * per_task; r < r1; r++) {
      const float* g = dy + r * channels;
      float* o = dx + r * channels;
      if (scale)
        for (int c = 0; c < channels; c++) o[c] = (g[c] * inv_std[c]) * scale[c];
      else
        for (int c = 0; c < channels; c++) o[c] = g[c] * inv_std[c];
    }
  });
}

}  // namespace kit

namespace kit {
namespace {

// Per-channel sums of f(x[r, c], c) over all rows in fixed slices (set by the shape alone), each
// into its own double partial, then added in slice order: deterministic for any thread count.
template <class F>
void channel_sums(long rows, int channels, const float* x, F f, double* out) {
  const int slices = (int)std::clamp<long>(rows * channels / 65536, 1, 16);
  std::vector<double> partial((size_t)slices * channels, 0.0);
  parallel_for(slices, [&](int s) {
    double* acc = partial.data() + (size_t)s * channels;
    constexpr long kBlock = 64;  // rows summed in float before adding into double
    std::vector<float> block(channels);
    const long r0 = rows * s / slices, r1 = rows * (s + 1) / slices;
    for (long b0 = r0; b0 < r1; b0 += kBlock) {
      std::fill(block.begin(), block.end(), 0.f);
      const long b1 = std::min(r1, b0 + kBlock);
      for (long r = b0; r < b1; r++) {
        const float* xr = x + r * channels;
        for (int c = 0; c < channels; c++) block[c] += f(xr[c], c);
      }
      for (int c = 0; c < channels; c++) acc[c] += block[c];
    }
  });
  for (int c = 0; c < channels; c++) {
    double total = 0;
    for (int s = 0; s < slices; s++) total += partial[(size_t)s * channels + c];
    out[c] = total;
  }
}

}  // namespace

void moments(long rows, int channels, const float* x, float* out) {
  std::vector<double> sum(channels), sq(channels);
  std::vector<float> mean(channels);
  channel_sums(rows, channels, x, [](float v, int) { return v; }, sum.data());
  for (int c = 0; c < channels; c++) mean[c] = (float)(sum[c] / rows);
  const float* m = mean.data();
  channel_sums(rows, channels, x, [m](float v, int c) { const float d = v - m[c]; return d * d; }, sq.data());
  for (int c = 0; c < channels; c++) {
    out[c] = mean[c];
    out[channels + c] = (float)(sq[c] / rows);
  }
}

void moments_grad(long rows, int channels, const float* x, const float* stats, const float* d, float* dx) {
  std::vector<float> a(channels), b(channels);
  for (int c = 0; c < channels; c++) {
    a[c] = (float)(d[c] / (double)rows);
    b[c] = (float)(2.0 * d[channels + c] / (double)rows);
  }
  const float* mean = stats;
  const long per_task = std::max<long>(1, 32768 / channels);
  parallel_for((int)((rows + per_task - 1) / per_task), [&](int t) {
    const long r1 = std::min(rows, (t + 1) * per_task);
    for (long r = t * per_task; r < r1; r++) {
      const float* xr = x + r * channels;
      float* o = dx + r * channels;
      for (int c = 0; c < channels; c++) o[c] = a[c] + b[c] * (xr[c] - mean[c]);
    }
  });
}

}  // namespace kit

namespace kit {

void batch_norm_train_grad(long rows, int channels, const float* x, const float* dy, const float* mean,
                           const float* var, const float* scale, float epsilon, float* dx, float* dscale,
                           float* doffset) {
  std::vector<float> sums(2 * channels);
  batch_norm_grad_sums(rows * channels, channels, x, dy, mean, sums.data());
  std::vector<float> g(channels), a(channels), b(channels);
  for (int c = 0; c < channels; c++) {
    const double inv = 1.0 / std::sqrt((double)var[c] + (double)epsilon);
    const double s0 = sums[c], s1 = sums[channels + c];
    doffset[c] = (float)s0;
    dscale[c] = (float)(s1 * inv);
    g[c] = (float)(scale[c] * inv);
    a[c] = (float)(s0 / rows);
    b[c] = (float)(inv * inv * s1 / rows);
  }
  const long per_task = std::max<long>(1, 32768 / channels);
  parallel_for((int)((rows + per_task - 1) / per_task), [&](int t) {
    const long r1 = std::min(rows, (t + 1) * per_task);
    for (long r = t * per_task; r < r1; r++) {
      const float* xr = x + r * channels;
      const float* gr = dy + r * channels;
      float* o = dx + r * channels;
      for (int c = 0; c < channels; c++) o[c] = g[c] * (gr[c] - a[c] - (xr[c] - mean[c]) * b[c]);
    }
  });
}

}  // namespace kit
