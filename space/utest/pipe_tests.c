/*
 * vfspipes: raw calls on vfsd's pipes (aion/vfs.h "Pipes") that the
 * POSIX layer would never make or that it hides: VFS_PIPE without room
 * for its two capabilities or with unknown flags, a read on the write
 * end and a write on the read end, a seek, O_NONBLOCK's EAGAIN, VFS_ARM's
 * answer and its notification, a reader waiting in a second thread (a
 * saved reply in vfsd) answered by a write, then -AION_EBADF for a waiter
 * whose record closes, end of file and EPIPE, and a reader that gave up
 * before bytes came (they stay for the next), a write of several payloads
 * (its room held, its token, its lapse), a read with VFS_PIPE_NOWAIT on
 * an empty blocking pipe (EAGAIN), VFS_DISARM of other bits (none), of
 * the arm's (one, then none) and the write after it signalling nothing.
 * vfsd must answer afterwards.
 * The line names every answer; boot_units.py checks them.
 */
#include "aion/initproto.h"
#include "aion/vfs.h"
#include "libaion/initclient.h"
#include "utest.h"

#define NAME(e) (aion_error_name(e) + 5)

static struct aion_ipc_buffer pbuf __attribute__((aligned(4096)));

/* Raw calls through pbuf; tag_extra: AION_TAG_ACCEPT. */
static int64_t pcall(aion_handle_t cap, uint32_t label, uint64_t w1, uint64_t tag_extra,
		     const void *data, unsigned len, struct aion_msg *out)
{
	return utest_vfs_call(&pbuf, cap, label, w1, 0, tag_extra, data, len, out);
}

/* A second thread reads the pipe and waits there; got: its answer. */
static struct aion_ipc_buffer tbuf __attribute__((aligned(4096)));
static aion_handle_t reader_cap;
static volatile int64_t got = 1;        /* 1: not answered yet */

static int64_t reader(uint64_t arg)
{
	struct aion_msg m = { .tag = AION_TAG(VFS_READ, 0, 0), .w = { 0, 64, 0 } };
	(void)arg;
	if (aion_ipc_buffer(&tbuf)) {
		got = -AION_EFAULT;
		return 0;
	}
	int64_t err = aion_call(reader_cap, &m, 3000 * MS);
	got = err ? err : (int64_t)m.w[0];
	return 0;
}

/* Starts reader on cap, lets it wait 100 ms: "waiting" or what it got early. */
static const char *start_reader(aion_handle_t cap)
{
	got = 1;
	reader_cap = cap;
	int64_t th = aion_thread_spawn(reader, 0, aion_stack_alloc(4), 100);
	if (th < 0)
		return NAME(th);
	aion_handle_close((aion_handle_t)th);
	aion_sleep_ns(100 * MS);
	return got == 1 ? "waiting" : "early";
}

static void settle(void)
{
	for (unsigned i = 0; i < 200 && got == 1; i++)
		aion_sleep_ns(10 * MS);
}

/* A new pipe: 0 and both ends, or the error. */
static int64_t make(aion_handle_t root, aion_handle_t *rd, aion_handle_t *wr)
{
	struct aion_msg m;
	int64_t err = pcall(root, VFS_PIPE, 0, AION_TAG_ACCEPT(2), "", 0, &m);
	if (err)
		return err;
	if (AION_TAG_CAPS(m.tag) != 2)
		return -AION_ERANGE;
	*rd = pbuf.caps[0];
	*wr = pbuf.caps[1];
	return 0;
}

static void drop(aion_handle_t cap)
{
	pcall(cap, VFS_CLOSE, 0, 0, "", 0, NULL);
	aion_handle_close(cap);
}

