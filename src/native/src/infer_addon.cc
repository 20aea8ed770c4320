// The N-API surface of the inference plans (infer_plan.h): a plan is a JS external value that
// frees the plan when collected, or earlier through inferPlanFree.
#include "infer_addon.h"

#include <string>
#include <vector>

#include "infer_plan.h"
#include "napi_args.h"

namespace kit {
namespace {

struct Handle {
  InferPlan* plan = nullptr;
};

void finalize(napi_env, void* data, void*) {
  auto* h = static_cast<Handle*>(data);
  infer_plan_free(h->plan);
  delete h;
}

Handle* handle_of(napi_env env, napi_value v) {
  void* data = nullptr;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external || napi_get_value_external(env, v, &data) != napi_ok) {
    napi_throw_type_error(env, nullptr, "expected an inference plan");
    return nullptr;
  }
  return static_cast<Handle*>(data);
}

// inferPlanCreate(tensors: Int32Array [rows, h, w, c]..., steps: Int32Array (kInferStepInts each),
//   weights: Float32Array[], [input, output, chunk]) -> plan. Throws with the reason when the plan
//   cannot be made; the caller then runs the model another way.
napi_value Create(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Args a(env, info);
  const int32_t* io = a.i32(3, 3);
  const int32_t* t = a.i32(0, 4);
  const int32_t* s = a.i32(1, 0);
  if (!a.ok()) return nullptr;
  // Lengths: read again through the typed array info (Args checks minimums only).
  auto length = [&](napi_value v) {
    napi_typedarray_type type;
    size_t len = 0;
    napi_get_typedarray_info(env, v, &type, &len, nullptr, nullptr, nullptr);
    return len;
  };
  const size_t nt = length(argv[0]), ns = length(argv[1]);
  if (nt % 4 != 0 || ns % kInferStepInts != 0) {
    napi_throw_range_error(env, nullptr, "tensor or step table of a bad length");
    return nullptr;
  }
  std::vector<InferTensor> tensors;
  for (size_t i = 0; i < nt; i += 4) tensors.push_back(InferTensor{t[i] != 0, t[i + 1], t[i + 2], t[i + 3]});
  std::vector<InferStep> steps;
  for (size_t i = 0; i < ns; i += kInferStepInts) {
    const int32_t* r = s + i;
    InferStep st{r[0], r[1], r[2], r[3], r[4] != 0, r[5], r[6], {}};
    for (int k = 0; k < 9; k++) st.p[k] = r[7 + k];
    steps.push_back(st);
  }
  bool is_array = false;
  napi_is_array(env, argv[2], &is_array);
  if (!is_array) {
    napi_throw_type_error(env, nullptr, "expected an array of Float32Arrays");
    return nullptr;
  }
  uint32_t nw = 0;
  napi_get_array_length(env, argv[2], &nw);
  std::vector<std::vector<float>> weights(nw);
  for (uint32_t i = 0; i < nw; i++) {
    napi_value el;
    napi_get_element(env, argv[2], i, &el);
    bool typed = false;
    napi_is_typedarray(env, el, &typed);
    napi_typedarray_type type;
    size_t len = 0;
    void* data = nullptr;
    if (!typed || napi_get_typedarray_info(env, el, &type, &len, &data, nullptr, nullptr) != napi_ok || type != napi_float32_array) {
      napi_throw_type_error(env, nullptr, "expected an array of Float32Arrays");
      return nullptr;
    }
    weights[i].assign(static_cast<float*>(data), static_cast<float*>(data) + len);
  }
  std::string error;
  InferPlan* plan = infer_plan_create(tensors, steps, std::move(weights), io[0], io[1], io[2], &error);
  if (!plan) {
    napi_throw_error(env, nullptr, error.c_str());
    return nullptr;
  }
  auto* h = new Handle{plan};
  napi_value ext;
  napi_create_external(env, h, finalize, nullptr, &ext);
  return ext;
}

// The plan handle passed as the first argument (nullptr, with a JS exception pending, if it is not one).
Handle* plan_argument(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  return argc >= 1 ? handle_of(env, argv[0]) : nullptr;
}

// inferPlanRun(plan, x: Float32Array [n * input size], n, out: Float32Array [n * output size])
napi_value Run(napi_env env, napi_callback_info info) {
  Handle* h = plan_argument(env, info);
  if (!h) return nullptr;
  if (!h->plan) {
    napi_throw_error(env, nullptr, "the inference plan was freed");
    return nullptr;
  }
  Args a(env, info);
  const int n = (int)a.num(2);
  if (a.ok() && n < 0) a.fail("expected a count of images");
  const float* x = a.f32(1, (size_t)n * infer_plan_input_size(*h->plan));
  float* out = a.f32(3, (size_t)n * infer_plan_output_size(*h->plan));
  if (!a.ok()) return nullptr;
  std::string error;
  if (!infer_plan_run(*h->plan, x, n, out, &error)) napi_throw_error(env, nullptr, error.c_str());
  return nullptr;
}

// inferPlanFree(plan): releases the plan's memory now instead of at garbage collection.
napi_value Free(napi_env env, napi_callback_info info) {
  Handle* h = plan_argument(env, info);
  if (!h) return nullptr;
  infer_plan_free(h->plan);
  h->plan = nullptr;
  return nullptr;
}

}  // namespace

void register_infer_plan(napi_env env, napi_value exports) {
  const napi_property_descriptor fns[] = {
      {"inferPlanCreate", nullptr, Create, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"inferPlanRun", nullptr, Run, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"inferPlanFree", nullptr, Free, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(fns) / sizeof(fns[0]), fns);
}

}  // namespace kit
