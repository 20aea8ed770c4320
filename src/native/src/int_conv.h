// The integer convolution of kit's reference interpreter (src/ops/common/int-conv.ts): raw int32
// sums of (x - input zero point) * (w - weight zero point) over each receptive field. Exact integer
// arithmetic, so the result equals the JS loops bit for bit; the quantizer proved |sum| < 2^31.
#pragma once
#include <cstdint>

namespace kit {

struct IntConvShape {
  int pixels;      // output pixels
  int channels;    // output channels
  int kh;          // filter rows: each receptive field is kh runs of `run` contiguous values
  int run;         // kw * input channels
  int row_stride;  // distance between the runs in the padded input
};

// Packed weight length for int_conv_pack: pairs of depth values (each run padded to even length)
// times channels rounded up to 8.
long int_conv_packed_size(const IntConvShape& s);

// Weights [channels, kh * run] (OHWI, zero point subtracted) into the layout int_conv_sums reads.
void int_conv_pack(const IntConvShape& s, const int16_t* w, int16_t* packed);

// sums[p * channels + c] for every output pixel p whose field starts at x + origins[p]. x must have
// one readable element past the last field (odd runs read it, against a zero weight).
void int_conv_sums(const IntConvShape& s, const int16_t* x, const int32_t* origins, const int16_t* packed,
                   int32_t* sums);

}  // namespace kit
