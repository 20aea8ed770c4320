#include "pool2d.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "threads.h"

namespace kit {

void avg_pool(const PoolShape& s, const float* x, float* y) {
  parallel_for(s.n, [&](int n) {
    std::vector<double> acc(s.c);
    const float* img = x + (size_t)n * s.h * s.w * s.c;
    float* out = y + (size_t)n * s.oh * s.ow * s.c;
    for (int oy = 0; oy < s.oh; oy++) {
      const int y0 = std::max(0, oy * s.sh - s.pt), y1 = std::min(s.h, oy * s.sh - s.pt + s.fh);
      for (int ox = 0; ox < s.ow; ox++) {
        const int x0 = std::max(0, ox * s.sw - s.pl), x1 = std::min(s.w, ox * s.sw - s.pl + s.fw);
        std::fill(acc.begin(), acc.end(), 0.0);
        for (int iy = y0; iy < y1; iy++)
          for (int ix = x0; ix < x1; ix++) {
            const float* px = img + ((size_t)iy * s.w + ix) * s.c;
            for (int c = 0; c < s.c; c++) acc[c] += px[c];
          }
        // A window wholly in the padding averages nothing: 0 / 0, NaN, as in tfjs.
        const double count = std::max(0, y1 - y0) * std::max(0, x1 - x0);
        float* o = out + ((size_t)oy * s.ow + ox) * s.c;
        for (int c = 0; c < s.c; c++) o[c] = (float)(acc[c] / count);
      }
    }
  });
}

void avg_pool_grad(const PoolShape& s, const float* dy, float* dx) {
  const float mult = 1.f / (s.fh * s.fw);
  // Windows of one image may overlap: a task owns a whole image and adds in a fixed order.
  parallel_for(s.n, [&](int n) {
    float* img = dx + (size_t)n * s.h * s.w * s.c;
    const float* g = dy + (size_t)n * s.oh * s.ow * s.c;
    std::memset(img, 0, (size_t)s.h * s.w * s.c * sizeof(float));
    for (int oy = 0; oy < s.oh; oy++) {
      const int y0 = std::max(0, oy * s.sh - s.pt), y1 = std::min(s.h, oy * s.sh - s.pt + s.fh);
      for (int ox = 0; ox < s.ow; ox++) {
        const int x0 = std::max(0, ox * s.sw - s.pl), x1 = std::min(s.w, ox * s.sw - s.pl + s.fw);
        const float* go = g + ((size_t)oy * s.ow + ox) * s.c;
        for (int iy = y0; iy < y1; iy++)
          for (int ix = x0; ix < x1; ix++) {
            float* px = img + ((size_t)iy * s.w + ix) * s.c;
            for (int c = 0; c < s.c; c++) px[c] += go[c] * mult;
          }
      }
    }
  });
}

}  // namespace kit
