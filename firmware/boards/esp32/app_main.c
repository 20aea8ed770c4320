/*
 * Entry point for the ESP32 boards. ESP-IDF owns main(): it brings up the clocks, flash cache,
 * heap and FreeRTOS, then calls app_main from its main task (CPU0, stack from
 * CONFIG_ESP_MAIN_TASK_STACK_SIZE, which the generated sdkconfig sizes for the model's kernels).
 * The harness loop never returns, so this task is the device from then on; the task watchdog is
 * set up not to expect the idle task to run while an inference keeps CPU0 busy.
 */
#include "harness.h"

void app_main(void);

void app_main(void) { kit_harness_run(); }
