/*
 * Handing an open record of a VFS-protocol server (vfsd's files, the
 * terminal) to a unit being started: procd gives its processes the
 * terminal, utest and the console give procd theirs (aion/vfs.h
 * VFS_RETAIN).
 */
#include "aion/vfs.h"
#include "libaion/lib.h"

int64_t aion_give_record(aion_handle_t unit, aion_handle_t rec, uint64_t rights)
{
	struct aion_msg m = { .tag = AION_TAG(VFS_RETAIN, 0, 0) };
	int64_t err = aion_call(rec, &m, AION_FOREVER);
	if (!err && (int64_t)m.w[0] < 0)
		err = (int64_t)m.w[0];
	if (err)
		return err;
	int64_t given = aion_cap_give(unit, rec, rights);
	if (given < 0) {
		/* Retained for nobody: the hold goes back. */
		m = (struct aion_msg){ .tag = AION_TAG(VFS_CLOSE, 0, 0) };
		aion_call(rec, &m, AION_FOREVER);
	}
	return given;
}
