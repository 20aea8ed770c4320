#include "conv_dnnl.h"

#ifdef KIT_HAVE_DNNL

#include <algorithm>
#include <memory>
#include <unordered_map>
#include <vector>

#include "dnnl_util.h"
#include "threads.h"

namespace kit {
namespace {

using namespace dnnl_util;

// oneDNN's backward primitives take the forward one they belong to as a hint.
dnnl::convolution_forward::primitive_desc forward_hint(const Descs& d) {
  dnnl::convolution_forward::desc f(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, d.src, d.any_w,
                                    d.dst, d.strides, d.dil, d.pad_l, d.pad_r);
  return dnnl::convolution_forward::primitive_desc(f, cpu());
}

// Each task brings its own scratch memory, so tasks can run a primitive side by side.
dnnl::primitive_attr user_scratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

// The input gradient of one chunk of images, and the filter in the layout it reads.
struct DataPlan {
  dnnl::convolution_backward_data conv;
  dnnl::memory::desc diff_src, diff_dst, scratch;
  Filter filter;
};

std::unique_ptr<DataPlan> make_data_plan(const ConvShape& s) {
  Descs d;
  if (!descs_of(s, d)) return nullptr;
  auto p = std::make_unique<DataPlan>();
  p->diff_src = d.src;
  p->diff_dst = d.dst;
  dnnl::convolution_backward_data::desc desc(dnnl::algorithm::convolution_direct, d.src, d.any_w, d.dst, d.strides, d.dil,
                                             d.pad_l, d.pad_r);
  dnnl::convolution_backward_data::primitive_desc pd(desc, user_scratchpad(), cpu(), forward_hint(d));
  p->conv = dnnl::convolution_backward_data(pd);
  p->scratch = pd.scratchpad_desc();
  p->filter.init(d.user_w, pd.weights_desc());
  return p;
}

// The filter gradient of one chunk of images, and the reorder of its result into HWIO when the
// primitive writes another layout.
struct WeightsPlan {
  dnnl::convolution_backward_weights conv;
  dnnl::memory::desc src, diff_dst, diff_w, user_w, scratch;
  std::unique_ptr<dnnl::reorder> to_hwio;  // null: the primitive writes HWIO itself
};

std::unique_ptr<WeightsPlan> make_weights_plan(const ConvShape& s) {
  Descs d;
  if (!descs_of(s, d)) return nullptr;
  auto p = std::make_unique<WeightsPlan>();
  p->src = d.src;
  p->diff_dst = d.dst;
  p->user_w = d.user_w;
  dnnl::convolution_backward_weights::desc desc(dnnl::algorithm::convolution_direct, d.src, d.any_w, d.dst, d.strides,
                                                d.dil, d.pad_l, d.pad_r);
  dnnl::convolution_backward_weights::primitive_desc pd(desc, user_scratchpad(), cpu(), forward_hint(d));
  p->conv = dnnl::convolution_backward_weights(pd);
  p->scratch = pd.scratchpad_desc();
  p->diff_w = pd.diff_weights_desc();
  if (p->diff_w != p->user_w) {
    dnnl::memory from(p->diff_w, cpu(), nullptr), to(p->user_w, cpu(), nullptr);
    p->to_hwio = std::make_unique<dnnl::reorder>(from, to);
  }
  return p;
}

PlanCache<DataPlan> g_data_plans;
PlanCache<WeightsPlan> g_weights_plans;

// The plans for a full chunk and for the last one (the same plan when they are equal).
template <class Plan, class Make>
bool chunk_plans(PlanCache<Plan>& cache, const ConvShape& s, const Chunks& c, int kind, Make make, Plan*& full, Plan*& tail) {
  ConvShape cs = s;
  cs.n = c.size;
  full = cache.get(key_of(cs, kind, 0, 0), [&] { return make(cs); });
  cs.n = c.last;
  tail = c.last == c.size ? full : cache.get(key_of(cs, kind, 0, 0), [&] { return make(cs); });
  return full && tail;
}

}  // namespace

bool conv2d_backprop_input_dnnl(const ConvShape& s, const float* dy, const float* w, float* dx) {
  if (!dnnl_enabled() || s.dh != 1 || s.dw != 1) return false;
  const Chunks c = chunks_of(s.n);
  DataPlan *full, *tail;
  if (!chunk_plans(g_data_plans, s, c, 1, make_data_plan, full, tail)) return false;
  full->filter.load(w);
  if (tail != full) tail->filter.load(w);
  auto& e = cpu();
  const size_t in_image = (size_t)s.h * s.w * s.ci, out_image = (size_t)s.oh * s.ow * s.co;
  parallel_for(c.count, [&](int t) {
    DataPlan* p = t == c.count - 1 ? tail : full;
    single_thread();
    dnnl::stream ts(e);
    dnnl::memory diff_dst(p->diff_dst, e, const_cast<float*>(dy + (size_t)t * c.size * out_image));
    dnnl::memory diff_src(p->diff_src, e, dx + (size_t)t * c.size * in_image);
    std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_WEIGHTS, p->filter.w}, {DNNL_ARG_DIFF_SRC, diff_src}};
    if (size_t bytes = p->scratch.get_size()) args.emplace(DNNL_ARG_SCRATCHPAD, dnnl::memory(p->scratch, e, thread_scratch(0, bytes)));
    p->conv.execute(ts, args);
    ts.wait();
  });
  return true;
}

