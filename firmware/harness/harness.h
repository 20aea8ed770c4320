/* The harness loop as a function, for boards whose SDK owns main(): ESP-IDF starts the app in its
 * own main task and calls app_main, so the ESP32 port builds main.c with KIT_HARNESS_NO_MAIN and
 * calls kit_harness_run from app_main. Bare-metal and host boards keep main.c's main(). */
#ifndef KIT_HARNESS_H
#define KIT_HARNESS_H

/* HELLO, then one reply per request, forever: never returns. */
void kit_harness_run(void);

#endif
