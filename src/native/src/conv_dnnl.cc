#include "conv_dnnl.h"

#ifdef KIT_HAVE_DNNL

#include <cstdio>
#include <memory>
#include <unordered_map>
#include <oneapi/dnnl/dnnl_version.h>

#include "dnnl_util.h"
#include "threads.h"

namespace kit {
namespace {

using namespace dnnl_util;

// One compiled convolution per shape (batch = one chunk of images) and the filter in the layout
// it chose. The filter changes between calls (training), so it is reordered on every call: a
// small cost next to the convolution.
struct Plan {
  dnnl::convolution_forward conv;
  dnnl::memory::desc src, dst, bias, scratch;
  Filter filter;
};

std::unique_ptr<Plan> make_plan(const ConvShape& s, bool has_bias, bool relu) {
  Descs d;
  if (!descs_of(s, d)) return nullptr;
  auto p = std::make_unique<Plan>();
  p->src = d.src;
  p->dst = d.dst;
  p->bias = d.bias;
  const auto prop = dnnl::prop_kind::forward_inference;
  const auto algo = dnnl::algorithm::convolution_direct;
  auto desc = has_bias ? dnnl::convolution_forward::desc(prop, algo, d.src, d.any_w, d.bias, d.dst, d.strides, d.dil, d.pad_l, d.pad_r)
                       : dnnl::convolution_forward::desc(prop, algo, d.src, d.any_w, d.dst, d.strides, d.dil, d.pad_l, d.pad_r);
  dnnl::primitive_attr attr;
  // Each task brings its own scratch memory, so tasks can run the primitive side by side.
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (relu) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    attr.set_post_ops(ops);
  }
  dnnl::convolution_forward::primitive_desc pd(desc, attr, cpu());
  p->conv = dnnl::convolution_forward(pd);
  p->scratch = pd.scratchpad_desc();
  p->filter.init(d.user_w, pd.weights_desc());
  return p;
}

PlanCache<Plan> g_plans;
bool g_enabled = true;

Plan* plan_for(const ConvShape& s, bool has_bias, bool relu) {
  return g_plans.get(key_of(s, 0, has_bias, relu), [&] { return make_plan(s, has_bias, relu); });
}

}  // namespace

const char* dnnl_description() {
  static char v[32];
  const dnnl_version_t* ver = ::dnnl_version();
  std::snprintf(v, sizeof v, "oneDNN %d.%d.%d", ver->major, ver->minor, ver->patch);
  return v;
}

bool conv2d_forward_dnnl(const ConvShape& s, const float* x, const float* w, const float* bias, bool relu,
                         float* y) {
  if (!g_enabled) return false;
  const Chunks c = chunks_of(s.n);
  ConvShape cs = s;
  cs.n = c.size;
  Plan* full = plan_for(cs, bias != nullptr, relu);
  cs.n = c.last;
  Plan* tail = c.last == c.size ? full : plan_for(cs, bias != nullptr, relu);
  if (!full || !tail) return false;
  full->filter.load(w);
  if (tail != full) tail->filter.load(w);
  auto& e = cpu();
  const size_t in_image = (size_t)s.h * s.w * s.ci, out_image = (size_t)s.oh * s.ow * s.co;
  parallel_for(c.count, [&](int t) {
    Plan* p = t == c.count - 1 ? tail : full;
    single_thread();
    dnnl::stream ts(e);
    dnnl::memory src(p->src, e, const_cast<float*>(x + (size_t)t * c.size * in_image));
    dnnl::memory dst(p->dst, e, y + (size_t)t * c.size * out_image);
    std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, p->filter.w}, {DNNL_ARG_DST, dst}};
    if (bias) args.emplace(DNNL_ARG_BIAS, dnnl::memory(p->bias, e, const_cast<float*>(bias)));
    if (size_t bytes = p->scratch.get_size()) args.emplace(DNNL_ARG_SCRATCHPAD, dnnl::memory(p->scratch, e, thread_scratch(0, bytes)));
    p->conv.execute(ts, args);
    ts.wait();
  });
  return true;
}

void set_dnnl_enabled(bool on) { g_enabled = on; }
bool dnnl_enabled() { return g_enabled; }

}  // namespace kit

#else

namespace kit {
const char* dnnl_description() { return ""; }
void set_dnnl_enabled(bool) {}
bool dnnl_enabled() { return false; }
bool conv2d_forward_dnnl(const ConvShape&, const float*, const float*, const float*, bool, float*) { return false; }
}  // namespace kit

#endif
