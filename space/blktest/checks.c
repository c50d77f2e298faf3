/*
 * The protocol's checks on the test regions: sizes and flags, a pattern
 * written, flushed and read back, refusals outside the region and on the
 * read-only capability (with the blocks around left as they were), the
 * figures, and the pattern that must survive a reboot.
 */
#include "blktest.h"

#define ROUNDS          21      /* timed requests of each kind: the median is printed */
#define RESTART_WAIT_NS (60 * SEC)
#define RESTART_PERIOD_NS (20 * MS)
#define NEIGHBOUR_SEED  0xb     /* region B's pattern is seed ^ this */

static const char *name(int64_t err)
{
	return aion_error_name(err);
}

static int64_t info(aion_handle_t region, uint64_t *blocks, uint32_t *flags)
{
	struct aion_msg m = { .tag = AION_TAG(BLK_INFO, 0, 0) };
	int64_t err = aion_call(region, &m, BLKCLIENT_TIMEOUT_NS);

	*blocks = m.w[1];
	*flags = (uint32_t)m.w[2];
	return err ? err : (int64_t)m.w[0];
}

/* What init minted: A and its read-only twin, B right after A, and "data". */
static bool badges_ok(uint64_t a, uint64_t ro, uint64_t b, uint64_t data)
{
	return blk_badge_count(a) == REGION_BLOCKS && blk_badge_writable(a) &&
	       blk_badge_first(ro) == blk_badge_first(a) && blk_badge_count(ro) == REGION_BLOCKS &&
	       !blk_badge_writable(ro) &&
	       blk_badge_first(b) == blk_badge_first(a) + REGION_BLOCKS &&
	       blk_badge_first(data) == BLK_DATA_FIRST && blk_badge_count(data) == BLK_COUNT_REST;
}

void check_info(struct blkt *t)
{
	struct aion_cap_info a = { 0 }, ro = { 0 }, b = { 0 }, data = { 0 };
	uint64_t data_blocks = 0;
	uint32_t data_flags = 0;
	int64_t err = aion_cap_info(SVC_DISK_TEST_RW, &a);

	if (!err)
		err = aion_cap_info(SVC_DISK_TEST_RO, &ro);
	if (!err)
		err = aion_cap_info(SVC_DISK_TEST_NEXT, &b);
	if (!err)
		err = aion_cap_info(SVC_DISK_TEST_DATA, &data);
	if (!err)
		err = info(SVC_DISK_TEST_DATA, &data_blocks, &data_flags);
	bool ok = !err && badges_ok(a.badge, ro.badge, b.badge, data.badge) &&
		  t->a.blocks == REGION_BLOCKS && t->b.blocks == REGION_BLOCKS &&
		  t->a.flags == (BLK_INFO_WRITABLE | BLK_INFO_FLUSH) &&
		  t->ro.flags == BLK_INFO_FLUSH && data_flags == BLK_INFO_FLUSH && data_blocks;
	blkt_result(ok, "info", "err=%s a_first=%lu a_blocks=%lu b_first=%lu a_flags=0x%x "
		    "ro_flags=0x%x data_blocks=%lu data_flags=0x%x flush=%s", name(err),
		    (unsigned long)blk_badge_first(a.badge), (unsigned long)t->a.blocks,
		    (unsigned long)blk_badge_first(b.badge), t->a.flags, t->ro.flags,
		    (unsigned long)data_blocks, data_flags,
		    (t->a.flags & BLK_INFO_FLUSH) ? "yes" : "no");
}

/* Two blocks read into the buffer across its first page boundary. */
static bool offset_read_ok(struct blkt *t, int64_t *err)
{
	const uint64_t off = 4096 - BLK_SIZE;

	*err = blkt_call(SVC_DISK_TEST_RW, BLK_READ, 10, 2, off);
	return !*err && memcmp(t->a.buf + off, t->want + 10 * BLK_SIZE, 2 * BLK_SIZE) == 0;
}

void check_pattern(struct blkt *t)
{
	uint64_t first_bad = 0;
	int64_t off_err = 0;

	blkt_pattern(t->want, t->seed, 0, REGION_BLOCKS);
	memset(t->got, 0, REGION_BYTES);
	int we = blkclient_write(&t->a, 0, t->want, REGION_BLOCKS);
	int fe = we ? we : blkclient_flush(&t->a);
	int re = fe ? fe : blkclient_read(&t->a, 0, t->got, REGION_BLOCKS);
	unsigned bad = re ? REGION_BLOCKS : blkt_diff(t->want, t->got, REGION_BLOCKS, &first_bad);
	bool off_ok = offset_read_ok(t, &off_err);
	blkt_result(!we && !fe && !re && !bad && off_ok, "pattern",
		    "write=%s flush=%s read=%s blocks=%u mismatched=%u first_bad=%lu "
		    "offset_read=%s/%s", name(we), name(fe), name(re), REGION_BLOCKS, bad,
		    (unsigned long)first_bad, name(off_err), off_ok ? "same" : "differs");
}

