// Per-thread scratch buffers, reused across calls: im2col blocks are allocated once per thread
// instead of once per task.
#pragma once
#include <cstddef>
#include <vector>

namespace kit {

// slot separates buffers that one task needs at the same time.
inline float* scratch(int slot, size_t n) {
  thread_local std::vector<float> bufs[2];
  std::vector<float>& b = bufs[slot];
  if (b.size() < n) b.resize(n);
  return b.data();
}

}  // namespace kit
