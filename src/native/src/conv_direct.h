// Direct ("implicit GEMM") convolution for outputs of 16 to 64 channels, the shapes of small
// ResNets: no im2col copy and no BLAS packing, which for 16 channels cost more than the
// multiply-adds. Each output pixel row block keeps its sums in vector registers.
#pragma once
#include "conv.h"

namespace kit {

// True when conv2d_direct handles the shape (co a multiple of 16, at most 64; dilation 1).
bool conv2d_direct_supported(const ConvShape& s);

// y = act(conv(x, w) + bias), as conv2d_forward.
void conv2d_direct(const ConvShape& s, const float* x, const float* w, const float* bias, bool relu, float* y);

// dw = gradient of conv(x, w) with respect to w, as conv2d_backprop_filter (same support test).
void conv2d_direct_filter_grad(const ConvShape& s, const float* x, const float* dy, float* dw);

}  // namespace kit
