// Element-wise kernels: binary ops with NumPy broadcasting, and unary ops.
#pragma once

namespace kit {

// ReluGrad(dy, x) = dy * step(x) and SquareGrad(dy, x) = dy * (2 * x): the gradients of Relu and
// Square in one pass each, with the same roundings as tfjs's two-op compositions.
enum class BinaryOp { Add = 0, Sub = 1, Mul = 2, Div = 3, Max = 4, Min = 5, SquaredDiff = 6, ReluGrad = 7, SquareGrad = 8 };
constexpr int kBinaryOps = 9;
enum class UnaryOp { Relu = 0, Step = 1, Square = 2, Neg = 3, Sqrt = 4, Rsqrt = 5, Abs = 6 };
constexpr int kUnaryOps = 7;

constexpr int kMaxRank = 8;

// The output has shape dims[0..rank-1]; element i of a sits at sum(index[d] * a_strides[d]),
// with stride 0 along broadcast axes (likewise b). The caller merges axes first, so the last
// axis is as long as possible.
void binary(BinaryOp op, int rank, const long* dims, const long* a_strides, const long* b_strides,
            const float* a, const float* b, float* out);

void unary(UnaryOp op, float alpha, long size, const float* x, float* out);

}  // namespace kit
