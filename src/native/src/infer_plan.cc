#include "infer_plan.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>

#ifdef KIT_HAVE_DNNL

#include <omp.h>

#include <unordered_map>
#include <oneapi/dnnl/dnnl.hpp>

#include "threads.h"

namespace kit {
namespace {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;
using dims = dnnl::memory::dims;
using mdesc = dnnl::memory::desc;

dnnl::engine& cpu() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

// Per-thread buffers, 64-byte aligned, reused across calls and plans: slot 0 holds a chunk's
// activations, slot 1 the primitives' scratch memory.
float* thread_buffer(int slot, size_t floats) {
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  thread_local std::unique_ptr<float, Free> bufs[2];
  thread_local size_t sizes[2] = {0, 0};
  if (floats > sizes[slot]) {
    sizes[slot] = (floats + 15) / 16 * 16;
    bufs[slot].reset(static_cast<float*>(std::aligned_alloc(64, sizes[slot] * sizeof(float))));
  }
  return bufs[slot].get();
}

// Where a primitive's argument lives: the chunk's activation arena, the caller's input, a
// batch-wide row buffer (at the chunk's first image), or memory the program owns.
enum Where { kArena, kInput, kRows, kFixed };

struct Ref {
  int arg;
  mdesc desc;
  Where where;
  size_t offset;  // floats (kArena, kInput, kRows)
  int tensor;     // kRows
  float* fixed;   // kFixed
};

struct Exec {
  dnnl::primitive prim;
  std::vector<Ref> refs;
  mdesc scratch;
};

// The convolutional part for one chunk size.
struct ImageProgram {
  std::vector<Exec> execs;
  std::vector<dnnl::memory> owned;  // filters in the primitives' layouts
  size_t arena = 0;                 // floats per chunk
};

// The row part for one batch size: per step, its column blocks (dense) or nothing (a loop).
struct RowStage {
  int step;
  std::vector<Exec> blocks;
};
struct RowProgram {
  std::vector<RowStage> stages;
};

// Where a tensor of the image program is, and its layout (the producer's choice).
struct Loc {
  mdesc desc;
  Where where = kArena;
  size_t offset = 0;
};

dnnl::primitive_attr attr_with(bool sum, bool relu) {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  dnnl::post_ops ops;
  if (sum) ops.append_sum(1.f);
  if (relu) ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
  attr.set_post_ops(ops);
  return attr;
}

// oneDNN's padding after: what makes its output size formula give ours (at least 0: trailing
// input that no window reaches needs none). -1 when no padding does.
int pad_after(int in, int out, int k, int stride, int dil, int before) {
  const int ek = (k - 1) * dil + 1;
  const int after = std::max(0, (out - 1) * stride + ek - in - before);
  return (in - ek + before + after) / stride + 1 == out ? after : -1;
}

}  // namespace

class InferPlan {
 public:
  std::vector<InferTensor> tensors;
  std::vector<InferStep> steps;
  std::vector<std::vector<float>> weights;
  int input = 0, output = 0, chunk = 1;
  std::vector<int> sum_into;    // per step: the add a convolution also does (sum post-op), or -1
  std::vector<bool> fused;      // per step: an add done by its convolution
  std::vector<int> uses;        // per tensor: the steps reading it (and 1 for the output)
  std::vector<bool> image_step;
  std::vector<std::vector<float>> rows;  // batch-wide buffers of the row tensors
  std::map<int, std::unique_ptr<ImageProgram>> images;
  std::map<int, std::unique_ptr<RowProgram>> row_programs;
  std::mutex mutex;  // one batch at a time: the row buffers are shared

  ImageProgram* image_program(int n);
  RowProgram* row_program(int m);
  void execute(const Exec& e, float* arena, const float* x, int start) const;

