/* See pty.h. posix_openpt and friends need _XOPEN_SOURCE >= 600 (the host board's flags define it). */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 600
#endif
#include "pty.h"

#include <fcntl.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

void kit_pty_make_raw(int fd) {
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

const char *kit_pty_open(int master_flags, kit_pty_t *pty) {
    pty->master = posix_openpt(master_flags);
    if (pty->master < 0) return "posix_openpt";
    if (grantpt(pty->master) != 0 || unlockpt(pty->master) != 0) return "grantpt/unlockpt";
    pty->name = ptsname(pty->master);
    if (pty->name == NULL) return "ptsname";
    pty->slave = open(pty->name, O_RDWR | O_NOCTTY);
    if (pty->slave < 0) return "open slave";
    kit_pty_make_raw(pty->slave);
    kit_pty_make_raw(pty->master);
    return NULL;
}
