/* The per-layer hook of a profiling build (profile.h). Kept small: what it costs lands in the
 * layer after each mark, and the host states that cost from a run of the normal firmware. */
#include "cold.h" /* compiled for size: runs per frame or per boot */
#include "profile.h"

#include "timer.h"

#ifdef KIT_PROFILE
uint64_t kit_profile_marks[KIT_MODEL_LAYERS + 1u];

/* `mark` comes from the generated model.c, always in 0..KIT_MODEL_LAYERS: no check. */
void kit_profile_mark(uint16_t mark) { kit_profile_marks[mark] = kit_timer_elapsed(); }
#else
/* ISO C wants a declaration in every translation unit. */
typedef int kit_profile_unused;
#endif