 private:
  float* resolve(const Ref& r, float* arena, const float* x, int start) const {
    switch (r.where) {
      case kArena: return arena + r.offset;
      case kInput: return const_cast<float*>(x) + (size_t)start * tensors[input].size() + r.offset;
      case kRows: return const_cast<float*>(rows[r.tensor].data()) + (size_t)start * tensors[r.tensor].size() + r.offset;
      case kFixed: return r.fixed;
    }
    return nullptr;
  }
};

void InferPlan::execute(const Exec& e, float* arena, const float* x, int start) const {
  auto& eng = cpu();
  std::unordered_map<int, dnnl::memory> args;
  for (const Ref& r : e.refs) args.emplace(r.arg, dnnl::memory(r.desc, eng, resolve(r, arena, x, start)));
  if (size_t bytes = e.scratch.get_size())
    args.emplace(DNNL_ARG_SCRATCHPAD, dnnl::memory(e.scratch, eng, thread_buffer(1, bytes / sizeof(float) + 1)));
  dnnl::stream s(eng);
  e.prim.execute(s, args);
  s.wait();
}

ImageProgram* InferPlan::image_program(int n) {
  auto it = images.find(n);
  if (it != images.end()) return it->second.get();
  auto p = std::make_unique<ImageProgram>();
  auto& eng = cpu();
  dnnl::stream st(eng);
  std::vector<Loc> loc(tensors.size());
  auto image_dims = [&](int t) { return dims{n, tensors[t].c, tensors[t].h, tensors[t].w}; };
  auto alloc = [&](const mdesc& d) {
    const size_t off = p->arena;
    p->arena += (d.get_size() / sizeof(float) + 15) / 16 * 16;
    return off;
  };
  auto ref = [&](int arg, int t) { return Ref{arg, loc[t].desc, loc[t].where, loc[t].offset, t, nullptr}; };
  auto rows_ref = [&](int arg, const mdesc& d, int t) { return Ref{arg, d, kRows, 0, t, nullptr}; };
  auto fixed = [&](int arg, const mdesc& d, float* ptr) { return Ref{arg, d, kFixed, 0, -1, ptr}; };
  loc[input] = Loc{mdesc(image_dims(input), dt::f32, tag::nhwc), kInput, 0};

  for (size_t i = 0; i < steps.size(); i++) {
    const InferStep& s = steps[i];
    if (!image_step[i] || fused[i]) continue;
    const InferTensor& in = tensors[s.in0];
    const InferTensor& out = tensors[s.out];
    switch (s.op) {
      case kInferConv: {
        const int kh = s.p[0], kw = s.p[1], sh = s.p[2], sw = s.p[3], pt = s.p[4], pl = s.p[5], dh = s.p[6], dw = s.p[7];
        const int pb = pad_after(in.h, out.h, kh, sh, dh, pt), pr = pad_after(in.w, out.w, kw, sw, dw, pl);
        const int add = sum_into[i];
        const bool relu = add >= 0 ? steps[add].relu : s.relu;
        const mdesc w_any(dims{out.c, in.c, kh, kw}, dt::f32, tag::any);
        const mdesc bias(dims{out.c}, dt::f32, tag::x);
        // Layouts are oneDNN's choice (channels last here, as the input): measured, forcing the
        // 16-channel blocked layout made oneDNN fall back to slow reference kernels.
        const mdesc dst_any(image_dims(s.out), dt::f32, tag::any);
        const dims strides{sh, sw}, dil{dh - 1, dw - 1}, pad_l{pt, pl}, pad_r{pb, pr};
        const auto prop = dnnl::prop_kind::forward_inference;
        const auto algo = dnnl::algorithm::convolution_direct;
        auto d = s.bias >= 0
                     ? dnnl::convolution_forward::desc(prop, algo, loc[s.in0].desc, w_any, bias, dst_any, strides, dil, pad_l, pad_r)
                     : dnnl::convolution_forward::desc(prop, algo, loc[s.in0].desc, w_any, dst_any, strides, dil, pad_l, pad_r);
        dnnl::convolution_forward::primitive_desc pd(d, attr_with(add >= 0, relu), eng);
        // The filter, reordered once into the layout this primitive wants.
        dnnl::memory user(mdesc(dims{out.c, in.c, kh, kw}, dt::f32, tag::hwio), eng, weights[s.weights].data());
        dnnl::memory w(pd.weights_desc(), eng);
        dnnl::reorder(user, w).execute(st, user, w);
        st.wait();
        p->owned.push_back(w);
        const mdesc dst = pd.dst_desc();
        const int result = add >= 0 ? steps[add].out : s.out;
        size_t off = 0;
        const int other = add >= 0 ? (steps[add].in0 == s.out ? steps[add].in1 : steps[add].in0) : -1;
        if (add >= 0 && loc[other].where == kArena && loc[other].desc == dst && uses[other] == 1) {
          // The residual input, used by this add alone, already lies in the output's layout: the
          // convolution adds onto it in place.
          off = loc[other].offset;
        } else if (add >= 0) {
          // The residual input is copied into the output first; the convolution adds onto it.
          off = alloc(dst);
          dnnl::reorder::primitive_desc rpd(eng, loc[other].desc, eng, dst);
          p->execs.push_back(Exec{dnnl::reorder(rpd), {ref(DNNL_ARG_FROM, other), Ref{DNNL_ARG_TO, dst, kArena, off, -1, nullptr}}, mdesc()});
        } else {
          off = alloc(dst);
        }
        Exec e{dnnl::convolution_forward(pd), {ref(DNNL_ARG_SRC, s.in0), fixed(DNNL_ARG_WEIGHTS, pd.weights_desc(), static_cast<float*>(w.get_data_handle()))}, pd.scratchpad_desc()};
        if (s.bias >= 0) e.refs.push_back(fixed(DNNL_ARG_BIAS, bias, weights[s.bias].data()));
        e.refs.push_back(Ref{DNNL_ARG_DST, dst, kArena, off, -1, nullptr});
        p->execs.push_back(std::move(e));
        loc[result] = Loc{dst, kArena, off};
        break;
      }
      case kInferAvgPool:
      case kInferMaxPool: {
        const int kh = s.p[0], kw = s.p[1], sh = s.p[2], sw = s.p[3], pt = s.p[4], pl = s.p[5];
        const int pb = pad_after(in.h, out.h, kh, sh, 1, pt), pr = pad_after(in.w, out.w, kw, sw, 1, pl);
        const auto algo = s.op == kInferAvgPool ? dnnl::algorithm::pooling_avg_exclude_padding : dnnl::algorithm::pooling_max;
        dnnl::pooling_forward::desc d(dnnl::prop_kind::forward_inference, algo, loc[s.in0].desc, mdesc(image_dims(s.out), dt::f32, tag::any),
                                      dims{sh, sw}, dims{kh, kw}, dims{pt, pl}, dims{pb, pr});
        dnnl::pooling_forward::primitive_desc pd(d, attr_with(false, false), eng);
        const mdesc dst = pd.dst_desc();
        const size_t off = alloc(dst);
        p->execs.push_back(Exec{dnnl::pooling_forward(pd), {ref(DNNL_ARG_SRC, s.in0), Ref{DNNL_ARG_DST, dst, kArena, off, -1, nullptr}}, pd.scratchpad_desc()});
        loc[s.out] = Loc{dst, kArena, off};
        break;
      }
      case kInferGlobalAvgPool: {
        const mdesc dst(dims{n, in.c, 1, 1}, dt::f32, tag::nhwc);
        dnnl::pooling_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_avg_exclude_padding, loc[s.in0].desc, dst,
                                      dims{1, 1}, dims{in.h, in.w}, dims{0, 0}, dims{0, 0});
        dnnl::pooling_forward::primitive_desc pd(d, attr_with(false, false), eng);
        p->execs.push_back(Exec{dnnl::pooling_forward(pd), {ref(DNNL_ARG_SRC, s.in0), rows_ref(DNNL_ARG_DST, dst, s.out)}, pd.scratchpad_desc()});
        break;
      }
      case kInferFlatten: {
        // Rows in HWC order, as the layers model flattens its channels-last tensors.
        const mdesc dst(image_dims(s.in0), dt::f32, tag::nhwc);
        dnnl::reorder::primitive_desc rpd(eng, loc[s.in0].desc, eng, dst);
        p->execs.push_back(Exec{dnnl::reorder(rpd), {ref(DNNL_ARG_FROM, s.in0), rows_ref(DNNL_ARG_TO, dst, s.out)}, mdesc()});
        break;
      }
      case kInferRelu: {
        dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::eltwise_relu, loc[s.in0].desc, 0.f, 0.f);
        dnnl::eltwise_forward::primitive_desc pd(d, attr_with(false, false), eng);
        const mdesc dst = pd.dst_desc();
        const size_t off = alloc(dst);
        p->execs.push_back(Exec{dnnl::eltwise_forward(pd), {ref(DNNL_ARG_SRC, s.in0), Ref{DNNL_ARG_DST, dst, kArena, off, -1, nullptr}}, pd.scratchpad_desc()});
        loc[s.out] = Loc{dst, kArena, off};
        break;
      }
      case kInferAdd: {
        const mdesc dst = loc[s.in0].desc;
        dnnl::binary::desc d(dnnl::algorithm::binary_add, loc[s.in0].desc, loc[s.in1].desc, dst);
        dnnl::binary::primitive_desc pd(d, attr_with(false, s.relu), eng);
        const size_t off = alloc(dst);
        p->execs.push_back(Exec{dnnl::binary(pd), {ref(DNNL_ARG_SRC_0, s.in0), ref(DNNL_ARG_SRC_1, s.in1), Ref{DNNL_ARG_DST, dst, kArena, off, -1, nullptr}}, pd.scratchpad_desc()});
        loc[s.out] = Loc{dst, kArena, off};
        break;
      }
    }
  }
  return images.emplace(n, std::move(p)).first->second.get();
}

