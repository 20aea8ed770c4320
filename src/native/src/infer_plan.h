// Float inference of a whole (BatchNorm-folded) model in one call: the model is compiled once
// into a plan of oneDNN primitives (convolution + bias + ReLU, residual adds fused into the
// convolution as a sum post-op, pooling, layout reorders, dense layers as matmuls), and each
// batch then runs with no per-layer allocation or dispatch from JS.
//
// Determinism: the convolutional part runs per fixed chunk of images (the chunk size is fixed
// when the plan is made), each chunk one single-threaded pass through every layer on kit's pool;
// each dense layer is cut into column blocks by its shape alone, each block one single-threaded
// matmul. So results never depend on the thread count, and a run is bit-identical to the last.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace kit {

enum InferOp {
  kInferConv = 0,           // image -> image: p = [kh, kw, sh, sw, pt, pl, dh, dw]
  kInferDense = 1,          // rows -> rows
  kInferAdd = 2,            // in0 + in1 (both images or both rows)
  kInferRelu = 3,           // max(x, 0)
  kInferAvgPool = 4,        // image -> image, padding excluded from the mean: p = [kh, kw, sh, sw, pt, pl]
  kInferMaxPool = 5,        // image -> image: p as for kInferAvgPool
  kInferFlatten = 6,        // image -> rows, in HWC order
  kInferGlobalAvgPool = 7,  // image -> rows: the mean of each channel
};

// One step as JS encodes it: kInferStepInts integers
// [op, out, in0, in1, relu, weights, bias, p0..p8]; weights and bias index the weight arrays (-1: none).
constexpr int kInferStepInts = 16;

// A tensor of the plan: per image, an h x w x c image (NHWC) or a row of c values.
struct InferTensor {
  bool rows;
  int h, w, c;
  size_t size() const { return (size_t)h * w * c; }
};

struct InferStep {
  int op, out, in0, in1;
  bool relu;
  int weights, bias;
  int p[9];
};

class InferPlan;

// Checks and compiles a plan; nullptr with `error` set when a step is malformed or oneDNN (not
// built in, or without a kernel for a step) cannot run it. Conv weights are HWIO, dense [in, out].
InferPlan* infer_plan_create(const std::vector<InferTensor>& tensors, const std::vector<InferStep>& steps,
                             std::vector<std::vector<float>> weights, int input, int output, int chunk,
                             std::string* error);
void infer_plan_free(InferPlan* plan);
// Values per image of the plan's input and output.
size_t infer_plan_input_size(const InferPlan& plan);
size_t infer_plan_output_size(const InferPlan& plan);
// n images (NHWC, already normalized) -> n output rows. False with `error` set on failure.
bool infer_plan_run(InferPlan& plan, const float* x, int n, float* out, std::string* error);

}  // namespace kit
