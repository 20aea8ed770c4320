#include "conv_dnnl.h"

#ifdef KIT_HAVE_DNNL

#include <omp.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <oneapi/dnnl/dnnl.hpp>
#include <oneapi/dnnl/dnnl_version.h>

#include "threads.h"

namespace kit {
namespace {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

dnnl::engine& cpu() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

// One compiled convolution per shape (batch = one chunk of images): the primitive, its scratch
// size, and the filter reorder from HWIO into the layout the primitive chose. The filter changes
// between calls (training), so it is reordered on every call: a small cost next to the
// convolution.
struct Plan {
  dnnl::convolution_forward conv;
  dnnl::memory::desc src, dst, bias, user_w;
  dnnl::memory::desc scratch;
  dnnl::memory w;                            // filter in the primitive's layout
  std::unique_ptr<dnnl::reorder> w_reorder;  // null when HWIO is that layout
};

using Key = std::array<int, 17>;

std::unique_ptr<Plan> make_plan(const ConvShape& s, bool has_bias, bool relu) {
  using dims = dnnl::memory::dims;
  // oneDNN's right/bottom padding: what makes its output size formula give ours. Trailing input
  // rows that no window reaches (stride > 1, 'valid') need none, so it is at least 0.
  const int ekh = (s.kh - 1) * s.dh + 1, ekw = (s.kw - 1) * s.dw + 1;
  const int pb = std::max(0, (s.oh - 1) * s.sh + ekh - s.h - s.pt);
  const int pr = std::max(0, (s.ow - 1) * s.sw + ekw - s.w - s.pl);
  if ((s.h - ekh + s.pt + pb) / s.sh + 1 != s.oh || (s.w - ekw + s.pl + pr) / s.sw + 1 != s.ow) return nullptr;
  auto p = std::make_unique<Plan>();
  p->src = dnnl::memory::desc(dims{s.n, s.ci, s.h, s.w}, dt::f32, tag::nhwc);
  p->dst = dnnl::memory::desc(dims{s.n, s.co, s.oh, s.ow}, dt::f32, tag::nhwc);
  p->bias = dnnl::memory::desc(dims{s.co}, dt::f32, tag::x);
  p->user_w = dnnl::memory::desc(dims{s.co, s.ci, s.kh, s.kw}, dt::f32, tag::hwio);
  const dnnl::memory::desc any_w(dims{s.co, s.ci, s.kh, s.kw}, dt::f32, tag::any);
  const dims strides{s.sh, s.sw}, dil{s.dh - 1, s.dw - 1}, pad_l{s.pt, s.pl}, pad_r{pb, pr};
  const auto prop = dnnl::prop_kind::forward_inference;
  const auto algo = dnnl::algorithm::convolution_direct;
  auto d = has_bias ? dnnl::convolution_forward::desc(prop, algo, p->src, any_w, p->bias, p->dst, strides, dil, pad_l, pad_r)
                    : dnnl::convolution_forward::desc(prop, algo, p->src, any_w, p->dst, strides, dil, pad_l, pad_r);
  dnnl::primitive_attr attr;
  // Each task brings its own scratch memory, so tasks can run the primitive side by side.
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (relu) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    attr.set_post_ops(ops);
  }
  dnnl::convolution_forward::primitive_desc pd(d, attr, cpu());
  p->conv = dnnl::convolution_forward(pd);
  p->scratch = pd.scratchpad_desc();
  p->w = dnnl::memory(pd.weights_desc(), cpu());
  if (pd.weights_desc() != p->user_w) {
    dnnl::memory user(p->user_w, cpu(), nullptr);
    p->w_reorder = std::make_unique<dnnl::reorder>(user, p->w);
  }
  return p;
}

std::mutex g_mutex;  // guards the plan cache
std::map<Key, std::unique_ptr<Plan>> g_plans;
bool g_enabled = true;

// The plan for shape s (null: oneDNN has no kernel for it, remembered so it is not asked again).
Plan* plan_for(const ConvShape& s, bool has_bias, bool relu) {
  const Key key{s.n, s.h, s.w, s.ci, s.oh, s.ow, s.co, s.kh, s.kw, s.sh, s.sw, s.pt, s.pl, s.dh, s.dw, has_bias, relu};
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = g_plans.find(key);
  if (it == g_plans.end()) {
    std::unique_ptr<Plan> plan;
    try {
      plan = make_plan(s, has_bias, relu);
    } catch (const dnnl::error&) {
      plan = nullptr;
    }
    it = g_plans.emplace(key, std::move(plan)).first;
  }
  return it->second.get();
}

// Per-thread scratch memory for the primitives, 64-byte aligned, reused across calls.
void* dnnl_scratch(size_t bytes) {
  struct Free {
    void operator()(void* p) const { std::free(p); }
  };
  thread_local std::unique_ptr<void, Free> buf;
  thread_local size_t size = 0;
  if (bytes > size) {
    size = (bytes + 63) / 64 * 64;
    buf.reset(std::aligned_alloc(64, size));
  }
  return buf.get();
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
  // The batch is cut into at most 8 chunks of images by the shape alone, and each chunk is one
  // single-threaded oneDNN call on kit's pool: results never depend on the thread count, and a
  // descheduled thread (the machine is often shared) delays one chunk, not a whole OpenMP team.
  const int nchunks = std::min(s.n, 8);
  const int chunk = (s.n + nchunks - 1) / nchunks;
  const int ntasks = (s.n + chunk - 1) / chunk;
  const int last = s.n - (ntasks - 1) * chunk;
  ConvShape cs = s;
  cs.n = chunk;
  Plan* full = plan_for(cs, bias != nullptr, relu);
  cs.n = last;
  Plan* tail = last == chunk ? full : plan_for(cs, bias != nullptr, relu);
  if (!full || !tail) return false;
  omp_set_num_threads(1);
  auto& e = cpu();
  dnnl::stream st(e);
  for (Plan* p : {full, tail}) {
    if (p->w_reorder) {
      dnnl::memory user(p->user_w, e, const_cast<float*>(w));
      p->w_reorder->execute(st, user, p->w);
    } else {
      p->w.set_data_handle(const_cast<float*>(w));
    }
  }
  st.wait();
  const size_t in_image = (size_t)s.h * s.w * s.ci, out_image = (size_t)s.oh * s.ow * s.co;
  parallel_for(ntasks, [&](int t) {
    Plan* p = t == ntasks - 1 ? tail : full;
    omp_set_num_threads(1);
    dnnl::stream ts(e);
    dnnl::memory src(p->src, e, const_cast<float*>(x + t * chunk * in_image));
    dnnl::memory dst(p->dst, e, y + t * chunk * out_image);
    std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, p->w}, {DNNL_ARG_DST, dst}};
    if (bias) args.emplace(DNNL_ARG_BIAS, dnnl::memory(p->bias, e, const_cast<float*>(bias)));
    if (size_t bytes = p->scratch.get_size()) args.emplace(DNNL_ARG_SCRATCHPAD, dnnl::memory(p->scratch, e, dnnl_scratch(bytes)));
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
