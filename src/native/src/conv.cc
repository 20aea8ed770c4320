#include "conv.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "conv_direct.h"
#include "conv_dnnl.h"
#include "gemm.h"
#include "scratch.h"
#include "threads.h"

namespace kit {
namespace {

// Output rows per im2col block: about 256 KB of patches, so a block stays in L2 while GEMM
// reads it. Depends on the shape only, never on the thread count.
int block_rows(int k) { return std::clamp((65536 / std::max(k, 1) + 15) / 16 * 16, 64, 4096); }

// Walks output positions m0..m1-1 (m = (n*oh + oy)*ow + ox) and, for each filter row kh, hands
// over the patch pieces: run(row, offset in the patch row, input pointer or null for padding,
// float count). When a whole filter row lies inside the input (and dilation is 1) its kw taps
// are one contiguous piece of kw*ci floats in both the input and the patch row, so it is one
// copy instead of kw small ones: with 16 channels a tap is only 64 bytes.
template <class Run>
void for_each_piece(const ConvShape& s, const float* x, long m0, long m1, Run run) {
  int ox = (int)(m0 % s.ow);
  long t = m0 / s.ow;
  int oy = (int)(t % s.oh);
  int n = (int)(t / s.oh);
  const int ci = s.ci, row_len = s.kw * ci;
  for (long m = m0; m < m1; m++) {
    const float* img = x + (size_t)n * s.h * s.w * ci;
    const int ix0 = ox * s.sw - s.pl;
    const bool whole_row = s.dw == 1 && ix0 >= 0 && ix0 + s.kw <= s.w;
    for (int kh = 0; kh < s.kh; kh++) {
      const int iy = oy * s.sh - s.pt + kh * s.dh;
      const int offset = kh * row_len;
      if (iy < 0 || iy >= s.h) {
        run(m - m0, offset, nullptr, row_len);
      } else if (whole_row) {
        run(m - m0, offset, img + ((size_t)iy * s.w + ix0) * ci, row_len);
      } else {
        for (int kw = 0; kw < s.kw; kw++) {
          const int ix = ix0 + kw * s.dw;
          const bool in = ix >= 0 && ix < s.w;
          run(m - m0, offset + kw * ci, in ? img + ((size_t)iy * s.w + ix) * ci : nullptr, ci);
        }
      }
    }
    if (++ox == s.ow) {
      ox = 0;
      if (++oy == s.oh) {
        oy = 0;
        n++;
      }
    }
  }
}

// Patches of output rows m0..m1-1 as a [rows, kh*kw*ci] matrix (zeros for padding).
void im2col(const ConvShape& s, const float* x, long m0, long m1, float* col) {
  const int k = s.k();
  for_each_piece(s, x, m0, m1, [&](long row, int offset, const float* px, int count) {
    float* dst = col + (size_t)row * k + offset;
    if (px) std::memcpy(dst, px, count * sizeof(float));
    else std::memset(dst, 0, count * sizeof(float));
  });
}

// The transpose of im2col: adds each patch row back onto the pixels it came from. x must point
// at the same image base as im2col's (it is written through the piece pointers).
void col2im_add(const ConvShape& s, float* x, long m0, long m1, const float* col) {
  const int k = s.k();
  for_each_piece(s, x, m0, m1, [&](long row, int offset, const float* px, int count) {
    if (!px) return;
    float* dst = const_cast<float*>(px);
    const float* src = col + (size_t)row * k + offset;
    for (int c = 0; c < count; c++) dst[c] += src[c];
  });
}

void bias_act(float* y, long rows, int co, const float* bias, bool relu) {
  if (!bias && !relu) return;
  for (long r = 0; r < rows; r++) {
    float* yr = y + r * co;
    if (bias)
      for (int c = 0; c < co; c++) yr[c] += bias[c];
    if (relu)
      for (int c = 0; c < co; c++) yr[c] = yr[c] < 0.f ? 0.f : yr[c];
  }
}

}  // namespace

void conv2d_forward(const ConvShape& s, const float* x, const float* w, const float* bias, bool relu,
                    float* y) {
  // oneDNN (when built in) beats im2col + OpenBLAS everywhere and the direct kernel from 16
  // channels up; the direct kernel stays as fast or faster for RGB stems (3 -> 64 channels: 0.85
  // vs 1.35 ms on resnet-seed's first layer, batch 32), where oneDNN's channel blocking has
  // little to work with.
  const bool direct = conv2d_direct_supported(s) && !s.pointwise();
  if (!(direct && s.ci < 8) && conv2d_forward_dnnl(s, x, w, bias, relu, y)) return;
  if (direct) return conv2d_direct(s, x, w, bias, relu, y);
  const int k = s.k();
  const long m = s.m();
  const int rows = block_rows(k);
  const int ntasks = (int)((m + rows - 1) / rows);
  parallel_for(ntasks, [&](int t) {
    long m0 = (long)t * rows, m1 = std::min(m, m0 + rows);
    const float* a;
    if (s.pointwise()) {
      a = x + (size_t)m0 * s.ci;
    } else {
      float* col = scratch(0, (size_t)(m1 - m0) * k);
      im2col(s, x, m0, m1, col);
      a = col;
    }
    float* yb = y + (size_t)m0 * s.co;
    sgemm(false, false, (int)(m1 - m0), s.co, k, 1.f, a, k, w, s.co, 0.f, yb, s.co);
    bias_act(yb, m1 - m0, s.co, bias, relu);
  });
}

// For stride 1 the input gradient is itself a convolution: of dy with the filter turned by 180
// degrees and its channel axes swapped, padded by (k - 1 - pad). That runs on the direct kernel.
bool backprop_input_as_conv(const ConvShape& s, const float* dy, const float* w, float* dx) {
  if (s.sh != 1 || s.sw != 1 || s.dh != 1 || s.dw != 1 || s.pointwise()) return false;
  const ConvShape t{s.n, s.oh, s.ow, s.co, s.h, s.w, s.ci, s.kh, s.kw, 1, 1, s.kh - 1 - s.pt, s.kw - 1 - s.pl, 1, 1};
  if (!conv2d_direct_supported(t) || t.pt < 0 || t.pl < 0) return false;
  std::vector<float> turned((size_t)s.k() * s.co);
  for (int kh = 0; kh < s.kh; kh++)
    for (int kw = 0; kw < s.kw; kw++)
      for (int ci = 0; ci < s.ci; ci++)
        for (int co = 0; co < s.co; co++)
          turned[(((size_t)(s.kh - 1 - kh) * s.kw + (s.kw - 1 - kw)) * s.co + co) * s.ci + ci] =
              w[(((size_t)kh * s.kw + kw) * s.ci + ci) * s.co + co];
  conv2d_direct(t, dy, turned.data(), nullptr, false, dx);
  return true;
}

void conv2d_backprop_input(const ConvShape& s, const float* dy, const float* w, float* dx) {
  // The direct kernel on the turned filter is as fast as oneDNN's backward-data primitive from 32
  // input channels up, and faster at 64 on large images (resnet-seed's first block: 6.7 vs 8.6
  // ms); with 16 channels, and for strided convolutions (im2col + GEMM + col2im otherwise),
  // oneDNN is up to twice as fast.
  if (s.ci >= 32 && backprop_input_as_conv(s, dy, w, dx)) return;
  if (conv2d_backprop_input_dnnl(s, dy, w, dx)) return;
  if (backprop_input_as_conv(s, dy, w, dx)) return;
  const int k = s.k();
  const int rows = block_rows(k);
  if (s.pointwise()) {
    // dx rows = dy rows x w^T: each output row is written once, so blocks are independent.
    const long m = s.m();
    const int ntasks = (int)((m + rows - 1) / rows);
    parallel_for(ntasks, [&](int t) {
      long m0 = (long)t * rows, m1 = std::min(m, m0 + rows);
      sgemm(false, true, (int)(m1 - m0), s.ci, s.co, 1.f, dy + (size_t)m0 * s.co, s.co, w, s.co, 0.f,
            dx + (size_t)m0 * s.ci, s.ci);
    });
    return;
  }
  // Patches of one image overlap, so one task owns a whole image and adds its patches in order.
  const long per_image = (long)s.oh * s.ow;
  const size_t image_size = (size_t)s.h * s.w * s.ci;
  parallel_for(s.n, [&](int n) {
    std::memset(dx + n * image_size, 0, image_size * sizeof(float));
    for (long r0 = 0; r0 < per_image; r0 += rows) {
      long r1 = std::min(per_image, r0 + rows);
      long m0 = n * per_image + r0, m1 = n * per_image + r1;
      float* col = scratch(0, (size_t)(r1 - r0) * k);
      sgemm(false, true, (int)(r1 - r0), k, s.co, 1.f, dy + (size_t)m0 * s.co, s.co, w, s.co, 0.f, col, k);
      col2im_add(s, dx, m0, m1, col);
    }
  });
}

void conv2d_backprop_filter(const ConvShape& s, const float* x, const float* dy, float* dw) {
  // The direct kernel reads a run of input channels per tap; with fewer than 8 (an RGB stem)
  // im2col + GEMM is faster.
  // oneDNN's backward-weights primitive is faster on every ResNet-8 and resnet-seed layer but the
  // 1x1 shortcuts, where both take well under 0.1 ms (RGB stems: 0.19 vs 0.97 ms, 64 channels at
  // 8x8: 0.57 vs 1.0 ms, 128 and 256 channels: about 2x).
  if (conv2d_backprop_filter_dnnl(s, x, dy, dw)) return;
  if (conv2d_direct_supported(s) && !s.pointwise() && s.ci >= 8) return conv2d_direct_filter_grad(s, x, dy, dw);
  const int k = s.k();
  const long m = s.m();
  const size_t wsize = (size_t)k * s.co;
  const int rows = block_rows(k);
  const long nblocks = (m + rows - 1) / rows;
  // dw sums over every output position. A fixed number of slices (set by the shape alone) each
  // sum their blocks into their own partial; the partials are then added in slice order.
  const int slices = (int)std::min<long>(nblocks, 8);
  std::vector<float> partials((size_t)(slices - 1) * wsize);
  parallel_for(slices, [&](int t) {
    float* out = t == 0 ? dw : partials.data() + (size_t)(t - 1) * wsize;
    long b0 = nblocks * t / slices, b1 = nblocks * (t + 1) / slices;
    for (long b = b0; b < b1; b++) {
      long m0 = b * rows, m1 = std::min(m, m0 + rows);
      const float* a;
      if (s.pointwise()) {
        a = x + (size_t)m0 * s.ci;
      } else {
        float* col = scratch(0, (size_t)(m1 - m0) * k);
        im2col(s, x, m0, m1, col);
        a = col;
      }
      sgemm(true, false, k, s.co, (int)(m1 - m0), 1.f, a, k, dy + (size_t)m0 * s.co, s.co, b == b0 ? 0.f : 1.f,
            out, s.co);
    }
  });
  if (slices == 1) return;
  const size_t chunk = 16384;
  parallel_for((int)((wsize + chunk - 1) / chunk), [&](int t) {
    size_t i0 = t * chunk, i1 = std::min(wsize, i0 + chunk);
    for (int p = 0; p < slices - 1; p++) {
      const float* src = partials.data() + p * wsize;
      for (size_t i = i0; i < i1; i++) dw[i] += src[i];
    }
  });
}

}  // namespace kit
