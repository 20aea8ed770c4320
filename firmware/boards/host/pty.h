/*
 * A pseudo-terminal in raw mode, for programs that stand in for a serial device on this machine
 * (the host board's UART, the tests' fault-injecting line): the other side opens its slave
 * (/dev/pts/N) exactly as it would a USB serial port.
 */
#ifndef KIT_PTY_H
#define KIT_PTY_H

typedef struct {
    int master;
    /* Our own slave descriptor: the line settings then stay raw, and reads on the master block
     * (rather than fail with EIO) while nobody else has the port open. */
    int slave;
    const char *name;
} kit_pty_t;

/* Raw mode by hand (cfmakeraw is not POSIX): no echo, no line editing, no CR/LF translation, or
 * the line discipline would rewrite and echo binary frames. */
void kit_pty_make_raw(int fd);

/* Opens a raw pty; `master_flags` are posix_openpt's. Returns NULL on success, else the name of
 * the call that failed (errno says why). */
const char *kit_pty_open(int master_flags, kit_pty_t *pty);

#endif
