/*
 * Per-layer profile, in a firmware built with -DKIT_PROFILE (kit verify --profile): the generated
 * model.c calls kit_profile_mark(0) before its first layer and kit_profile_mark(i + 1) after layer i,
 * and each call stores the board's counter (timer/timer.h, the one an inference is timed with).
 * RESULT carries the marks; the host subtracts. Without KIT_PROFILE model.c has no calls, and
 * RESULT says 0 marks: the normal firmware and its counts are unchanged.
 */
#ifndef KIT_PROFILE_H
#define KIT_PROFILE_H

#include <stdint.h>

#include "model_api.h"

#ifdef KIT_PROFILE
#ifndef KIT_MODEL_LAYERS
#error "a profiling build needs KIT_MODEL_LAYERS in model.h (re-run kit codegen)"
#endif
#define KIT_PROFILE_MARKS ((uint16_t)(KIT_MODEL_LAYERS + 1u))
/* Counter readings since kit_timer_start, in mark order; valid after an inference until the next. */
extern uint64_t kit_profile_marks[KIT_MODEL_LAYERS + 1u];
void kit_profile_mark(uint16_t mark);
#else
#define KIT_PROFILE_MARKS ((uint16_t)0u)
#endif

#endif
