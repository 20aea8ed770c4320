#include "conv_direct.h"

#include <algorithm>
#include <vector>

#include "threads.h"

namespace kit {
namespace {

// 16 floats: GCC lowers this to one AVX-512 register, two AVX2 ones, or four SSE ones.
typedef float v16 __attribute__((vector_size(64), aligned(4)));

inline v16 load(const float* p) { return *reinterpret_cast<const v16*>(p); }
inline void store(float* p, v16 v) { *reinterpret_cast<v16*>(p) = v; }

// R output pixels of one output row (ox0..ox0+R-1, all inside the row) times NV*16 channels.
// Padding taps read from `zeros`, so the inner loop has no branches.
template <int NV, int R>
void block(const ConvShape& s, const float* img, const float* w, const float* bias, bool relu, const float* zeros,
           int oy, int ox0, float* out) {
  v16 acc[R][NV];
  for (int r = 0; r < R; r++)
    for (int j = 0; j < NV; j++) acc[r][j] = bias ? load(bias + 16 * j) : v16{};
  const int co = NV * 16;
  for (int kh = 0; kh < s.kh; kh++) {
    const int iy = oy * s.sh - s.pt + kh;
    if (iy < 0 || iy >= s.h) continue;
    const float* row = img + (size_t)iy * s.w * s.ci;
    for (int kw = 0; kw < s.kw; kw++) {
      const float* px[R];
      for (int r = 0; r < R; r++) {
        const int ix = (ox0 + r) * s.sw - s.pl + kw;
        px[r] = ix >= 0 && ix < s.w ? row + (size_t)ix * s.ci : zeros;
      }
      const float* wt = w + (size_t)(kh * s.kw + kw) * s.ci * co;
      for (int c = 0; c < s.ci; c++) {
        v16 wv[NV];
        for (int j = 0; j < NV; j++) wv[j] = load(wt + (size_t)c * co + 16 * j);
        for (int r = 0; r < R; r++) {
          const float a = px[r][c];
          for (int j = 0; j < NV; j++) acc[r][j] += a * wv[j];
        }
      }
    }
  }
  for (int r = 0; r < R; r++)
    for (int j = 0; j < NV; j++) {
      v16 v = acc[r][j];
      if (relu) v = v < 0 ? v16{} : v;  // lanes: v < 0 is a mask; NaN stays (as max(0, NaN) = NaN)
      store(out + (size_t)r * co + 16 * j, v);
    }
}

// Pixels per register block: enough independent sums to hide FMA latency, few enough to fit
// the sums and the filter row in 32 vector registers.
template <int NV>
constexpr int kPixels = NV == 1 ? 16 : NV == 2 ? 8 : NV == 3 ? 6 : 6;

template <int NV>
void run(const ConvShape& s, const float* x, const float* w, const float* bias, bool relu, float* y) {
  constexpr int R = kPixels<NV>;
  const int co = NV * 16;
  std::vector<float> zeros(s.ci, 0.f);
  const long rows = (long)s.n * s.oh;  // output rows (n, oy)
  // Output rows per task: about 32K outputs, fixed by the shape.
  const long per_task = std::max<long>(1, 32768 / ((long)s.ow * co));
  parallel_for((int)((rows + per_task - 1) / per_task), [&](int t) {
    const long r1 = std::min(rows, (t + 1) * per_task);
    for (long rr = t * per_task; rr < r1; rr++) {
      const int n = (int)(rr / s.oh), oy = (int)(rr % s.oh);
      const float* img = x + (size_t)n * s.h * s.w * s.ci;
      float* out = y + (size_t)rr * s.ow * co;
      int ox = 0;
      for (; ox + R <= s.ow; ox += R) block<NV, R>(s, img, w, bias, relu, zeros.data(), oy, ox, out + (size_t)ox * co);
      // The rest of the row in smaller blocks, not pixel by pixel (a row of 8 at R = 6 would
      // otherwise spend a third of its time on two single pixels).
      if (R > 4 && ox + 4 <= s.ow) block<NV, 4>(s, img, w, bias, relu, zeros.data(), oy, ox, out + (size_t)ox * co), ox += 4;
      if (R > 2 && ox + 2 <= s.ow) block<NV, 2>(s, img, w, bias, relu, zeros.data(), oy, ox, out + (size_t)ox * co), ox += 2;
      for (; ox < s.ow; ox++) block<NV, 1>(s, img, w, bias, relu, zeros.data(), oy, ox, out + (size_t)ox * co);
    }
  });
}

// The filter gradient for one tap (kh, kw) and input channels c0..c0+CB-1 over output rows
// rr0..rr1-1 (rows of all images): dw[tap][c][:] = sum over pixels of x[tap pixel][c] * dy[pixel][:].
// The sums stay in registers for the whole pass; every (tap, channel) is written exactly once.
template <int NV, int CB>
void filter_block(const ConvShape& s, const float* x, const float* dy, const float* zeros, long rr0, long rr1, int kh,
                  int kw, int c0, float* dw_tap) {
  constexpr int co = NV * 16;
  v16 acc[CB][NV];
  for (int c = 0; c < CB; c++)
    for (int j = 0; j < NV; j++) acc[c][j] = v16{};
  for (long rr = rr0; rr < rr1; rr++) {
    const int n = (int)(rr / s.oh), oy = (int)(rr % s.oh);
    const int iy = oy * s.sh - s.pt + kh;
    if (iy < 0 || iy >= s.h) continue;
    const float* row = x + ((size_t)n * s.h + iy) * s.w * s.ci + c0;
    const float* g = dy + (size_t)rr * s.ow * co;
    for (int ox = 0; ox < s.ow; ox++, g += co) {
      const int ix = ox * s.sw - s.pl + kw;
      const float* px = ix >= 0 && ix < s.w ? row + (size_t)ix * s.ci : zeros;
      v16 gv[NV];
      for (int j = 0; j < NV; j++) gv[j] = load(g + 16 * j);
      for (int c = 0; c < CB; c++) {
        const float a = px[c];
        for (int j = 0; j < NV; j++) acc[c][j] += a * gv[j];
      }
    }
  }
  for (int c = 0; c < CB; c++)
    for (int j = 0; j < NV; j++) store(dw_tap + (size_t)(c0 + c) * co + 16 * j, acc[c][j]);
}

// Input channels per pass: with the dy row, as many sums as fit in 32 vector registers.
template <int NV>
constexpr int kChannels = NV == 1 ? 16 : NV == 2 ? 8 : NV == 3 ? 8 : 6;

template <int NV>
void run_filter_grad(const ConvShape& s, const float* x, const float* dy, float* dw) {
  constexpr int CB = kChannels<NV>;
  const size_t wsize = (size_t)s.k() * s.co;
  std::vector<float> zeros(s.ci, 0.f);
  const long rows = (long)s.n * s.oh;
  // Fixed slices of output rows (set by the shape alone), each summed into its own partial,
  // then added in slice order: the same bits for any thread count.
  const int slices = (int)std::clamp<long>(rows * s.ow / 2048, 1, 8);
  std::vector<float> partials((size_t)(slices - 1) * wsize);
  parallel_for(slices, [&](int t) {
    float* out = t == 0 ? dw : partials.data() + (size_t)(t - 1) * wsize;
    const long rr0 = rows * t / slices, rr1 = rows * (t + 1) / slices;
    for (int kh = 0; kh < s.kh; kh++)
      for (int kw = 0; kw < s.kw; kw++) {
        float* dw_tap = out + (size_t)(kh * s.kw + kw) * s.ci * s.co;
        int c0 = 0;
        for (; c0 + CB <= s.ci; c0 += CB) filter_block<NV, CB>(s, x, dy, zeros.data(), rr0, rr1, kh, kw, c0, dw_tap);
        for (; c0 < s.ci; c0++) filter_block<NV, 1>(s, x, dy, zeros.data(), rr0, rr1, kh, kw, c0, dw_tap);
      }
  });
  if (slices == 1) return;
  const size_t chunk = 16384;
  parallel_for((int)((wsize + chunk - 1) / chunk), [&](int t) {
    const size_t i0 = t * chunk, i1 = std::min(wsize, i0 + chunk);
    for (int p = 0; p < slices - 1; p++) {
      const float* src = partials.data() + p * wsize;
      for (size_t i = i0; i < i1; i++) dw[i] += src[i];
    }
  });
}

}  // namespace

bool conv2d_direct_supported(const ConvShape& s) {
  return s.co % 16 == 0 && s.co <= 64 && s.dh == 1 && s.dw == 1;
}

void conv2d_direct(const ConvShape& s, const float* x, const float* w, const float* bias, bool relu, float* y) {
  switch (s.co / 16) {
    case 1: return run<1>(s, x, w, bias, relu, y);
    case 2: return run<2>(s, x, w, bias, relu, y);
    case 3: return run<3>(s, x, w, bias, relu, y);
    case 4: return run<4>(s, x, w, bias, relu, y);
  }
}

void conv2d_direct_filter_grad(const ConvShape& s, const float* x, const float* dy, float* dw) {
  switch (s.co / 16) {
    case 1: return run_filter_grad<1>(s, x, dy, dw);
    case 2: return run_filter_grad<2>(s, x, dy, dw);
    case 3: return run_filter_grad<3>(s, x, dy, dw);
    case 4: return run_filter_grad<4>(s, x, dy, dw);
  }
}

}  // namespace kit
