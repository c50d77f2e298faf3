/*
 * The console's terminal (aion/tty.h; docs/posix.md "The terminal"),
 * served by the serial unit's one serving thread: tty.c keeps the open
 * records, the line discipline and the saved reads; serial.c feeds it the
 * bytes the UART received.
 */
#ifndef CONSOLE_TTY_H
#define CONSOLE_TTY_H

#include <stdbool.h>
#include <stdint.h>
#include "libaion/lib.h"

/* The opener's badge (the name TTY_NAME): VFS_OPEN only. */
#define TTY_BADGE_OPEN  (2ull << 40)

/* ep: the endpoint every capability names; buf: the thread's IPC buffer. */
void tty_init(aion_handle_t ep, struct aion_ipc_buffer *buf);

/* Is a record open? Then input belongs to the terminal, not the shell. */
bool tty_active(void);

/* One byte from the serial line. */
void tty_input(uint8_t c);

/* One call on the endpoint (not a notification): answered or saved. */
void tty_serve(const struct aion_msg *m);

#endif /* CONSOLE_TTY_H */