RowProgram* InferPlan::row_program(int m) {
  auto it = row_programs.find(m);
  if (it != row_programs.end()) return it->second.get();
  auto p = std::make_unique<RowProgram>();
  auto& eng = cpu();
  for (size_t i = 0; i < steps.size(); i++) {
    const InferStep& s = steps[i];
    if (image_step[i]) continue;
    RowStage stage{(int)i, {}};
    if (s.op == kInferDense) {
      const int k = tensors[s.in0].c, n = tensors[s.out].c;
      // Column blocks by the shape alone (never by the thread count), so that large layers
      // spread over the pool and small ones stay one call.
      int nblocks = (long)k * n >= (1 << 16) ? std::min(8, (n + 63) / 64) : 1;
      const int block = ((n + nblocks - 1) / nblocks + 15) / 16 * 16;
      nblocks = (n + block - 1) / block;
      std::map<int, std::pair<dnnl::matmul, mdesc>> by_width;
      for (int j = 0; j < nblocks; j++) {
        const int width = std::min(block, n - j * block);
        const mdesc src(dims{m, k}, dt::f32, tag::ab);
        const mdesc w(dims{k, width}, dt::f32, dims{n, 1});
        const mdesc bias(dims{1, width}, dt::f32, dims{n, 1});
        const mdesc dst(dims{m, width}, dt::f32, dims{n, 1});
        auto found = by_width.find(width);
        if (found == by_width.end()) {
          auto d = s.bias >= 0 ? dnnl::matmul::desc(src, w, bias, dst) : dnnl::matmul::desc(src, w, dst);
          dnnl::matmul::primitive_desc pd(d, attr_with(false, s.relu), eng);
          found = by_width.emplace(width, std::make_pair(dnnl::matmul(pd), pd.scratchpad_desc())).first;
        }
        Exec e{found->second.first, {Ref{DNNL_ARG_SRC, src, kRows, 0, s.in0, nullptr}}, found->second.second};
        e.refs.push_back(Ref{DNNL_ARG_WEIGHTS, w, kFixed, 0, -1, weights[s.weights].data() + (size_t)j * block});
        if (s.bias >= 0) e.refs.push_back(Ref{DNNL_ARG_BIAS, bias, kFixed, 0, -1, weights[s.bias].data() + (size_t)j * block});
        e.refs.push_back(Ref{DNNL_ARG_DST, dst, kRows, (size_t)j * block, s.out, nullptr});
        stage.blocks.push_back(std::move(e));
      }
    }
    p->stages.push_back(std::move(stage));
  }
  return row_programs.emplace(m, std::move(p)).first->second.get();
}

