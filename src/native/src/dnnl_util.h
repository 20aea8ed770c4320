// Pieces shared by the oneDNN convolutions (conv_dnnl.cc: forward; conv_dnnl_grad.cc: the input
// and filter gradients): the engine, a ConvShape's descriptors, the batch chunks, per-thread
// scratch memory, the filter reorder and the cache of compiled primitives.
//
// Every call cuts the batch into at most 8 chunks of images, by the shape alone, and runs each
// chunk as one single-threaded oneDNN call on kit's pool: oneDNN's own OpenMP threads are never
// used, so results do not depend on the thread count or on thread timing, and on a shared
// machine a descheduled thread delays one chunk rather than a whole OpenMP team.
#pragma once

#ifdef KIT_HAVE_DNNL

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>

#include "conv.h"

namespace kit {
namespace dnnl_util {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;
using dims = dnnl::memory::dims;

dnnl::engine& cpu();

// A ConvShape (batch = one chunk) in oneDNN's terms: NHWC activations, the user's HWIO filter,
// and a filter of any layout for the primitive to choose.
struct Descs {
  dnnl::memory::desc src, dst, bias, user_w, any_w;
  dims strides, dil, pad_l, pad_r;
};
// False when oneDNN's padding cannot express the shape's output size.
bool descs_of(const ConvShape& s, Descs& d);

// The batch of n images as `count` chunks of `size` images, the last one of `last`.
struct Chunks {
  int size, count, last;
  int images(int t) const { return t == count - 1 ? last : size; }
};
Chunks chunks_of(int n);

// Per-thread memory, 64-byte aligned, reused across calls; `slot` separates buffers one task
// needs at the same time.
void* thread_scratch(int slot, size_t bytes);

// The filter in a primitive's layout: `w` (memory the primitive reads) filled from the user's
// HWIO array, by a reorder when the layouts differ.
struct Filter {
  dnnl::memory::desc user;
  dnnl::memory w;
  std::unique_ptr<dnnl::reorder> reorder;  // null when HWIO is the primitive's layout
  void init(const dnnl::memory::desc& user_desc, const dnnl::memory::desc& primitive_desc);
  void load(const float* hwio);  // on the calling thread, single-threaded
};

// Makes the calling thread's oneDNN calls single-threaded (OpenMP).
void single_thread();

// One compiled plan per (shape, flags), built on first use; null (remembered) when oneDNN has no
// kernel for it or the shape cannot be expressed.
using Key = std::array<int, 18>;
Key key_of(const ConvShape& s, int a, int b, int c);

template <class Plan>
class PlanCache {
 public:
  template <class Make>
  Plan* get(const Key& key, Make make) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = plans_.find(key);
    if (it == plans_.end()) {
      std::unique_ptr<Plan> plan;
      // oneDNN sizes a primitive's work split by the OpenMP thread count when it is created and
      // runs that many threads when it executes: created with the default count, a primitive
      // would start an OpenMP team inside each of kit's tasks.
      single_thread();
      try {
        plan = make();
      } catch (const dnnl::error&) {
        plan = nullptr;
      }
      it = plans_.emplace(key, std::move(plan)).first;
    }
    return it->second.get();
  }

 private:
  std::mutex mutex_;
  std::map<Key, std::unique_ptr<Plan>> plans_;
};

}  // namespace dnnl_util
}  // namespace kit

#endif
