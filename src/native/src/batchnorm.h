// Batch normalisation with given statistics (tfjs's FusedBatchNorm kernel):
// y = offset + (x - mean) * scale / sqrt(variance + epsilon), per channel (the last axis).
#pragma once

namespace kit {

// Each parameter holds `channels` values, or 1 (broadcast); offset and scale may be null.
void batch_norm(long size, int channels, const float* x, const float* mean, int mean_len, const float* variance,
                int variance_len, const float* offset, int offset_len, const float* scale, int scale_len,
                float epsilon, float* y);

}  // namespace kit

namespace kit {

// The two per-channel sums BatchNorm's gradient needs, in one pass over x and dy:
// sums[c] = sum dy[.., c], sums[channels + c] = sum dy[.., c] * (x[.., c] - mean[c]).
void batch_norm_grad_sums(long size, int channels, const float* x, const float* dy, const float* mean, float* sums);

// The gradient through the normalisation itself: dx = (dy * inv_std[c]) * scale[c] (scale may be
// null), rounded as tfjs's two multiplies are.
void batch_norm_grad_x(long size, int channels, const float* dy, const float* inv_std, const float* scale, float* dx);

}  // namespace kit

namespace kit {

// Per-channel batch statistics of x viewed as [rows, channels]: out[c] = mean, out[channels + c]
// = variance (biased, as tfjs's moments), in two passes so variance does not lose precision.
void moments(long rows, int channels, const float* x, float* out);

// The gradient of moments(): dx[r, c] = dmean[c] / rows + dvar[c] * 2 * (x[r, c] - mean[c]) / rows,
// with d = [dmean, dvar] and stats = [mean, var] as moments() lays them out.
void moments_grad(long rows, int channels, const float* x, const float* stats, const float* d, float* dx);

}  // namespace kit

namespace kit {

// The whole gradient of training-mode BatchNorm, y = scale * (x - mean) / sqrt(var + eps) + offset
// with mean and var the batch statistics of x (stats = [mean; var] as moments() lays them out):
// dx = scale * inv_std * (dy - mean(dy) - (x - mean) * inv_std^2 * mean(dy * (x - mean))), plus
// dscale and doffset. Two passes: the per-channel sums, then dx.
void batch_norm_train_grad(long rows, int channels, const float* x, const float* dy, const float* mean,
                           const float* var, const float* scale, float epsilon, float* dx, float* dscale,
                           float* doffset);

}  // namespace kit