namespace {

bool check_step(const InferPlan& plan, size_t i, const InferStep& s, std::string* error) {
  auto fail = [&](const char* why) {
    *error = "step " + std::to_string(i) + ": " + why;
    return false;
  };
  const int nt = (int)plan.tensors.size();
  if (s.out < 0 || s.out >= nt || s.in0 < 0 || s.in0 >= nt) return fail("tensor index out of range");
  const InferTensor& in = plan.tensors[s.in0];
  const InferTensor& out = plan.tensors[s.out];
  auto weights_of = [&](int idx, size_t len, bool optional) {
    if (idx < 0) return optional;
    return idx < (int)plan.weights.size() && plan.weights[idx].size() == len;
  };
  switch (s.op) {
    case kInferConv: {
      if (in.rows || out.rows) return fail("a convolution takes and gives images");
      const int kh = s.p[0], kw = s.p[1], sh = s.p[2], sw = s.p[3], pt = s.p[4], pl = s.p[5], dh = s.p[6], dw = s.p[7];
      if (kh < 1 || kw < 1 || sh < 1 || sw < 1 || pt < 0 || pl < 0 || dh < 1 || dw < 1) return fail("bad convolution attributes");
      if (pad_after(in.h, out.h, kh, sh, dh, pt) < 0 || pad_after(in.w, out.w, kw, sw, dw, pl) < 0) return fail("output size does not match the padding");
      if (!weights_of(s.weights, (size_t)kh * kw * in.c * out.c, false) || !weights_of(s.bias, out.c, true)) return fail("weights do not match the shape");
      return true;
    }
    case kInferDense:
      if (!in.rows || !out.rows) return fail("a dense layer takes and gives rows");
      if (!weights_of(s.weights, (size_t)in.c * out.c, false) || !weights_of(s.bias, out.c, true)) return fail("weights do not match the shape");
      return true;
    case kInferAdd: {
      if (s.in1 < 0 || s.in1 >= nt) return fail("tensor index out of range");
      const InferTensor& b = plan.tensors[s.in1];
      if (in.rows != b.rows || in.rows != out.rows || in.size() != b.size() || in.size() != out.size() || in.c != b.c || in.c != out.c)
        return fail("an add takes two tensors of its output's shape");
      return true;
    }
    case kInferRelu:
      if (in.rows != out.rows || in.h != out.h || in.w != out.w || in.c != out.c) return fail("a ReLU keeps its input's shape");
      return true;
    case kInferAvgPool:
    case kInferMaxPool: {
      if (in.rows || out.rows || in.c != out.c) return fail("pooling takes and gives images of as many channels");
      const int kh = s.p[0], kw = s.p[1], sh = s.p[2], sw = s.p[3], pt = s.p[4], pl = s.p[5];
      if (kh < 1 || kw < 1 || sh < 1 || sw < 1 || pt < 0 || pl < 0 || pt >= kh || pl >= kw) return fail("bad pooling attributes");
      if (pad_after(in.h, out.h, kh, sh, 1, pt) < 0 || pad_after(in.w, out.w, kw, sw, 1, pl) < 0) return fail("output size does not match the padding");
      return true;
    }
    case kInferFlatten:
      if (in.rows || !out.rows || out.c != (int)in.size()) return fail("flatten takes an image and gives its values as a row");
      return true;
    case kInferGlobalAvgPool:
      if (in.rows || !out.rows || out.c != in.c) return fail("global pooling takes an image and gives a row of its channels");
      return true;
  }
  return fail("unknown op");
}

// Residual adds that a convolution can do as a sum post-op: one input is that convolution's
// output, used by the add alone, and the other is ready before the convolution runs.
void plan_sum_fusion(InferPlan& plan) {
  const size_t ns = plan.steps.size();
  std::vector<int> producer(plan.tensors.size(), -1), uses(plan.tensors.size(), 0);
  for (size_t i = 0; i < ns; i++) {
    const InferStep& s = plan.steps[i];
    producer[s.out] = (int)i;
    uses[s.in0]++;
    if (s.op == kInferAdd) uses[s.in1]++;
  }
  uses[plan.output]++;
  plan.uses = uses;
  plan.sum_into.assign(ns, -1);
  plan.fused.assign(ns, false);
  for (size_t a = 0; a < ns; a++) {
    const InferStep& add = plan.steps[a];
    if (add.op != kInferAdd || !plan.image_step[a] || add.in0 == add.in1) continue;
    for (int side = 1; side >= 0; side--) {
      const int conv_out = side ? add.in1 : add.in0, other = side ? add.in0 : add.in1;
      const int c = producer[conv_out];
      if (c < 0 || plan.steps[c].op != kInferConv || plan.steps[c].relu || plan.sum_into[c] >= 0 || uses[conv_out] != 1) continue;
      if (other != plan.input && producer[other] >= c) continue;
      plan.sum_into[c] = (int)a;
      plan.fused[a] = true;
      break;
    }
  }
}

}  // namespace

