// The N-API surface: each function unpacks typed arrays and shape integers, checks lengths, and
// calls one kernel. Outputs are allocated by the caller (JS), so tensors stay ordinary
// Float32Arrays owned by tfjs-backend-cpu's storage and freed by V8's GC.
#include <node_api.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "adam.h"
#include "batchnorm.h"
#include "conv.h"
#include "conv_dnnl.h"
#include "elementwise.h"
#include "gemm.h"
#include "infer_addon.h"
#include "int_conv.h"
#include "matmul.h"
#include "napi_args.h"
#include "pool2d.h"
#include "reduce.h"
#include "threads.h"
#include "tile.h"

namespace kit {
namespace {

napi_value undefined(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

const char* g_blas = "";

napi_value Info(napi_env env, napi_callback_info) {
  napi_value obj, blas, threads, dnnl;
  napi_create_object(env, &obj);
  napi_create_string_utf8(env, g_blas, NAPI_AUTO_LENGTH, &blas);
  napi_create_string_utf8(env, dnnl_enabled() ? dnnl_description() : "", NAPI_AUTO_LENGTH, &dnnl);
  napi_set_named_property(env, obj, "dnnl", dnnl);
  napi_create_int32(env, num_threads(), &threads);
  napi_set_named_property(env, obj, "blas", blas);
  napi_set_named_property(env, obj, "threads", threads);
  return obj;
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  Args a(env, info);
  int n = (int)a.num(0);
  if (a.ok()) set_num_threads(n);
  return undefined(env);
}

// setDnnl(on): convolutions on oneDNN (when built in) or on kit's own kernels only.
napi_value SetDnnl(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  bool on = false;
  napi_get_cb_info(env, info, &argc, &arg, nullptr, nullptr);
  if (argc < 1 || napi_get_value_bool(env, arg, &on) != napi_ok) {
    napi_throw_type_error(env, nullptr, "expected a boolean");
    return nullptr;
  }
  set_dnnl_enabled(on);
  return undefined(env);
}

ConvShape conv_shape(const int32_t* p) {
  return ConvShape{p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14]};
}
size_t in_size(const ConvShape& s) { return (size_t)s.n * s.h * s.w * s.ci; }
size_t out_size(const ConvShape& s) { return (size_t)s.m() * s.co; }
size_t filter_size(const ConvShape& s) { return (size_t)s.k() * s.co; }

// conv2d(x, w, bias | null, y, [n,h,w,ci, oh,ow,co, kh,kw, sh,sw, pt,pl, dh,dw, relu])
napi_value Conv2D(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int32_t* p = a.i32(4, 16);
  if (!a.ok()) return nullptr;
  ConvShape s = conv_shape(p);
  const float* x = a.f32(0, in_size(s));
  const float* w = a.f32(1, filter_size(s));
  const float* bias = a.f32(2, s.co, true);
  float* y = a.f32(3, out_size(s));
  if (a.ok()) conv2d_forward(s, x, w, bias, p[15] != 0, y);
  return undefined(env);
}

// conv2dBackpropInput(dy, w, dx, shape[15])
napi_value Conv2DBackpropInput(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int32_t* p = a.i32(3, 15);
  if (!a.ok()) return nullptr;
  ConvShape s = conv_shape(p);
  const float* dy = a.f32(0, out_size(s));
  const float* w = a.f32(1, filter_size(s));
  float* dx = a.f32(2, in_size(s));
  if (a.ok()) conv2d_backprop_input(s, dy, w, dx);
  return undefined(env);
}

// conv2dBackpropFilter(x, dy, dw, shape[15])
napi_value Conv2DBackpropFilter(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int32_t* p = a.i32(3, 15);
  if (!a.ok()) return nullptr;
  ConvShape s = conv_shape(p);
  const float* x = a.f32(0, in_size(s));
  const float* dy = a.f32(1, out_size(s));
  float* dw = a.f32(2, filter_size(s));
  if (a.ok()) conv2d_backprop_filter(s, x, dy, dw);
  return undefined(env);
}

// matmul(a, b, bias | null, out, [batch, batchA, batchB, m, n, k, transA, transB, relu])
napi_value MatMul(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int32_t* p = a.i32(4, 9);
  if (!a.ok()) return nullptr;
  MatMulShape s{p[0], p[1], p[2], p[3], p[4], p[5], p[6] != 0, p[7] != 0};
  if (s.batch_a != 1 && s.batch_a != s.batch) a.fail("batchA must be 1 or batch");
  if (s.batch_b != 1 && s.batch_b != s.batch) a.fail("batchB must be 1 or batch");
  const float* ma = a.f32(0, (size_t)s.batch_a * s.m * s.k);
  const float* mb = a.f32(1, (size_t)s.batch_b * s.k * s.n);
  const float* bias = a.f32(2, s.n, true);
  float* out = a.f32(3, (size_t)s.batch * s.m * s.n);
  if (a.ok()) matmul(s, ma, mb, bias, p[8] != 0, out);
  return undefined(env);
}

// binary(op, a, b, out, [rank, dims..., aStrides..., bStrides...])
napi_value Binary(napi_env env, napi_callback_info info) {
  Args a(env, info);
  int op = (int)a.num(0);
  const int32_t* p = a.i32(4, 1);
  if (!a.ok()) return nullptr;
  int rank = p[0];
  if (rank < 1 || rank > kMaxRank || op < 0 || op >= kBinaryOps) {
    a.fail("bad rank or op");
    return nullptr;
  }
  p = a.i32(4, 1 + 3 * rank);
  if (!a.ok()) return nullptr;
  long dims[kMaxRank], sa[kMaxRank], sb[kMaxRank];
  size_t size = 1, a_end = 1, b_end = 1;
  for (int d = 0; d < rank; d++) {
    dims[d] = p[1 + d];
    sa[d] = p[1 + rank + d];
    sb[d] = p[1 + 2 * rank + d];
    size *= dims[d];
    a_end += (dims[d] - 1) * sa[d];
    b_end += (dims[d] - 1) * sb[d];
  }
  const float* x = a.f32(1, a_end);
  const float* y = a.f32(2, b_end);
  float* out = a.f32(3, size);
  if (a.ok() && size > 0) binary((BinaryOp)op, rank, dims, sa, sb, x, y, out);
  return undefined(env);
}

// unary(op, alpha, x, out)
napi_value Unary(napi_env env, napi_callback_info info) {
  Args a(env, info);
  int op = (int)a.num(0);
  float alpha = (float)a.num(1);
  size_t n = a.f32_length(2);
  const float* x = a.f32(2, n);
  float* out = a.f32(3, n);
  if (op < 0 || op >= kUnaryOps) a.fail("bad op");
  if (a.ok()) unary((UnaryOp)op, alpha, (long)n, x, out);
  return undefined(env);
}

// reduceSum(x, out, outer, reduce, inner, scale)
napi_value ReduceSum(napi_env env, napi_callback_info info) {
  Args a(env, info);
  long outer = (long)a.num(2), reduce = (long)a.num(3), inner = (long)a.num(4);
  double scale = a.num(5);
  const float* x = a.f32(0, (size_t)outer * reduce * inner);
  float* out = a.f32(1, (size_t)outer * inner);
  if (a.ok()) reduce_sum(outer, reduce, inner, scale, x, out);
  return undefined(env);
}

// tile(x, out, [rank, dims..., reps...])
napi_value Tile(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int32_t* p = a.i32(2, 1);
  if (!a.ok()) return nullptr;
  int rank = p[0];
  if (rank < 1 || rank > kMaxRank) {
    a.fail("bad rank");
    return nullptr;
  }
  p = a.i32(2, 1 + 2 * rank);
  if (!a.ok()) return nullptr;
  long dims[kMaxRank], reps[kMaxRank];
  size_t in = 1, out_n = 1;
  for (int d = 0; d < rank; d++) {
    dims[d] = p[1 + d];
    reps[d] = p[1 + rank + d];
    in *= dims[d];
    out_n *= dims[d] * reps[d];
  }
  const float* x = a.f32(0, in);
  float* out = a.f32(1, out_n);
  if (a.ok() && out_n > 0) tile(rank, dims, reps, x, out);
  return undefined(env);
}

PoolShape pool_shape(const int32_t* p) {
  return PoolShape{p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11]};
}

// avgPool(x, y, [n,h,w,c, oh,ow, fh,fw, sh,sw, pt,pl])
napi_value AvgPool(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int32_t* p = a.i32(2, 12);
  if (!a.ok()) return nullptr;
  PoolShape s = pool_shape(p);
  const float* x = a.f32(0, (size_t)s.n * s.h * s.w * s.c);
  float* y = a.f32(1, (size_t)s.n * s.oh * s.ow * s.c);
  if (a.ok()) avg_pool(s, x, y);
  return undefined(env);
}

// avgPoolGrad(dy, dx, [n,h,w,c, oh,ow, fh,fw, sh,sw, pt,pl])
napi_value AvgPoolGrad(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int32_t* p = a.i32(2, 12);
  if (!a.ok()) return nullptr;
  PoolShape s = pool_shape(p);
  const float* dy = a.f32(0, (size_t)s.n * s.oh * s.ow * s.c);
  float* dx = a.f32(1, (size_t)s.n * s.h * s.w * s.c);
  if (a.ok()) avg_pool_grad(s, dy, dx);
  return undefined(env);
}

// batchNorm(x, mean, variance, offset | null, scale | null, y, channels, epsilon)
napi_value BatchNorm(napi_env env, napi_callback_info info) {
  Args a(env, info);
  int channels = (int)a.num(6);
  float eps = (float)a.num(7);
  size_t n = a.f32_length(0);
  auto param_len = [&](size_t i) { size_t len = a.f32_length(i); return len == 1 ? 1 : (size_t)channels; };
  size_t lm = param_len(1), lv = param_len(2), lo = param_len(3), ls = param_len(4);
  const float* x = a.f32(0, n);
  const float* mean = a.f32(1, lm);
  const float* var = a.f32(2, lv);
  const float* off = a.f32(3, lo, true);
  const float* scale = a.f32(4, ls, true);
  float* y = a.f32(5, n);
  if (channels < 1 || n % channels != 0) a.fail("size is not a multiple of channels");
  if (a.ok()) batch_norm((long)n, channels, x, mean, (int)lm, var, (int)lv, off, (int)lo, scale, (int)ls, eps, y);
  return undefined(env);
}

// batchNormGradSums(x, dy, mean, sums[2 * channels], channels)
napi_value BatchNormGradSums(napi_env env, napi_callback_info info) {
  Args a(env, info);
  int channels = (int)a.num(4);
  size_t n = a.f32_length(0);
  if (channels < 1 || n % channels != 0) a.fail("size is not a multiple of channels");
  const float* x = a.f32(0, n);
  const float* dy = a.f32(1, n);
  const float* mean = a.f32(2, channels);
  float* sums = a.f32(3, 2 * (size_t)channels);
  if (a.ok()) batch_norm_grad_sums((long)n, channels, x, dy, mean, sums);
  return undefined(env);
}

// batchNormGradX(dy, invStd, scale | null, dx, channels)
napi_value BatchNormGradX(napi_env env, napi_callback_info info) {
  Args a(env, info);
  int channels = (int)a.num(4);
  size_t n = a.f32_length(0);
  if (channels < 1 || n % channels != 0) a.fail("size is not a multiple of channels");
  const float* dy = a.f32(0, n);
  const float* inv_std = a.f32(1, channels);
  const float* scale = a.f32(2, channels, true);
  float* dx = a.f32(3, n);
  if (a.ok()) batch_norm_grad_x((long)n, channels, dy, inv_std, scale, dx);
  return undefined(env);
}

// moments(x, out[2 * channels], channels)
napi_value Moments(napi_env env, napi_callback_info info) {
  Args a(env, info);
  int channels = (int)a.num(2);
  size_t n = a.f32_length(0);
  if (channels < 1 || n == 0 || n % channels != 0) a.fail("size is not a positive multiple of channels");
  const float* x = a.f32(0, n);
  float* out = a.f32(1, 2 * (size_t)channels);
  if (a.ok()) moments((long)(n / channels), channels, x, out);
  return undefined(env);
}

// momentsGrad(x, stats[2 * channels], d[2 * channels], dx, channels)
napi_value MomentsGrad(napi_env env, napi_callback_info info) {
  Args a(env, info);
  int channels = (int)a.num(4);
  size_t n = a.f32_length(0);
  if (channels < 1 || n == 0 || n % channels != 0) a.fail("size is not a positive multiple of channels");
  const float* x = a.f32(0, n);
  const float* stats = a.f32(1, 2 * (size_t)channels);
  const float* d = a.f32(2, 2 * (size_t)channels);
  float* dx = a.f32(3, n);
  if (a.ok()) moments_grad((long)(n / channels), channels, x, stats, d, dx);
  return undefined(env);
}

// batchNormTrainGrad(x, dy, mean, variance, scale, dx, dscale, doffset, channels, epsilon)
napi_value BatchNormTrainGrad(napi_env env, napi_callback_info info) {
  Args a(env, info);
  int channels = (int)a.num(8);
  float eps = (float)a.num(9);
  size_t n = a.f32_length(0);
  if (channels < 1 || n == 0 || n % channels != 0) a.fail("size is not a positive multiple of channels");
  const float* x = a.f32(0, n);
  const float* dy = a.f32(1, n);
  const float* mean = a.f32(2, channels);
  const float* var = a.f32(3, channels);
  const float* scale = a.f32(4, channels);
  float* dx = a.f32(5, n);
  float* dscale = a.f32(6, channels);
  float* doffset = a.f32(7, channels);
  if (a.ok()) batch_norm_train_grad((long)(n / channels), channels, x, dy, mean, var, scale, eps, dx, dscale, doffset);
  return undefined(env);
}

// adamStep(w, m, v, g, [beta1, 1-beta1, beta2, 1-beta2, 1-beta1^t, 1-beta2^t, epsilon, -lr])
napi_value AdamStep(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t n = a.f32_length(0);
  float* w = a.f32(0, n);
  float* m = a.f32(1, n);
  float* v = a.f32(2, n);
  const float* g = a.f32(3, n);
  const float* k = a.f32(4, 8);
  if (a.ok() && n > 0) adam_step((long)n, w, m, v, g, AdamConsts{k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7]});
  return undefined(env);
}

