/* sh: busybox's shell on the console's terminal (posixsh.c). */
#ifndef CONSOLE_POSIXSH_H
#define CONSOLE_POSIXSH_H

#include "libaion/lib.h"

/* Starts it; the shell's command status (0, or 1 with an error line). */
int cmd_sh(struct aion_ipc_buffer *buf);

#endif /* CONSOLE_POSIXSH_H */
