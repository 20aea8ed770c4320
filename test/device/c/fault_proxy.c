/*
 * A noisy serial line for tests: sits between kit (which opens the pseudo-terminal this program
 * makes, as it would a USB serial port) and a device's serial pty (QEMU's -serial pty, the host
 * harness), and forwards bytes both ways, dropping, flipping (one random bit) and duplicating
 * each byte with the given probabilities, from a seeded generator so a failure can be replayed.
 *
 *   fault_proxy DEVICE_PTY DROP FLIP DUP SEED [both|to-device]
 *
 * `to-device` damages only what goes to the device (default: both ways).
 * Prints "fault-proxy: /dev/pts/N" once the kit side is ready; on SIGTERM prints the byte and
 * fault counts to stderr and exits.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pty.h"

static volatile sig_atomic_t stop;
static uint64_t rng_state;

static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

/* xorshift64*: small, seeded, good enough to decide faults. */
static double uniform(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

static void die(const char *what) {
    fprintf(stderr, "fault-proxy: %s: %s\n", what, strerror(errno));
    exit(1);
}

typedef struct {
    double drop, flip, dup;
    unsigned long bytes, dropped, flipped, duplicated;
} faults_t;

/* Bytes on their way to one side. Neither side is ever blocked on: a device busy writing its
 * replies must not wait for us while we wait for it to read. */
typedef struct {
    uint8_t *b;
    size_t len, cap;
} queue_t;

static void push(queue_t *q, uint8_t v) {
    if (q->len == q->cap) {
        q->cap = q->cap ? 2 * q->cap : 65536;
        q->b = realloc(q->b, q->cap);
        if (q->b == NULL) die("realloc");
    }
    q->b[q->len++] = v;
}

static void drain(int fd, queue_t *q) {
    ssize_t w = write(fd, q->b, q->len);
    if (w < 0) {
        if (errno == EINTR || errno == EAGAIN) return;
        die("write");
    }
    memmove(q->b, q->b + w, q->len - (size_t)w);
    q->len -= (size_t)w;
}

/* Reads what is there on `from` and queues it, damaged. Returns 0 when `from` is gone. */
static int forward(int from, queue_t *to, faults_t *f) {
    uint8_t in[4096];
    ssize_t n = read(from, in, sizeof in);
    if (n < 0) return errno == EINTR || errno == EAGAIN || errno == EIO;
    if (n == 0) return 0;
    for (ssize_t i = 0; i < n; i++) {
        uint8_t b = in[i];
        f->bytes++;
        if (uniform() < f->drop) {
            f->dropped++;
            continue;
        }
        if (uniform() < f->flip) {
            b ^= (uint8_t)(1u << (unsigned)(uniform() * 8.0));
            f->flipped++;
        }
        push(to, b);
        if (uniform() < f->dup) {
            push(to, b);
            f->duplicated++;
        }
    }
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 6 && argc != 7) {
        fprintf(stderr, "usage: fault_proxy DEVICE_PTY DROP FLIP DUP SEED [both|to-device]\n");
        return 2;
    }
    faults_t f = {atof(argv[2]), atof(argv[3]), atof(argv[4]), 0, 0, 0, 0};
    rng_state = strtoull(argv[5], NULL, 10) * 0x9E3779B97F4A7C15ULL + 1u;
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    int device = open(argv[1], O_RDWR | O_NOCTTY | O_NONBLOCK);
    if (device < 0) die(argv[1]);
    kit_pty_make_raw(device);
    kit_pty_t pty;
    const char *failed = kit_pty_open(O_RDWR | O_NOCTTY | O_NONBLOCK, &pty);
    if (failed != NULL) die(failed);
    const int master = pty.master;
    const char *name = pty.name;
    printf("fault-proxy: %s\n", name);
    fflush(stdout);

    faults_t to_device = f, to_kit = f;
    if (argc == 7 && strcmp(argv[6], "to-device") == 0) to_kit.drop = to_kit.flip = to_kit.dup = 0.0;
    queue_t device_q = {NULL, 0, 0}, kit_q = {NULL, 0, 0};
    while (!stop) {
        struct pollfd p[2] = {{master, (short)(POLLIN | (kit_q.len ? POLLOUT : 0)), 0}, {device, (short)(POLLIN | (device_q.len ? POLLOUT : 0)), 0}};
        if (poll(p, 2, 200) < 0) {
            if (errno == EINTR) continue;
            die("poll");
        }
        if ((p[0].revents & POLLIN) && !forward(master, &device_q, &to_device)) break;
        if ((p[1].revents & POLLIN) && !forward(device, &kit_q, &to_kit)) break;
        if ((p[0].revents & POLLOUT) && kit_q.len) drain(master, &kit_q);
        if ((p[1].revents & POLLOUT) && device_q.len) drain(device, &device_q);
        if ((p[1].revents & (POLLHUP | POLLERR)) && !(p[1].revents & POLLIN)) break; /* the device is gone */
    }
    fprintf(stderr, "fault-proxy: to device %lu bytes (%lu dropped, %lu flipped, %lu duplicated); to kit %lu bytes (%lu dropped, %lu flipped, %lu duplicated)\n",
            to_device.bytes, to_device.dropped, to_device.flipped, to_device.duplicated, to_kit.bytes, to_kit.dropped, to_kit.flipped, to_kit.duplicated);
    free(device_q.b);
    free(kit_q.b);
    close(pty.slave);
    close(master);
    close(device);
    return 0;
}
