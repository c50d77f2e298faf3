/* The shell's client of the replicated kv store (kvcmd.c, aion/kv.h). */
#ifndef SHELL_KVCMD_H
#define SHELL_KVCMD_H

#include "aion/ipc.h"

/*
 * kv get K | kv put K V | kv cas K OLD NEW | kv add K N, through buf (the
 * shell thread's registered IPC buffer). OLD "" means: K must be absent.
 * Prints one line per event; returns 0 or 1 (an error line was printed).
 */
int cmd_kv(struct aion_ipc_buffer *buf, unsigned argc, char **argv);

#endif /* SHELL_KVCMD_H */