IntConvShape int_conv_shape(Args& a, size_t i) {
  const int32_t* p = a.i32(i, 5);
  IntConvShape s{0, 0, 0, 0, 0};
  if (!a.ok()) return s;
  s = IntConvShape{p[0], p[1], p[2], p[3], p[4]};
  if (s.pixels < 0 || s.channels < 1 || s.kh < 1 || s.run < 1 || s.row_stride < s.run) a.fail("bad integer conv shape");
  return s;
}

// intConvPack(w, packed, [pixels, channels, kh, run, rowStride])
napi_value IntConvPack(napi_env env, napi_callback_info info) {
  Args a(env, info);
  IntConvShape s = int_conv_shape(a, 2);
  const int16_t* w = a.i16(0, (size_t)s.channels * s.kh * s.run);
  int16_t* packed = a.i16(1, (size_t)int_conv_packed_size(s));
  if (a.ok()) int_conv_pack(s, w, packed);
  return undefined(env);
}

// intConvSums(x, origins, packed, sums, [pixels, channels, kh, run, rowStride]). Runs on the calling
// thread, not the pool: evaluation calls it from several worker threads at once.
napi_value IntConvSums(napi_env env, napi_callback_info info) {
  Args a(env, info);
  IntConvShape s = int_conv_shape(a, 4);
  const int32_t* origins = a.i32(1, (size_t)s.pixels);
  const int16_t* packed = a.i16(2, (size_t)int_conv_packed_size(s));
  int32_t* sums = a.i32_out(3, (size_t)s.pixels * s.channels);
  const size_t x_len = a.i16_length(0);
  int16_t* x = a.i16(0, 1);
  if (a.ok()) {
    // Every field (kh runs from its origin, each read in pairs) must lie inside x.
    const long reach = (long)(s.kh - 1) * s.row_stride + (s.run + 1) / 2 * 2;
    for (int p = 0; p < s.pixels && a.ok(); p++)
      if (origins[p] < 0 || origins[p] + reach > (long)x_len) a.fail("a receptive field lies outside the input");
  }
  if (a.ok()) int_conv_sums(s, x, origins, packed, sums);
  return undefined(env);
}

