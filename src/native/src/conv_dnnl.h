// Convolutions on oneDNN (when the addon was built against libdnnl; see binding.gyp).
// oneDNN picks the CPU's widest kernels (AVX-512 where there is one), which OpenBLAS's im2col
// path and the direct kernels do not reach for wide layers.
#pragma once

#include "conv.h"

namespace kit {

// "oneDNN 2.6.3" when built with it, "" otherwise.
const char* dnnl_description();
// Turns the oneDNN path on (the default when built in) or off, so both paths can be compared.
void set_dnnl_enabled(bool on);
bool dnnl_enabled();
// y = act(conv(x, w) + bias) on oneDNN, NHWC in and out, HWIO filter. False (nothing written)
// when oneDNN is not built in or has no kernel for the shape; the caller then uses its own.
bool conv2d_forward_dnnl(const ConvShape& s, const float* x, const float* w, const float* bias, bool relu,
                         float* y);
// The input and filter gradients on oneDNN (conv_dnnl_grad.cc), under the same rules: false
// (nothing written) when it is off, not built in, or has no kernel for the shape.
bool conv2d_backprop_input_dnnl(const ConvShape& s, const float* dy, const float* w, float* dx);
bool conv2d_backprop_filter_dnnl(const ConvShape& s, const float* x, const float* dy, float* dw);

}  // namespace kit
