/*
 * Host test driver for a generated model: reads images (KIT_MODEL_INPUT_BYTES each) from stdin until
 * EOF and writes each one's logits (KIT_MODEL_OUTPUT_BYTES) to stdout. Built with tap.h included
 * (-include tap.h -DKIT_DRIVER_TAPS), every layer's output is written before the logits, in layer
 * order. `driver --hash` prints kit_model_hash.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "model.h"

#ifdef KIT_DRIVER_TAPS
void kit_driver_tap(int layer, const void *data, uint32_t bytes) {
    (void)layer;
    fwrite(data, 1, bytes, stdout);
}
#endif

int main(int argc, char **argv) {
    /* One byte in: the harness hands the model an unaligned pointer into its receive buffer. */
    static uint8_t buffer[KIT_MODEL_INPUT_BYTES + 1];
    static uint8_t logits[KIT_MODEL_OUTPUT_BYTES];
    uint8_t *const pixels = buffer + 1;
    if (argc > 1 && strcmp(argv[1], "--hash") == 0) {
        printf("%s\n", kit_model_hash);
        return 0;
    }
    while (fread(pixels, 1, KIT_MODEL_INPUT_BYTES, stdin) == KIT_MODEL_INPUT_BYTES) {
        kit_model_invoke(pixels, logits);
        fwrite(logits, 1, KIT_MODEL_OUTPUT_BYTES, stdout);
    }
    return 0;
}
