/*
 * UART for the `host` board: the harness runs as a native process and its "serial line" is a
 * pseudo-terminal. The host side opens the slave (/dev/pts/N) exactly as it would a USB serial
 * port, so the same client code and serialport path are exercised without hardware.
 *
 * Needs _XOPEN_SOURCE >= 600 (posix_openpt and friends); the board JSON's flags define it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "uart.h"

static int master_fd = -1;

/* Raw mode by hand (cfmakeraw is not POSIX): no echo, no line editing, no CR/LF translation, or
 * the line discipline would rewrite and echo binary frames. */
static void make_raw(int fd) {
    struct termios t;
    if (tcgetattr(fd, &t) != 0) return;
    t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXOFF);
    t.c_oflag &= ~(tcflag_t)OPOST;
    t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    tcsetattr(fd, TCSANOW, &t);
}

static void die(const char *what) {
    fprintf(stderr, "kit host harness: %s: %s\n", what, strerror(errno));
    exit(1);
}

void kit_uart_init(void) {
    master_fd = posix_openpt(O_RDWR | O_NOCTTY);
    if (master_fd < 0) die("posix_openpt");
    if (grantpt(master_fd) != 0 || unlockpt(master_fd) != 0) die("grantpt/unlockpt");
    const char *name = ptsname(master_fd);
    if (name == NULL) die("ptsname");
    /* Keep a slave descriptor of our own: the line settings then stay raw, and reads on the
     * master block (rather than fail with EIO) while no host has the port open. */
    int slave_fd = open(name, O_RDWR | O_NOCTTY);
    if (slave_fd < 0) die("open slave");
    make_raw(slave_fd);
    make_raw(master_fd);
    printf("kit-host-uart: %s\n", name);
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