bool conv2d_backprop_filter_dnnl(const ConvShape& s, const float* x, const float* dy, float* dw) {
  if (!dnnl_enabled() || s.dh != 1 || s.dw != 1) return false;
  const Chunks c = chunks_of(s.n);
  WeightsPlan *full, *tail;
  if (!chunk_plans(g_weights_plans, s, c, 2, make_weights_plan, full, tail)) return false;
  auto& e = cpu();
  const size_t wsize = (size_t)s.k() * s.co;
  const size_t in_image = (size_t)s.h * s.w * s.ci, out_image = (size_t)s.oh * s.ow * s.co;
  // Each chunk's gradient goes to its own partial (the first straight into dw); the partials are
  // then added in chunk order: the same bits for any thread count.
  std::vector<float> partials((size_t)(c.count - 1) * wsize);
  parallel_for(c.count, [&](int t) {
    WeightsPlan* p = t == c.count - 1 ? tail : full;
    float* out = t == 0 ? dw : partials.data() + (size_t)(t - 1) * wsize;
    single_thread();
    dnnl::stream ts(e);
    dnnl::memory src(p->src, e, const_cast<float*>(x + (size_t)t * c.size * in_image));
    dnnl::memory diff_dst(p->diff_dst, e, const_cast<float*>(dy + (size_t)t * c.size * out_image));
    dnnl::memory hwio(p->user_w, e, out);
    dnnl::memory diff_w = p->to_hwio ? dnnl::memory(p->diff_w, e, thread_scratch(1, p->diff_w.get_size())) : hwio;
    std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_DIFF_WEIGHTS, diff_w}};
    if (size_t bytes = p->scratch.get_size()) args.emplace(DNNL_ARG_SCRATCHPAD, dnnl::memory(p->scratch, e, thread_scratch(0, bytes)));
    p->conv.execute(ts, args);
    if (p->to_hwio) p->to_hwio->execute(ts, diff_w, hwio);
    ts.wait();
  });
  if (c.count == 1) return true;
  const size_t chunk = 16384;
  parallel_for((int)((wsize + chunk - 1) / chunk), [&](int t) {
    const size_t i0 = t * chunk, i1 = std::min(wsize, i0 + chunk);
    for (int p = 0; p < c.count - 1; p++) {
      const float* src = partials.data() + p * wsize;
      for (size_t i = i0; i < i1; i++) dw[i] += src[i];
    }
  });
  return true;
}

}  // namespace kit

#else

namespace kit {
bool conv2d_backprop_input_dnnl(const ConvShape&, const float*, const float*, float*) { return false; }
bool conv2d_backprop_filter_dnnl(const ConvShape&, const float*, const float*, float*) { return false; }
}  // namespace kit

#endif
