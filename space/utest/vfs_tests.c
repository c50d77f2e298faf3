/*
 * vfsproto: raw calls on vfsd (aion/vfs.h) that a POSIX layer would never
 * make: unknown labels and flags, oversized
 * counts, NULs in paths, a malformed rename and lock, a path call on a
 * file, a write on a read-only record, closing the shared root, and calls
 * on a closed record. Each must get its documented error, and vfsd must
 * still answer afterwards. The line names every answer; boot_units.py
 * checks them.
 */
#include "aion/initproto.h"
#include "aion/vfs.h"
#include "libaion/initclient.h"
#include "utest.h"

static struct aion_ipc_buffer vbuf __attribute__((aligned(4096)));

/* One call: label, words, payload; returns w0 (or the call's own error). */
static int64_t vcall(aion_handle_t cap, uint32_t label, uint64_t w1, uint64_t w2,
		     const void *data, unsigned len, struct aion_msg *out)
{
	struct aion_msg m = { .tag = AION_TAG(label, len, 0) | AION_TAG_ACCEPT(1),
			      .w = { 0, w1, w2 } };
	memcpy(vbuf.payload, data, len);
	int64_t err = aion_call(cap, &m, 2000 * MS);
	if (out)
		*out = m;
	return err ? err : (int64_t)m.w[0];
}

/* Without "AION_": the whole line must fit one log line. */
#define NAME(e) (aion_error_name(e) + 5)

void test_vfsproto(void)
{
	struct aion_msg m;
	struct vfs_flock fl = { .type = VFS_LOCK_RD };
	int64_t err = aion_ipc_buffer(&vbuf);
	int64_t root = err ? err : init_lookup(UTEST_INIT_EP, &vbuf, VFS_NAME, 5000 * MS);
	if (root < 0) {
		utest_fail("vfsproto", "lookup=%s", NAME(root));
		return;
	}
	aion_handle_t r = (aion_handle_t)root;
	int64_t unknown = vcall(r, 99, 0, 0, "", 0, NULL);
	int64_t flags = vcall(r, VFS_OPEN, 1u << 20, 0, "etc", 3, NULL);
	int64_t nul = vcall(r, VFS_STAT, 0, 0, "etc\0x", 5, NULL);
	int64_t nopath = vcall(r, VFS_MKDIR, 0, 0755, "", 0, NULL);
	int64_t rename = vcall(r, VFS_RENAME, 0, 0, "a-b", 3, NULL);
	int64_t dirread = vcall(r, VFS_READ, 16, VFS_AT_POS, "", 0, NULL);
	int64_t dents0 = vcall(r, VFS_GETDENTS, 0, 0, "", 0, NULL);
	int64_t close_root = vcall(r, VFS_CLOSE, 0, 0, "", 0, NULL);
	int64_t opened = vcall(r, VFS_OPEN, VFS_O_READ, 0, "/etc/aion-release", 17, &m);
	aion_handle_t f = opened == 0 && AION_TAG_CAPS(m.tag) == 1 ? vbuf.caps[0] : 0;
	if (!f) {
		utest_fail("vfsproto", "open=%s", NAME(opened));
		return;
	}
	int64_t big = vcall(f, VFS_READ, 1u << 30, 0, "", 0, &m);
	unsigned got = AION_TAG_LEN(m.tag);
	int64_t write = vcall(f, VFS_WRITE, 0, VFS_AT_POS, "x", 1, NULL);
	int64_t onfile = vcall(f, VFS_MKDIR, 0, 0755, "d", 1, NULL);
	int64_t lock = vcall(f, VFS_LOCK, VFS_LOCK_GET, 0, &fl, 3, NULL);
	int64_t token = vcall(f, VFS_LOCK, VFS_LOCK_GET, 1ull << 63, &fl, sizeof(fl), NULL);
	int64_t seek = vcall(f, VFS_SEEK, (uint64_t)-1, VFS_SEEK_SET, "", 0, NULL);
	int64_t closed = vcall(f, VFS_CLOSE, 0, 0, "", 0, NULL);
	/* Sent before vfsd revoked (it replies to CLOSE first): the stale badge. */
	int64_t after = vcall(f, VFS_READ, 1, 0, "", 0, NULL);
	int64_t alive = vcall(r, VFS_STAT, 0, 0, "/", 1, NULL);
	/* vfsd has answered since: the revoke is done, the copy is gone. */
	int64_t later = vcall(f, VFS_READ, 1, 0, "", 0, NULL);
	aion_handle_close(f);
	aion_handle_close(r);
	bool ok = unknown == -AION_ENOSYS && flags == -AION_EINVAL &&
		  nul == -AION_EMALFORMED && nopath == -AION_ENOENT &&
		  rename == -AION_EMALFORMED && dirread == -AION_EISDIR &&
		  dents0 == -AION_EINVAL && close_root == -AION_EPERM && big == 17 && got == 17 &&
		  write == -AION_EBADF && onfile == -AION_ENOTDIR && lock == -AION_EINVAL &&
		  token == -AION_EINVAL && seek == -AION_EINVAL && closed == 0 &&
		  (after == -AION_EBADF || after == -AION_ECAP) && alive == 0 &&
		  later == -AION_ECAP;
	utest_result(ok, "vfsproto", "unk=%s fl=%s nul=%s nop=%s ren=%s dread=%s d0=%s "
		     "croot=%s big=%ld/%u wr=%s onf=%s lk=%s tok=%s sk=%s cl=%s aft=%s alive=%s lat=%s",
		     NAME(unknown), NAME(flags), NAME(nul), NAME(nopath), NAME(rename),
		     NAME(dirread), NAME(dents0), NAME(close_root), (long)big, got, NAME(write),
		     NAME(onfile), NAME(lock), NAME(token), NAME(seek), NAME(closed), NAME(after),
		     NAME(alive), NAME(later));
}
