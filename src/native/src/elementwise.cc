#include "elementwise.h"

#include <algorithm>
#include <cmath>

#include "threads.h"

namespace kit {
namespace {

// Elements per task: large enough to amortise waking a thread, small enough to share work.
constexpr long kChunk = 32768;

template <BinaryOp op>
inline float apply(float x, float y) {
  if constexpr (op == BinaryOp::Add) return x + y;
  if constexpr (op == BinaryOp::Sub) return x - y;
  if constexpr (op == BinaryOp::Mul) return x * y;
  if constexpr (op == BinaryOp::Div) return x / y;
  // tfjs propagates NaN from either side.
  if constexpr (op == BinaryOp::Max) return std::isnan(x) || std::isnan(y) ? NAN : (x > y ? x : y);
  if constexpr (op == BinaryOp::Min) return std::isnan(x) || std::isnan(y) ? NAN : (x < y ? x : y);
  // In double, rounded once, as JS computes it (float would round twice).
  if constexpr (op == BinaryOp::SquaredDiff) return (float)(((double)x - y) * ((double)x - y));
  if constexpr (op == BinaryOp::ReluGrad) return x * (std::isnan(y) ? y : (y > 0.f ? 1.f : 0.f));
  if constexpr (op == BinaryOp::SquareGrad) return x * (y * 2.f);
}

// The inner loop, specialised on whether a and b advance (stride 1) or stay (stride 0), so the
// compiler vectorises each case.
template <BinaryOp op>
void inner(long n, const float* a, long sa, const float* b, long sb, float* out) {
  if (sa && sb)
    for (long i = 0; i < n; i++) out[i] = apply<op>(a[i], b[i]);
  else if (sa) {
    const float y = *b;
    for (long i = 0; i < n; i++) out[i] = apply<op>(a[i], y);
  } else if (sb) {
    const float x = *a;
    for (long i = 0; i < n; i++) out[i] = apply<op>(x, b[i]);
  } else {
    const float v = apply<op>(*a, *b);
    for (long i = 0; i < n; i++) out[i] = v;
  }
}

// Output elements e0..e1-1, walking a multi-index whose last axis is the inner loop.
template <BinaryOp op>
void range(int rank, const long* dims, const long* sa, const long* sb, const float* a, const float* b,
           float* out, long e0, long e1) {
  long idx[kMaxRank];
  long rem = e0, oa = 0, ob = 0;
  for (int d = rank - 1; d >= 0; d--) {
    idx[d] = rem % dims[d];
    rem /= dims[d];
    oa += idx[d] * sa[d];
    ob += idx[d] * sb[d];
  }
  const int last = rank - 1;
  for (long e = e0; e < e1;) {
    long cnt = std::min(dims[last] - idx[last], e1 - e);
    inner<op>(cnt, a + oa, sa[last], b + ob, sb[last], out + e);
    e += cnt;
    idx[last] += cnt;
    oa += cnt * sa[last];
    ob += cnt * sb[last];
    for (int d = last; d > 0 && idx[d] == dims[d]; d--) {
      oa += sa[d - 1] - dims[d] * sa[d];
      ob += sb[d - 1] - dims[d] * sb[d];
      idx[d] = 0;
      idx[d - 1]++;
    }
  }
}

// The common [rows, cols] case (a tensor op a per-channel vector, after axis merging): a plain
// double loop, specialised on which side advances along the row so the inner loop vectorises.
template <BinaryOp op, bool SA, bool SB>
void rows2d(long r0, long r1, long cols, const float* a, long ra, const float* b, long rb, float* out) {
  for (long r = r0; r < r1; r++) {
    const float* ar = a + r * ra;
    const float* br = b + r * rb;
    float* o = out + r * cols;
    for (long i = 0; i < cols; i++) o[i] = apply<op>(SA ? ar[i] : ar[0], SB ? br[i] : br[0]);
  }
}

template <BinaryOp op>
void run(int rank, const long* dims, const long* sa, const long* sb, const float* a, const float* b, float* out) {
  long size = 1;
  for (int d = 0; d < rank; d++) size *= dims[d];
  if (rank == 2) {
    const long cols = dims[1];
    const long per_task = std::max<long>(1, kChunk / cols);
    parallel_for((int)((dims[0] + per_task - 1) / per_task), [&](int t) {
      const long r0 = t * per_task, r1 = std::min(dims[0], r0 + per_task);
      if (sa[1] && sb[1]) rows2d<op, true, true>(r0, r1, cols, a, sa[0], b, sb[0], out);
      else if (sa[1]) rows2d<op, true, false>(r0, r1, cols, a, sa[0], b, sb[0], out);
      else if (sb[1]) rows2d<op, false, true>(r0, r1, cols, a, sa[0], b, sb[0], out);
      else rows2d<op, false, false>(r0, r1, cols, a, sa[0], b, sb[0], out);
    });
    return;
  }
  parallel_for((int)((size + kChunk - 1) / kChunk), [&](int t) {
    range<op>(rank, dims, sa, sb, a, b, out, t * kChunk, std::min(size, (t + 1) * kChunk));
  });
}

}  // namespace

void binary(BinaryOp op, int rank, const long* dims, const long* sa, const long* sb, const float* a,
            const float* b, float* out) {
  switch (op) {
    case BinaryOp::Add: return run<BinaryOp::Add>(rank, dims, sa, sb, a, b, out);
    case BinaryOp::Sub: return run<BinaryOp::Sub>(rank, dims, sa, sb, a, b, out);
    case BinaryOp::Mul: return run<BinaryOp::Mul>(rank, dims, sa, sb, a, b, out);
    case BinaryOp::Div: return run<BinaryOp::Div>(rank, dims, sa, sb, a, b, out);
    case BinaryOp::Max: return run<BinaryOp::Max>(rank, dims, sa, sb, a, b, out);
    case BinaryOp::Min: return run<BinaryOp::Min>(rank, dims, sa, sb, a, b, out);
    case BinaryOp::SquaredDiff: return run<BinaryOp::SquaredDiff>(rank, dims, sa, sb, a, b, out);
    case BinaryOp::ReluGrad: return run<BinaryOp::ReluGrad>(rank, dims, sa, sb, a, b, out);
    case BinaryOp::SquareGrad: return run<BinaryOp::SquareGrad>(rank, dims, sa, sb, a, b, out);
  }
}

namespace {

template <UnaryOp op>
inline float apply1(float x, float alpha) {
  // Same values as tfjs-backend-cpu: Math.max(0, x) passes NaN and turns -0 into 0.
  if constexpr (op == UnaryOp::Relu) return std::isnan(x) ? x : (x > 0.f ? x : 0.f);
  if constexpr (op == UnaryOp::Step) return std::isnan(x) ? x : (x > 0.f ? 1.f : alpha);
  if constexpr (op == UnaryOp::Square) return x * x;
  if constexpr (op == UnaryOp::Neg) return -x;
  if constexpr (op == UnaryOp::Sqrt) return std::sqrt(x);
  if constexpr (op == UnaryOp::Rsqrt) return (float)(1.0 / std::sqrt((double)x));
  if constexpr (op == UnaryOp::Abs) return std::fabs(x);
}

template <UnaryOp op>
void run1(float alpha, long size, const float* x, float* out) {
  parallel_for((int)((size + kChunk - 1) / kChunk), [&](int t) {
    long e1 = std::min(size, (t + 1) * kChunk);
    for (long i = t * kChunk; i < e1; i++) out[i] = apply1<op>(x[i], alpha);
  });
}

}  // namespace

void unary(UnaryOp op, float alpha, long size, const float* x, float* out) {
  switch (op) {
    case UnaryOp::Relu: return run1<UnaryOp::Relu>(alpha, size, x, out);
    case UnaryOp::Step: return run1<UnaryOp::Step>(alpha, size, x, out);
    case UnaryOp::Square: return run1<UnaryOp::Square>(alpha, size, x, out);
    case UnaryOp::Neg: return run1<UnaryOp::Neg>(alpha, size, x, out);
    case UnaryOp::Sqrt: return run1<UnaryOp::Sqrt>(alpha, size, x, out);
    case UnaryOp::Rsqrt: return run1<UnaryOp::Rsqrt>(alpha, size, x, out);
    case UnaryOp::Abs: return run1<UnaryOp::Abs>(alpha, size, x, out);
  }
}

}  // namespace kit
