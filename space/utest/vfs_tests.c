/*
 * vfsproto: raw calls on vfsd (aion/vfs.h) that a POSIX layer would never
 * make: unknown labels and flags, oversized counts, NULs in paths, a
 * malformed rename and lock, a path call on a file, a write on a
 * read-only record, closing the shared root, and calls on a closed
 * record. A retained record outlives its first close. Each must get its documented error, and vfsd must still answer
 * afterwards. Then a VFS_LOCK_SETW from a second thread waits until the
 * lock it conflicts with goes (F_SETLKW). The line names every answer;
 * boot_units.py checks them.
 */
#include "aion/initproto.h"
#include "aion/vfs.h"
#include "libaion/initclient.h"
#include "common/format.h"
#include "utest.h"

/* Without "AION_": the whole line must fit one log line. */
#define NAME(e) (aion_error_name(e) + 5)

static struct aion_ipc_buffer vbuf __attribute__((aligned(4096)));

/* One call through vbuf (accepting a capability): w0, or the call's own error. */
static int64_t vcall(aion_handle_t cap, uint32_t label, uint64_t w1, uint64_t w2,
		     const void *data, unsigned len, struct aion_msg *out)
{
	return utest_vfs_call(&vbuf, cap, label, w1, w2, AION_TAG_ACCEPT(1), data, len, out);
}

/* A second thread waits in VFS_LOCK_SETW on wfile; waited: its answer. */
static struct aion_ipc_buffer wbuf __attribute__((aligned(4096)));
static aion_handle_t wfile;
static volatile int64_t waited = 1;     /* 1: not answered yet */

static int64_t setw_thread(uint64_t arg)
{
	struct vfs_flock fl = { .type = VFS_LOCK_WR, .whence = VFS_SEEK_SET, .len = 10 };
	struct aion_msg m = { .tag = AION_TAG(VFS_LOCK, sizeof(fl), 0),
			      .w = { 0, VFS_LOCK_SETW, 0 } };
	(void)arg;
	if (aion_ipc_buffer(&wbuf)) {
		waited = -AION_EFAULT;
		return 0;
	}
	memcpy(wbuf.payload, &fl, sizeof(fl));
	int64_t err = aion_call(wfile, &m, 3000 * MS);
	waited = err ? err : (int64_t)m.w[0];
	return 0;
}

static aion_handle_t open_cap(aion_handle_t dir, uint64_t flags, const char *path)
{
	struct aion_msg m = { .tag = AION_TAG(VFS_OPEN, strlen(path), 0) | AION_TAG_ACCEPT(1),
			      .w = { 0, flags, 0644 } };
	memcpy(vbuf.payload, path, strlen(path));
	int64_t err = aion_call(dir, &m, 2000 * MS);
	return !err && m.w[0] == 0 && AION_TAG_CAPS(m.tag) == 1 ? vbuf.caps[0] : 0;
}

/*
 * An OFD write lock on one record; a SETW of another record waits (still
 * unanswered 100 ms later) and is granted once the first unlocks. Returns
 * "waiting/answer" in out.
 */
static void setw(aion_handle_t root, char *out, unsigned size)
{
	const char *path = "/tmp/vfsproto-lock";
	aion_handle_t a = open_cap(root, VFS_O_READ | VFS_O_WRITE | VFS_O_CREAT, path);
	wfile = open_cap(root, VFS_O_READ | VFS_O_WRITE, path);
	struct vfs_flock fl = { .type = VFS_LOCK_WR, .whence = VFS_SEEK_SET, .len = 10 };
	int64_t set = a ? vcall(a, VFS_LOCK, VFS_LOCK_SET, 0, &fl, sizeof(fl), NULL) : -1;
	int64_t th = wfile && !set ? aion_thread_spawn(setw_thread, 0, aion_stack_alloc(4), 100)
				   : -AION_ENOENT;
	aion_sleep_ns(100 * MS);
	int64_t before = waited;
	fl.type = VFS_LOCK_UN;
	if (a)
		vcall(a, VFS_LOCK, VFS_LOCK_SET, 0, &fl, sizeof(fl), NULL);
	for (unsigned i = 0; i < 200 && waited == 1; i++)
		aion_sleep_ns(10 * MS);
	fmt_snprintf(out, size, "%s/%s", th < 0 ? NAME(th) : before == 1 ? "waiting" : NAME(before),
		     waited == 1 ? "none" : NAME(waited));
	if (th >= 0)
		aion_handle_close((aion_handle_t)th);
	vcall(a, VFS_CLOSE, 0, 0, "", 0, NULL);
	vcall(wfile, VFS_CLOSE, 0, 0, "", 0, NULL);
	aion_handle_close(a);
	aion_handle_close(wfile);
	vcall(root, VFS_UNLINK, 0, 0, path, (unsigned)strlen(path), NULL);
}


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
	/* A second holder (fork's way): its close leaves the record open. */
	int64_t retain = vcall(f, VFS_RETAIN, 0, 0, "", 0, NULL);
	int64_t close1 = vcall(f, VFS_CLOSE, 0, 0, "", 0, NULL);
	int64_t still = vcall(f, VFS_READ, 1, 0, "", 0, NULL);
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
	char sw[32];
	setw(r, sw, sizeof(sw));
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
		  later == -AION_ECAP && !strcmp(sw, "waiting/OK") && retain == 2 && close1 == 0 &&
		  still == 1;
	utest_result(ok, "vfsproto", "unk=%s fl=%s nul=%s nop=%s ren=%s dread=%s d0=%s "
		     "croot=%s big=%ld/%u wr=%s onf=%s lk=%s tok=%s sk=%s cl=%s aft=%s alive=%s lat=%s sw=%s hold=%ld/%s/%ld",
		     NAME(unknown), NAME(flags), NAME(nul), NAME(nopath), NAME(rename),
		     NAME(dirread), NAME(dents0), NAME(close_root), (long)big, got, NAME(write),
		     NAME(onfile), NAME(lock), NAME(token), NAME(seek), NAME(closed), NAME(after),
		     NAME(alive), NAME(later), sw, (long)retain, NAME(close1), (long)still);
}
