#include "dnnl_util.h"

#ifdef KIT_HAVE_DNNL

#include <omp.h>

#include <algorithm>
#include <cstdlib>

namespace kit {
namespace dnnl_util {

dnnl::engine& cpu() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

bool descs_of(const ConvShape& s, Descs& d) {
  // oneDNN's right/bottom padding: what makes its output size formula give ours. Trailing input
  // rows that no window reaches (stride > 1, 'valid') need none, so it is at least 0.
  const int ekh = (s.kh - 1) * s.dh + 1, ekw = (s.kw - 1) * s.dw + 1;
  const int pb = std::max(0, (s.oh - 1) * s.sh + ekh - s.h - s.pt);
  const int pr = std::max(0, (s.ow - 1) * s.sw + ekw - s.w - s.pl);
  if ((s.h - ekh + s.pt + pb) / s.sh + 1 != s.oh || (s.w - ekw + s.pl + pr) / s.sw + 1 != s.ow) return false;
  d.src = dnnl::memory::desc(dims{s.n, s.ci, s.h, s.w}, dt::f32, tag::nhwc);
  d.dst = dnnl::memory::desc(dims{s.n, s.co, s.oh, s.ow}, dt::f32, tag::nhwc);
  d.bias = dnnl::memory::desc(dims{s.co}, dt::f32, tag::x);
  d.user_w = dnnl::memory::desc(dims{s.co, s.ci, s.kh, s.kw}, dt::f32, tag::hwio);
  d.any_w = dnnl::memory::desc(dims{s.co, s.ci, s.kh, s.kw}, dt::f32, tag::any);
  d.strides = {s.sh, s.sw};
  d.dil = {s.dh - 1, s.dw - 1};
  d.pad_l = {s.pt, s.pl};
  d.pad_r = {pb, pr};
  return true;
}

Chunks chunks_of(int n) {
  const int count = std::min(n, 8);
  const int size = (n + count - 1) / count;
  const int tasks = (n + size - 1) / size;
  return Chunks{size, tasks, n - (tasks - 1) * size};
}

void* thread_scratch(int slot, size_t bytes) {
  struct Free {
    void operator()(void* p) const { std::free(p); }
  };
  thread_local std::unique_ptr<void, Free> bufs[3];
  thread_local size_t sizes[3] = {0, 0, 0};
  if (bytes > sizes[slot]) {
    sizes[slot] = (bytes + 63) / 64 * 64;
    bufs[slot].reset(std::aligned_alloc(64, sizes[slot]));
  }
  return bufs[slot].get();
}

void Filter::init(const dnnl::memory::desc& user_desc, const dnnl::memory::desc& primitive_desc) {
  user = user_desc;
  w = dnnl::memory(primitive_desc, cpu());
  if (primitive_desc != user_desc) {
    dnnl::memory u(user_desc, cpu(), nullptr);
    reorder = std::make_unique<dnnl::reorder>(u, w);
  }
}

void Filter::load(const float* hwio) {
  if (!reorder) {
    w.set_data_handle(const_cast<float*>(hwio));
    return;
  }
  single_thread();
  dnnl::stream st(cpu());
  dnnl::memory u(user, cpu(), const_cast<float*>(hwio));
  reorder->execute(st, u, w);
  st.wait();
}

void single_thread() { omp_set_num_threads(1); }

Key key_of(const ConvShape& s, int a, int b, int c) {
  return Key{s.n, s.h, s.w, s.ci, s.oh, s.ow, s.co, s.kh, s.kw, s.sh, s.sw, s.pt, s.pl, s.dh, s.dw, a, b, c};
}

}  // namespace dnnl_util
}  // namespace kit

#endif