InferPlan* infer_plan_create(const std::vector<InferTensor>& tensors, const std::vector<InferStep>& steps,
                             std::vector<std::vector<float>> weights, int input, int output, int chunk,
                             std::string* error) {
  // oneDNN sizes a primitive's work split by the OpenMP thread count when it is created, and
  // runs that many threads when it executes: every primitive here is created and run with one.
  omp_set_num_threads(1);
  auto plan = std::make_unique<InferPlan>();
  plan->tensors = tensors;
  plan->steps = steps;
  plan->weights = std::move(weights);
  plan->input = input;
  plan->output = output;
  plan->chunk = chunk;
  const int nt = (int)tensors.size();
  if (input < 0 || input >= nt || output < 0 || output >= nt || tensors[input].rows || !tensors[output].rows || chunk < 1) {
    *error = "bad input, output or chunk size";
    return nullptr;
  }
  for (const InferTensor& t : tensors)
    if (t.h < 1 || t.w < 1 || t.c < 1 || (t.rows && (t.h != 1 || t.w != 1))) {
      *error = "bad tensor shape";
      return nullptr;
    }
  // Each tensor is made once, by a step after those making its inputs.
  std::vector<bool> ready(nt, false);
  ready[input] = true;
  for (size_t i = 0; i < steps.size(); i++) {
    const InferStep& s = steps[i];
    if (!check_step(*plan, i, s, error)) return nullptr;
    if (!ready[s.in0] || (s.op == kInferAdd && !ready[s.in1]) || ready[s.out]) {
      *error = "step " + std::to_string(i) + " reads a tensor not made yet or remakes one";
      return nullptr;
    }
    ready[s.out] = true;
    // Image steps (those reading an image) all run before the row steps: no image step reads a row.
    plan->image_step.push_back(!tensors[s.in0].rows);
  }
  if (!ready[output]) {
    *error = "no step makes the output";
    return nullptr;
  }
  plan->rows.resize(nt);
  plan_sum_fusion(*plan);
  try {
    // Compiled now for the chunk size, so that a step oneDNN cannot run is a failure here.
    plan->image_program(chunk);
    plan->row_program(chunk);
  } catch (const dnnl::error& e) {
    *error = std::string("oneDNN: ") + e.what();
    return nullptr;
  }
  return plan.release();
}