/* Region B holds its own pattern; A's buffer holds junk a wrong write would leave. */
static int prepare_range(struct blkt *t)
{
	blkt_pattern(t->want, t->seed ^ NEIGHBOUR_SEED, 0, REGION_BLOCKS);
	int err = blkclient_write(&t->b, 0, t->want, REGION_BLOCKS);
	if (!err)
		err = blkclient_flush(&t->b);
	memset(t->a.buf, 0xee, BLK_BUF_SIZE);
	return err;
}

/* Blocks of region c that differ from pattern seed now. */
static unsigned changed(struct blkt *t, struct blkclient *c, uint64_t seed)
{
	uint64_t first;

	blkt_pattern(t->want, seed, 0, REGION_BLOCKS);
	if (blkclient_read(c, 0, t->got, REGION_BLOCKS))
		return REGION_BLOCKS;
	return blkt_diff(t->want, t->got, REGION_BLOCKS, &first);
}

void check_range(struct blkt *t)
{
	aion_handle_t a = SVC_DISK_TEST_RW;
	int prep = prepare_range(t);
	int64_t past = blkt_call(a, BLK_WRITE, REGION_BLOCKS, 1, 0);
	int64_t straddle = blkt_call(a, BLK_WRITE, REGION_BLOCKS - 6, 8, 0);
	int64_t read_past = blkt_call(a, BLK_READ, REGION_BLOCKS, 1, 0);
	int64_t far = blkt_call(a, BLK_WRITE, 1ull << 40, 1, 0);
	int64_t wrap = blkt_call(a, BLK_WRITE, UINT64_MAX, 2, 0);
	int64_t zero = blkt_call(a, BLK_WRITE, 0, 0, 0);
	int64_t big = blkt_call(a, BLK_WRITE, 0, BLK_XFER_BLOCKS + 1, 0);
	int64_t odd = blkt_call(a, BLK_WRITE, 0, 1, 100);
	int64_t over = blkt_call(a, BLK_WRITE, 0, 2, BLK_BUF_SIZE - BLK_SIZE);
	int64_t flush = blkclient_flush(&t->a);
	unsigned next = changed(t, &t->b, t->seed ^ NEIGHBOUR_SEED);
	unsigned own = changed(t, &t->a, t->seed);
	bool ok = !prep && !flush && past == -AION_ERANGE && straddle == -AION_ERANGE &&
		  read_past == -AION_ERANGE && far == -AION_ERANGE && wrap == -AION_ERANGE &&
		  zero == -AION_EINVAL && big == -AION_EINVAL && odd == -AION_EINVAL &&
		  over == -AION_EINVAL && next == 0 && own == 0;
	blkt_result(ok, "range", "prepare=%s past=%s straddle=%s read_past=%s far=%s wrap=%s "
		    "count0=%s count%u=%s offset100=%s past_buffer=%s neighbour_changed=%u "
		    "own_changed=%u", name(prep), name(past), name(straddle), name(read_past),
		    name(far), name(wrap), name(zero), BLK_XFER_BLOCKS + 1, name(big), name(odd),
		    name(over), next, own);
}

void check_readonly(struct blkt *t)
{
	uint64_t first = 0;

	blkt_pattern(t->want, t->seed, 0, REGION_BLOCKS);
	int re = blkclient_read(&t->ro, 0, t->got, REGION_BLOCKS);
	unsigned bad = re ? REGION_BLOCKS : blkt_diff(t->want, t->got, REGION_BLOCKS, &first);
	memset(t->ro.buf, 0xee, BLK_BUF_SIZE);
	int64_t raw = blkt_call(SVC_DISK_TEST_RO, BLK_WRITE, 0, 1, 0);
	int api = blkclient_write(&t->ro, 1, t->got, 1);
	unsigned after = changed(t, &t->a, t->seed);
	bool ok = !re && !bad && raw == -AION_ERIGHTS && api == -AION_ERIGHTS && after == 0 &&
		  !(t->ro.flags & BLK_INFO_WRITABLE);
	blkt_result(ok, "readonly", "read=%s same_as_rw=%s write=%s client_write=%s "
		    "changed=%u", name(re), bad ? "no" : "yes", name(raw), name(api), after);
}

static void sort(uint64_t *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t x = v[j];
			v[j] = v[j - 1];
			v[j - 1] = x;
		}
}

/* The median time of ROUNDS calls (label, words) in us; *err the first error. */
static uint64_t timed(uint32_t label, uint64_t count, int64_t *err)
{
	uint64_t ns[ROUNDS];

	for (unsigned i = 0; i < ROUNDS; i++) {
		uint64_t t0 = aion_clock_ns();
		int64_t e = blkt_call(SVC_DISK_TEST_RW, label, 0, count, 0);
		ns[i] = aion_clock_ns() - t0;
		if (e && !*err)
			*err = e;
	}
	sort(ns, ROUNDS);
	return ns[ROUNDS / 2] / 1000;
}

