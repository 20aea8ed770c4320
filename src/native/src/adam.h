// Adam's update of one variable in one pass: tfjs's AdamOptimizer builds it from about fifteen
// element-wise ops, each a full-size temporary, which on a CPU cost more than the convolutions
// of a large dense layer's step. Same roundings as tfjs's op chain, so the results are identical.
#pragma once

namespace kit {

// Every constant is already a float32, as tfjs's scalars are.
struct AdamConsts {
  float beta1, one_minus_beta1;          // beta1 and fround(1 - beta1)
  float beta2, one_minus_beta2;
  float one_minus_acc1, one_minus_acc2;  // fround(1 - beta1^t), fround(1 - beta2^t)
  float epsilon;
  float neg_lr;                          // fround(-learningRate)
};

// Updates w, m and v in place from the gradient g (n elements each).
void adam_step(long n, float* w, float* m, float* v, const float* g, const AdamConsts& c);

}  // namespace kit
