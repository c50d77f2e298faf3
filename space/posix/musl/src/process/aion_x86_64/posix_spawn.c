/*
 * posix_spawn for Aion (the overlay's, in the place of musl's, which
 * clones with CLONE_VM|CLONE_VFORK and reports errors through a pipe):
 * the file actions and attributes become one request to the POSIX
 * layer, which has procd make the child's unit and loads the program
 * into it (docs/posix.md "posix_spawn"). posix_spawnp is musl's: it sets
 * __fn to __execvpe, which here means "search PATH".
 */
#include <spawn.h>
#include <stdlib.h>
#include <errno.h>
#include "../fdop.h"
#include "aion_spawn.h"

int posix_spawn(pid_t *restrict res, const char *restrict path,
	const posix_spawn_file_actions_t *fa,
	const posix_spawnattr_t *restrict attr,
	char *const argv[restrict], char *const envp[restrict])
{
	struct aion_spawn_req r = { .path = path, .argv = argv, .envp = envp };
	struct fdop *op = fa ? fa->__actions : 0;
	unsigned n = 0;
	int pid = 0, ec;

	if (attr) {
		r.flags = attr->__flags;
		r.pgroup = attr->__pgrp;
		r.sigmask = attr->__mask.__bits[0];
		r.sigdefault = attr->__def.__bits[0];
		if (attr->__fn) {
			r.search = getenv("PATH");
			if (!r.search)
				r.search = "/usr/local/bin:/bin:/usr/bin";
		}
	}
	/* musl keeps the newest action first; they run oldest first. */
	for (struct fdop *o = op; o; o = o->next)
		n++;
	struct aion_spawn_action *act = n ? malloc(n * sizeof(*act)) : 0;
	if (n && !act)
		return ENOMEM;
	for (unsigned i = n; op; op = op->next) {
		i--;
		act[i] = (struct aion_spawn_action){ op->cmd, op->fd, op->srcfd, op->oflag,
						     op->mode, op->path };
	}
	r.act = act;
	r.nact = n;
	ec = __aion_posix_spawn(&pid, &r);
	free(act);
	if (!ec && res)
		*res = pid;
	return ec;
}