void check_figures(struct blkt *t)
{
	int64_t err = 0;
	uint64_t w64 = timed(BLK_WRITE, BLK_XFER_BLOCKS, &err);
	uint64_t r64 = timed(BLK_READ, BLK_XFER_BLOCKS, &err);
	uint64_t w1 = timed(BLK_WRITE, 1, &err);
	uint64_t fl = timed(BLK_FLUSH, 0, &err);

	(void)t;
	blkt_result(!err, "figures", "err=%s rounds=%u write64k_us=%lu read64k_us=%lu "
		    "write512_us=%lu flush_us=%lu", name(err), ROUNDS, (unsigned long)w64,
		    (unsigned long)r64, (unsigned long)w1, (unsigned long)fl);
}

void persist_write(struct blkt *t)
{
	struct aion_cap_info a = { 0 };

	aion_cap_info(SVC_DISK_TEST_RW, &a);
	blkt_pattern(t->want, t->seed, 0, REGION_BLOCKS);
	int we = blkclient_write(&t->a, 0, t->want, REGION_BLOCKS);
	int fe = we ? we : blkclient_flush(&t->a);
	blkt_result(!we && !fe, "persist-write", "seed=%lu first=%lu blocks=%u write=%s flush=%s",
		    (unsigned long)t->seed, (unsigned long)blk_badge_first(a.badge), REGION_BLOCKS,
		    name(we), name(fe));
}

void persist_verify(struct blkt *t)
{
	uint64_t first_bad = 0;

	blkt_pattern(t->want, t->seed, 0, REGION_BLOCKS);
	int re = blkclient_read(&t->a, 0, t->got, REGION_BLOCKS);
	unsigned bad = re ? REGION_BLOCKS : blkt_diff(t->want, t->got, REGION_BLOCKS, &first_bad);
	blkt_result(!re && !bad, "persist", "seed=%lu read=%s blocks=%u mismatched=%u "
		    "first_bad=%lu", (unsigned long)t->seed, name(re), REGION_BLOCKS, bad,
		    (unsigned long)first_bad);
}

/* t->seed is the block of "data" whose reads the device fails. */
void check_eio(struct blkt *t)
{
	struct blkclient d;
	aion_handle_t data = SVC_DISK_TEST_DATA;
	int64_t open = blkclient_open(&d, data, t->ipc, BUF_DATA_VA);
	int64_t bad = open ? open : blkt_call(data, BLK_READ, t->seed, 1, 0);
	int64_t next = open ? open : blkt_call(data, BLK_READ, t->seed + 1, 1, 0);
	int64_t span = open ? open : blkt_call(data, BLK_READ, t->seed - 1, 4, 0);
	int client = open ? (int)open : blkclient_read(&d, t->seed, t->got, 1);

	blkt_result(!open && bad == -AION_EIO && next == 0 && span == -AION_EIO &&
		    client == -AION_EIO, "eio", "block=%lu open=%s read=%s next=%s span=%s "
		    "client=%s", (unsigned long)t->seed, name(open), name(bad), name(next),
		    name(span), name(client));
}

/* Region A holds pattern seed; the host kills the driver once told. */
void check_restart(struct blkt *t)
{
	uint64_t end = aion_clock_ns() + RESTART_WAIT_NS, first;
	unsigned reads = 0, errors = 0, differ = 0;
	int last = 0;

	blkt_pattern(t->want, t->seed, 0, REGION_BLOCKS);
	aion_printf("restart ready: reading region A until the driver restarted");
	while (!t->a.reattached && aion_clock_ns() < end) {
		int err = blkclient_read(&t->a, 0, t->got, REGION_BLOCKS);
		reads++;
		if (err) {
			errors++;
			last = err;
		} else if (blkt_diff(t->want, t->got, REGION_BLOCKS, &first)) {
			differ++;
		}
		aion_sleep_ns(RESTART_PERIOD_NS);
	}
	int after = blkclient_write(&t->a, 0, t->want, 1);
	if (!after)
		after = blkclient_flush(&t->a);
	blkt_result(t->a.reattached && !errors && !differ && !after, "restart",
		    "reads=%u errors=%u last_err=%s differing=%u reattached=%u write_after=%s",
		    reads, errors, name(last), differ, t->a.reattached, name(after));
}

/* A device without a flush: writes work, durability is refused, and said. */
void check_noflush(struct blkt *t)
{
	uint64_t first;

	blkt_pattern(t->want, t->seed, 0, 1);
	int we = blkclient_write(&t->a, 0, t->want, 1);
	int fe = blkclient_flush(&t->a);
	int re = blkclient_read(&t->a, 0, t->got, 1);
	bool same = !re && !blkt_diff(t->want, t->got, 1, &first);
	blkt_result(!we && fe == -AION_EIO && same && t->a.flags == BLK_INFO_WRITABLE, "noflush",
		    "write=%s flush=%s read=%s same=%s flags=0x%x", name(we), name(fe), name(re),
		    same ? "yes" : "no", t->a.flags);
}