void test_vfspipes(void)
{
	struct aion_msg m;
	struct vfs_stat st = { 0 };
	aion_handle_t rd, wr;
	uint64_t bits = 0;
	int64_t err = aion_ipc_buffer(&pbuf);
	int64_t root = err ? err : init_lookup(UTEST_INIT_EP, &pbuf, VFS_NAME, 5000 * MS);
	if (root < 0) {
		utest_fail("vfspipes", "lookup=%s", NAME(root));
		return;
	}
	aion_handle_t r = (aion_handle_t)root;
	int64_t onecap = pcall(r, VFS_PIPE, 0, AION_TAG_ACCEPT(1), "", 0, NULL);
	int64_t flags = pcall(r, VFS_PIPE, VFS_O_APPEND, AION_TAG_ACCEPT(2), "", 0, NULL);
	if ((err = make(r, &rd, &wr))) {
		utest_fail("vfspipes", "pipe=%s", NAME(err));
		return;
	}
	pcall(rd, VFS_FSTAT, 0, 0, "", 0, &m);
	memcpy(&st, pbuf.payload, sizeof(st));
	int fifo = (st.mode & VFS_S_IFMT) == VFS_S_IFIFO;
	int64_t rw = pcall(wr, VFS_READ, 1, 0, "", 0, NULL);
	int64_t wrd = pcall(rd, VFS_WRITE, 0, 0, "x", 1, NULL);
	int64_t seek = pcall(rd, VFS_SEEK, 0, 0, "", 0, NULL);
	pcall(rd, VFS_SETFL, VFS_O_NONBLOCK, 0, "", 0, NULL);
	int64_t nb = pcall(rd, VFS_READ, 1, 0, "", 0, NULL);
	pcall(rd, VFS_SETFL, 0, 0, "", 0, NULL);
	int64_t armw = pcall(wr, VFS_ARM, VFS_POLL_OUT, 0, "", 0, NULL);
	/* Armed while empty; the write signals its bit. */
	int64_t note = aion_notify_create();
	int64_t armed = -AION_ENOSPC;
	if (note > 0) {
		pbuf.caps[0] = (aion_handle_t)note;
		pbuf.cap_rights[0] = AION_RIGHT_SEND;
		struct aion_msg a = { .tag = AION_TAG(VFS_ARM, 0, 1), .w = { 0, VFS_POLL_IN, 4 } };
		err = aion_call(rd, &a, 2000 * MS);
		armed = err ? err : (int64_t)a.w[0];
	}
	int64_t wrote = pcall(wr, VFS_WRITE, 0, 0, "abc", 3, NULL);
	int64_t waited = note > 0 ? aion_wait((aion_handle_t)note, &bits, 1000 * MS) : note;
	int64_t armr = pcall(rd, VFS_ARM, VFS_POLL_IN, 0, "", 0, NULL);
	int64_t read = pcall(rd, VFS_READ, 10, 0, "", 0, &m);
	int same = read == 3 && !memcmp(pbuf.payload, "abc", 3);
	/* A waiting reader: a saved reply, answered by the next write. */
	const char *w1 = start_reader(rd);
	pcall(wr, VFS_WRITE, 0, 0, "hello", 5, NULL);
	settle();
	int64_t g1 = got;
	/* A waiting reader whose record closes: EBADF. */
	const char *w2 = start_reader(rd);
	drop(rd);
	settle();
	int64_t g2 = got;
	int64_t epipe = pcall(wr, VFS_WRITE, 0, 0, "x", 1, NULL);
	int64_t armerr = pcall(wr, VFS_ARM, VFS_POLL_OUT, 0, "", 0, NULL);
	drop(wr);
	/* End of file once the write end closed, after what it held. */
	int64_t eof = -1, held = -1;
	if (!make(r, &rd, &wr)) {
		pcall(wr, VFS_WRITE, 0, 0, "zz", 2, NULL);
		drop(wr);
		held = pcall(rd, VFS_READ, 10, 0, "", 0, NULL);
		eof = pcall(rd, VFS_READ, 10, 0, "", 0, NULL);
		drop(rd);
	}
	/* A reader that gave up (its call timed out: gone, to vfsd) leaves
	 * the bytes that came for it to the next reader. */
	int64_t gaveup = -1, next = -1;
	if (!make(r, &rd, &wr)) {
		struct aion_msg g = { .tag = AION_TAG(VFS_READ, 0, 0), .w = { 0, 64, 0 } };
		gaveup = aion_call(rd, &g, 100 * MS);
		pcall(wr, VFS_WRITE, 0, 0, "abc", 3, NULL);
		next = pcall(rd, VFS_READ, 10, 0, "", 0, NULL);
		drop(rd);
		drop(wr);
	}
	/* A write of several payloads: its room is held (another write gets
	 * EAGAIN), its token's call goes, a bad token is ETIMEDOUT; one left
	 * half done lapses after a second. */
	int64_t first = -1, held2 = -1, rest = -1, badtok = -1, lapsed = -1, freed = -1;
	if (!make(r, &rd, &wr)) {
		static uint8_t big[VFS_IO_MAX];
		struct aion_msg a = { .tag = AION_TAG(VFS_WRITE, VFS_IO_MAX, 0), .w = { 0, 900, 0 } };
		pcall(wr, VFS_SETFL, VFS_O_NONBLOCK, 0, "", 0, NULL);
		memcpy(pbuf.payload, big, VFS_IO_MAX);
		err = aion_call(wr, &a, 2000 * MS);
		first = err ? err : (int64_t)a.w[0];
		uint64_t tok = a.w[1];
		held2 = pcall(wr, VFS_WRITE, 0, 0, "x", 1, NULL);
		struct aion_msg b = { .tag = AION_TAG(VFS_WRITE, 388, 0), .w = { 0, 0, tok + 1 } };
		err = aion_call(wr, &b, 2000 * MS);
		badtok = err ? err : (int64_t)b.w[0];
		b = (struct aion_msg){ .tag = AION_TAG(VFS_WRITE, 388, 0), .w = { 0, 0, tok } };
		err = aion_call(wr, &b, 2000 * MS);
		rest = err ? err : (int64_t)b.w[0];
		a = (struct aion_msg){ .tag = AION_TAG(VFS_WRITE, 10, 0), .w = { 0, 900, 0 } };
		aion_call(wr, &a, 2000 * MS);
		aion_sleep_ns(1300 * MS);
		b = (struct aion_msg){ .tag = AION_TAG(VFS_WRITE, 10, 0), .w = { 0, 0, a.w[1] } };
		err = aion_call(wr, &b, 2000 * MS);
		lapsed = err ? err : (int64_t)b.w[0];
		freed = pcall(wr, VFS_WRITE, 0, 0, "x", 1, NULL);
		drop(rd);
		drop(wr);
	}
	/* The POSIX layer's read: no wait in vfsd; its arm taken back. */
	int64_t nowait = -1, dis_other = -1, dis = -1, dis_again = -1;
	uint64_t quiet = 1;
	if (note > 0 && !make(r, &rd, &wr)) {
		nowait = utest_vfs_call(&pbuf, rd, VFS_READ, 1, VFS_PIPE_NOWAIT, 0, "", 0, NULL);
		aion_poll((aion_handle_t)note, &quiet);
		pbuf.caps[0] = (aion_handle_t)note;
		pbuf.cap_rights[0] = AION_RIGHT_SEND;
		struct aion_msg a = { .tag = AION_TAG(VFS_ARM, 0, 1), .w = { 0, VFS_POLL_IN, 8 } };
		aion_call(rd, &a, 2000 * MS);
		dis_other = utest_vfs_call(&pbuf, rd, VFS_DISARM, 0, 9, 0, "", 0, NULL);
		dis = utest_vfs_call(&pbuf, rd, VFS_DISARM, 0, 8, 0, "", 0, NULL);
		dis_again = utest_vfs_call(&pbuf, rd, VFS_DISARM, 0, 8, 0, "", 0, NULL);
		pcall(wr, VFS_WRITE, 0, 0, "x", 1, NULL);
		aion_poll((aion_handle_t)note, &quiet);       /* 0: no bits */
		drop(rd);
		drop(wr);
	}
	int64_t alive = pcall(r, VFS_STAT, 0, 0, "/", 1, NULL);
	if (note > 0)
		aion_handle_close((aion_handle_t)note);
	aion_handle_close(r);
	bool ok = onecap == -AION_EINVAL && flags == -AION_EINVAL && fifo && rw == -AION_EBADF &&
		  wrd == -AION_EBADF && seek == -AION_EINVAL && nb == -AION_EAGAIN &&
		  armw == VFS_POLL_OUT && armed == 0 && wrote == 3 && waited == 0 && bits == 4 &&
		  armr == VFS_POLL_IN && same && !strcmp(w1, "waiting") && g1 == 5 &&
		  !strcmp(w2, "waiting") && g2 == -AION_EBADF && epipe == -AION_EPIPE &&
		  armerr == (VFS_POLL_OUT | VFS_POLL_ERR) && held == 2 && eof == 0 &&
		  gaveup == -AION_ETIMEDOUT && next == 3 && first == VFS_IO_MAX &&
		  held2 == -AION_EAGAIN && badtok == -AION_ETIMEDOUT && rest == 388 &&
		  lapsed == -AION_ETIMEDOUT && freed == 1 && nowait == -AION_EAGAIN &&
		  dis_other == 0 && dis == 1 && dis_again == 0 && quiet == 0 && alive == 0;
	/* A line of its own: the verdict's is full. */
	aion_printf("vfspipes: nowait=%s disarm=%ld/%ld/%ld/%lu", NAME(nowait), (long)dis_other,
		    (long)dis, (long)dis_again, (unsigned long)quiet);
	utest_result(ok, "vfspipes", "one=%s fl=%s fifo=%d rw=%s wr=%s sk=%s nb=%s armw=%ld "
		     "armed=%ld note=%s/%lu armr=%ld rd=%ld/%d wait=%s/%ld close=%s/%s ep=%s "
		     "armerr=%ld eof=%ld/%ld gone=%s/%ld resv=%ld/%s/%s/%ld/%s/%ld alive=%s",
		     NAME(onecap), NAME(flags), fifo, NAME(rw), NAME(wrd), NAME(seek), NAME(nb),
		     (long)armw, (long)armed, NAME(waited), (unsigned long)bits, (long)armr,
		     (long)read, same, w1, (long)g1, w2, NAME(g2), NAME(epipe), (long)armerr,
		     (long)held, (long)eof, NAME(gaveup), (long)next, (long)first, NAME(held2),
		     NAME(badtok), (long)rest, NAME(lapsed), (long)freed, NAME(alive));
}
