/*
 * What the harness needs from a model. The model's own generated model.h provides it:
 *
 *   #define KIT_MODEL_INPUT_BYTES   input size in bytes (raw uint8 pixels, HWC)
 *   #define KIT_MODEL_OUTPUT_BYTES  logits, one byte each
 *   #define KIT_MODEL_ARENA_BYTES   scratch memory the model uses (reported in HELLO)
 *   #define KIT_MODEL_OUTPUT_SIGNED 1 when the logits are int8, 0 when uint8 (argmax depends on it)
 *   extern const char kit_model_hash[];
 *   void kit_model_invoke(const uint8_t *pixels, uint8_t *logits);
 *
 * `pixels` points to the harness's image buffer and has no particular alignment.
 */
#ifndef KIT_MODEL_API_H
#define KIT_MODEL_API_H

#include <stdint.h>

#include "model.h"

#ifndef KIT_MODEL_INPUT_BYTES
#error "model.h must define KIT_MODEL_INPUT_BYTES"
#endif
#ifndef KIT_MODEL_OUTPUT_BYTES
#error "model.h must define KIT_MODEL_OUTPUT_BYTES"
#endif
#ifndef KIT_MODEL_ARENA_BYTES
#error "model.h must define KIT_MODEL_ARENA_BYTES"
#endif
#ifndef KIT_MODEL_OUTPUT_SIGNED
#error "model.h must define KIT_MODEL_OUTPUT_SIGNED (1: int8 logits, 0: uint8)"
#endif

#endif