// Every tfjs tensor is a fresh calloc'd buffer. glibc serves large ones with mmap and unmaps them
// when freed, so each new activation costs a page fault per 4 KB (measured: half of a Relu's
// time on a shared VM). Keeping freed memory in the heap for reuse trades a higher resident size
// for that. Only allocation policy changes, never a value.
void keep_freed_memory() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's maximum: buffers up to 32 MB come from the heap
  mallopt(M_TRIM_THRESHOLD, 1 << 30);   // and the heap is not trimmed below 1 GB of free space
#endif
}

napi_value Init(napi_env env, napi_value exports) {
  g_blas = blas_init();
  keep_freed_memory();
  const napi_property_descriptor fns[] = {
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setDnnl", nullptr, SetDnnl, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2d", nullptr, Conv2D, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackpropInput", nullptr, Conv2DBackpropInput, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackpropFilter", nullptr, Conv2DBackpropFilter, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"matmul", nullptr, MatMul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unary", nullptr, Unary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reduceSum", nullptr, ReduceSum, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"tile", nullptr, Tile, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"avgPool", nullptr, AvgPool, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"avgPoolGrad", nullptr, AvgPoolGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNorm", nullptr, BatchNorm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormGradSums", nullptr, BatchNormGradSums, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormGradX", nullptr, BatchNormGradX, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"moments", nullptr, Moments, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"momentsGrad", nullptr, MomentsGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormTrainGrad", nullptr, BatchNormTrainGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adamStep", nullptr, AdamStep, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"intConvPack", nullptr, IntConvPack, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"intConvSums", nullptr, IntConvSums, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(fns) / sizeof(fns[0]), fns);
  register_infer_plan(env, exports);
  return exports;
}

}  // namespace
}  // namespace kit

NAPI_MODULE(NODE_GYP_MODULE_NAME, kit::Init)