void infer_plan_free(InferPlan* plan) { delete plan; }
size_t infer_plan_input_size(const InferPlan& plan) { return plan.tensors[plan.input].size(); }
size_t infer_plan_output_size(const InferPlan& plan) { return plan.tensors[plan.output].size(); }

bool infer_plan_run(InferPlan& plan, const float* x, int n, float* out, std::string* error) {
  if (n <= 0) return true;
  std::lock_guard<std::mutex> lock(plan.mutex);
  omp_set_num_threads(1);  // before the programs for new sizes are created (see infer_plan_create)
  for (size_t t = 0; t < plan.tensors.size(); t++)
    if (plan.tensors[t].rows && plan.rows[t].size() < (size_t)n * plan.tensors[t].size()) plan.rows[t].resize((size_t)n * plan.tensors[t].size());
  const int chunk = std::min(plan.chunk, n);
  const int ntasks = (n + chunk - 1) / chunk;
  const int last = n - (ntasks - 1) * chunk;
  ImageProgram *full, *tail;
  RowProgram* rows;
  try {
    full = plan.image_program(chunk);
    tail = plan.image_program(last);
    rows = plan.row_program(n);
  } catch (const dnnl::error& e) {
    *error = std::string("oneDNN: ") + e.what();
    return false;
  }
  bool failed = false;
  std::mutex failed_mutex;
  auto guarded = [&](const std::function<void()>& f) {
    try {
      omp_set_num_threads(1);
      f();
    } catch (const dnnl::error& e) {
      std::lock_guard<std::mutex> l(failed_mutex);
      failed = true;
      *error = std::string("oneDNN: ") + e.what();
    }
  };
  parallel_for(ntasks, [&](int t) {
    guarded([&] {
      const ImageProgram* p = t == ntasks - 1 ? tail : full;
      float* arena = thread_buffer(0, p->arena);
      for (const Exec& e : p->execs) plan.execute(e, arena, x, t * chunk);
    });
  });
  for (const RowStage& stage : rows->stages) {
    if (failed) break;
    const InferStep& s = plan.steps[stage.step];
    if (s.op == kInferDense) {
      parallel_for((int)stage.blocks.size(), [&](int b) { guarded([&] { plan.execute(stage.blocks[b], nullptr, x, 0); }); });
      continue;
    }
    const size_t len = (size_t)n * plan.tensors[s.out].size();
    const float* a = plan.rows[s.in0].data();
    float* y = plan.rows[s.out].data();
    if (s.op == kInferAdd) {
      const float* b = plan.rows[s.in1].data();
      for (size_t i = 0; i < len; i++) {
        const float v = a[i] + b[i];
        y[i] = s.relu && v < 0 ? 0.f : v;
      }
    } else {  // kInferRelu
      for (size_t i = 0; i < len; i++) y[i] = a[i] < 0 ? 0.f : a[i];
    }
  }
  if (failed) return false;
  std::copy_n(plan.rows[plan.output].data(), (size_t)n * plan.tensors[plan.output].size(), out);
  return true;
}

}  // namespace kit

#else

namespace kit {
class InferPlan {};
InferPlan* infer_plan_create(const std::vector<InferTensor>&, const std::vector<InferStep>&, std::vector<std::vector<float>>, int, int,
                             int, std::string* error) {
  *error = "the native addon was built without oneDNN";
  return nullptr;
}
void infer_plan_free(InferPlan* plan) { delete plan; }
size_t infer_plan_input_size(const InferPlan&) { return 0; }
size_t infer_plan_output_size(const InferPlan&) { return 0; }
bool infer_plan_run(InferPlan&, const float*, int, float*, std::string* error) {
  *error = "the native addon was built without oneDNN";
  return false;
}
}  // namespace kit

#endif
