/*
 * procd, the process server (docs/posix.md "Processes"): its files' shared
 * state. main.c serves the protocol of aion/proc.h; units.c makes and
 * ends the processes' units; images.c names the programs it carries.
 */
#ifndef PROCD_H
#define PROCD_H

#include "libaion/lib.h"
#include "table.h"

#define PROCD_PRIO      100             /* every process's priority, and its maximum */
#define PROCD_QUOTA     512             /* frames of a process procd starts (2 MiB) */

extern struct proc_table procd_table;
extern aion_handle_t procd_ep;
/* What procd's starter gave it to pass on (its startup record's posix_fs
 * and posix_tty), 0: none: each spawned process gets both. */
extern aion_handle_t procd_fs, procd_tty;

/* A program procd carries: a POSIX ELF linked into it (images.c). */
struct procd_image {
	const char *name;
	const char *start, *end;
};
const struct procd_image *procd_image(const char *name);

/* Starts image as a new process, child of ppid, with argv args (split at
 * spaces; NULL: the image's name): its pid or -PROC_E.... */
int32_t procd_spawn(const struct procd_image *img, int32_t ppid, const char *args);

/* FORK and FORK_START for caller (aion/proc.h): the reply's words. */
int32_t procd_fork(struct proc *caller, uint64_t *unit_in_caller);
int32_t procd_fork_start(struct proc *caller, int32_t pid, uint64_t entry, uint64_t stack);

/* p ends with a wait status: its unit goes, it is a zombie; see settle. */
void procd_finish(struct proc *p, int32_t status);

/* Makes the terminal pid's controlling terminal, its group the foreground. */
void procd_set_ctty(int32_t pid);

/* The notice of a unit's end (its badge's pid, the message's words). */
void procd_unit_ended(int32_t pid, const struct aion_msg *m);

#endif
