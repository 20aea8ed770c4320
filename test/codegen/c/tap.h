/* Force-included into model.c by the tests (-include tap.h): every layer's output goes to the driver. */
#include <stdint.h>
void kit_driver_tap(int layer, const void *data, uint32_t bytes);
#define KIT_TAP(layer, data, bytes) kit_driver_tap((layer), (data), (bytes))
