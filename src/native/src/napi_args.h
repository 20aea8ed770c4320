// Argument unpacking for the N-API functions: typed arrays in, errors thrown as JS exceptions.
// Every buffer's length is checked against the shape it is used with, so a wrong shape from JS
// becomes a RangeError, never a write out of bounds.
#pragma once
#include <node_api.h>

#include <cstddef>
#include <cstdint>

namespace kit {

class Args {
 public:
  Args(napi_env env, napi_callback_info info) : env_(env) {
    argc_ = kMax;
    napi_get_cb_info(env, info, &argc_, argv_, nullptr, nullptr);
  }

  bool ok() const { return ok_; }
  napi_env env() const { return env_; }

  // A Float32Array of exactly `expected` elements; null/undefined gives nullptr when optional.
  float* f32(size_t i, size_t expected, bool optional = false) {
    if (!ok_) return nullptr;
    if (optional && is_nullish(i)) return nullptr;
    void* data = nullptr;
    size_t len = 0;
    if (!typed(i, napi_float32_array, &data, &len)) return nullptr;
    if (len != expected) return fail_range(i, len, expected), nullptr;
    return static_cast<float*>(data);
  }

  // Length of a Float32Array argument (0 when null/undefined), for parameters that broadcast.
  size_t f32_length(size_t i) {
    if (!ok_ || is_nullish(i)) return 0;
    void* data;
    size_t len = 0;
    typed(i, napi_float32_array, &data, &len);
    return len;
  }

  // An Int32Array of at least `min_len` integers (shapes and attributes).
  const int32_t* i32(size_t i, size_t min_len) {
    if (!ok_) return nullptr;
    void* data = nullptr;
    size_t len = 0;
    if (!typed(i, napi_int32_array, &data, &len)) return nullptr;
    if (len < min_len) return fail_range(i, len, min_len), nullptr;
    return static_cast<const int32_t*>(data);
  }

  // An Int16Array of at least `min_len` elements (the integer convolution's values and weights).
  int16_t* i16(size_t i, size_t min_len) {
    if (!ok_) return nullptr;
    void* data = nullptr;
    size_t len = 0;
    if (!typed(i, napi_int16_array, &data, &len)) return nullptr;
    if (len < min_len) return fail_range(i, len, min_len), nullptr;
    return static_cast<int16_t*>(data);
  }

  // Length of an Int16Array argument.
  size_t i16_length(size_t i) {
    if (!ok_) return 0;
    void* data;
    size_t len = 0;
    return typed(i, napi_int16_array, &data, &len) ? len : 0;
  }

  // A writable Int32Array of at least `min_len` integers.
  int32_t* i32_out(size_t i, size_t min_len) { return const_cast<int32_t*>(i32(i, min_len)); }

  double num(size_t i) {
    double v = 0;
    if (ok_ && (i >= argc_ || napi_get_value_double(env_, argv_[i], &v) != napi_ok)) fail("expected a number");
    return v;
  }

  void fail(const char* msg) {
    if (ok_) napi_throw_type_error(env_, nullptr, msg);
    ok_ = false;
  }

 private:
  static constexpr size_t kMax = 12;
  napi_env env_;
  size_t argc_;
  napi_value argv_[kMax];
  bool ok_ = true;

  bool is_nullish(size_t i) {
    if (i >= argc_) return true;
    napi_valuetype t;
    napi_typeof(env_, argv_[i], &t);
    return t == napi_null || t == napi_undefined;
  }

  bool typed(size_t i, napi_typedarray_type want, void** data, size_t* len) {
    bool is_typed = false;
    if (i < argc_) napi_is_typedarray(env_, argv_[i], &is_typed);
    napi_typedarray_type type;
    if (!is_typed ||
        napi_get_typedarray_info(env_, argv_[i], &type, len, data, nullptr, nullptr) != napi_ok || type != want) {
      fail(want == napi_float32_array ? "expected a Float32Array"
           : want == napi_int16_array ? "expected an Int16Array"
                                      : "expected an Int32Array");
      return false;
    }
    return true;
  }

  void fail_range(size_t, size_t, size_t) {
    if (ok_) napi_throw_range_error(env_, nullptr, "typed array length does not match the shape");
    ok_ = false;
  }
};

}  // namespace kit
