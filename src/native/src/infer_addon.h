// Registers the inference-plan functions (inferPlanCreate, inferPlanRun, inferPlanFree) on the
// addon's exports; see infer_addon.cc.
#pragma once
#include <node_api.h>

namespace kit {

void register_infer_plan(napi_env env, napi_value exports);

}  // namespace kit
