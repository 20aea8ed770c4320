/*
 * UART for the `host` board: the harness runs as a native process and its "serial line" is a
 * pseudo-terminal. The host side opens the slave (/dev/pts/N) exactly as it would a USB serial
 * port, so the same client code and serialport path are exercised without hardware.
 *
 * The pty itself is pty.c's. Needs _XOPEN_SOURCE >= 600 (posix_openpt and friends); the board
 * JSON's flags define it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pty.h"
#include "uart.h"

static int master_fd = -1;

static void die(const char *what) {
    fprintf(stderr, "kit host harness: %s: %s\n", what, strerror(errno));
    exit(1);
}

void kit_uart_init(void) {
    kit_pty_t pty;
    const char *failed = kit_pty_open(O_RDWR | O_NOCTTY, &pty);
    if (failed != NULL) die(failed);
    master_fd = pty.master;
    printf("kit-host-uart: %s\n", pty.name);
    fflush(stdout);
}

void kit_uart_write(const uint8_t *data, size_t n) {
    while (n > 0) {
        ssize_t w = write(master_fd, data, n);
        if (w < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            die("write");
        }
        data += w;
        n -= (size_t)w;
    }
}

size_t kit_uart_read(uint8_t *buf, size_t max) {
    for (;;) {
        /* Watch stdin too: the process that started us holds its other end, so EOF there means it
         * is gone and this harness must not linger as an orphan. */
        struct pollfd fds[2] = {{master_fd, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            die("poll");
        }
        if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            char c;
            if (read(STDIN_FILENO, &c, 1) <= 0) exit(0);
        }
        if (fds[0].revents & POLLIN) {
            ssize_t r = read(master_fd, buf, max);
            if (r > 0) return (size_t)r;
            if (r < 0 && errno != EINTR && errno != EAGAIN && errno != EIO) die("read");
        }
    }
}
