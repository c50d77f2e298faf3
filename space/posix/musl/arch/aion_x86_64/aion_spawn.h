/*
 * posix_spawn's request, from musl's side to the POSIX layer's (Aion's
 * own file, not musl's): the overlay's src/process/aion_x86_64/
 * posix_spawn.c turns musl's file actions and attributes into it, and
 * the layer's spawn (space/posix/spawn.c) carries it out with one
 * image made by procd, no clone (docs/posix.md "posix_spawn").
 */
#ifndef AION_SPAWN_H
#define AION_SPAWN_H

/* The file actions, in the order they were added (musl's FDOP_* values). */
#define AION_SPAWN_CLOSE        1
#define AION_SPAWN_DUP2         2
#define AION_SPAWN_OPEN         3
#define AION_SPAWN_CHDIR        4
#define AION_SPAWN_FCHDIR       5

struct aion_spawn_action {
	int cmd, fd, srcfd, oflag;
	unsigned mode;
	const char *path;
};

struct aion_spawn_req {
	const char *path;
	const char *search;             /* posix_spawnp: the PATH to search; else NULL */
	char *const *argv, *const *envp;
	const struct aion_spawn_action *act;
	unsigned nact;
	unsigned flags;                 /* POSIX_SPAWN_* */
	int pgroup;
	unsigned long sigmask;          /* SETSIGMASK: signals 1..64 (bit s-1) */
	unsigned long sigdefault;       /* SETSIGDEF: these start at SIG_DFL */
};

/* 0 and *pid, or an errno value (posix_spawn's result). */
int __aion_posix_spawn(int *pid, const struct aion_spawn_req *r);

#endif
