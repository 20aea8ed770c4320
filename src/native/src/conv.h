// 2-D convolution, NHWC input, [KH, KW, CI, CO] filter: im2col + GEMM, or the direct kernel of
// conv_direct.h for 16 to 64 output channels (and, at stride 1, for the input gradient); the
// forward pass runs on oneDNN (conv_dnnl.h) where that is built in and faster.
#pragma once

namespace kit {

struct ConvShape {
  int n, h, w, ci;      // input
  int oh, ow, co;       // output
  int kh, kw;           // filter window
  int sh, sw;           // strides
  int pt, pl;           // padding before (after is implied by the output size)
  int dh, dw;           // dilations

  int k() const { return kh * kw * ci; }
  long m() const { return (long)n * oh * ow; }
  // A 1x1, stride-1, unpadded conv reads its input rows as they are: no im2col needed.
  bool pointwise() const {
    return kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && oh == h && ow == w;
  }
};

// y = act(conv(x, w) + bias); bias may be null; relu selects ReLU over identity.
void conv2d_forward(const ConvShape& s, const float* x, const float* w, const float* bias, bool relu,
                    float* y);
// dx = gradient of conv(x, w) with respect to x, given dy.
void conv2d_backprop_input(const ConvShape& s, const float* dy, const float* w, float* dx);
// dw = gradient of conv(x, w) with respect to w, given dy.
void conv2d_backprop_filter(const ConvShape& s, const float* x, const float* dy, float* dw);

}  // namespace kit
