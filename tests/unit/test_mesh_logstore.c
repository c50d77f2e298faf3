/*
 * Host tests for the durable log store (mesh/logstore*.c) on the
 * fault-injecting RAM device (ls_ramdev.h): round trips, the alternating
 * metadata copies, truncation and the fences that keep removed records
 * out, compaction over many laps of the ring, snapshots, a bit flipped
 * or a write torn at every offset of the last record, corrupted
 * metadata and snapshots, device errors, malformed sizes. The random
 * crash runs are in test_mesh_logstore_crash.c.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "aion/error.h"
#include "common/le.h"
#include "common/xorshift.h"
#include "ls_ramdev.h"
#include "ls_testlib.h"

static void test_empty_region(void **state)
{
	struct ramdev d;
	struct ls ls;
	struct ls_dev dev;

	(void)state;
	ramdev_init(&d, lt_blocks(LT_SNAP, 8), 1);
	dev = ramdev_dev(&d);
	assert_int_equal(ls_open(&ls, &dev), -AION_ENOENT);
	/* Garbage without the magic is a region never formatted, too. */
	for (uint64_t i = 0; i < d.blocks * LS_BLOCK; i++)
		d.cur[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(ls_open(&ls, &dev), -AION_ENOENT);
	assert_int_equal(d.writes, 0);
	ramdev_free(&d);
}

static void test_format_identity(void **state)
{
	struct lt t;
	struct ls_info info;
	struct ls_format_params p = lt_params(LT_SNAP);

	(void)state;
	lt_start(&t, LT_SNAP, 8);
	/* Appended in the store's first epoch, as a new format's will be. */
	lt_append(&t, 1, 1, 10);
	assert_int_equal(ls_sync(&t.ls), 0);
	lt_reopen(&t);
	ls_info(&t.ls, &info);
	assert_int_equal(info.server_id, LT_SERVER);
	assert_int_equal(info.cluster_id, LT_CLUSTER);
	assert_int_equal(info.term, 0);
	assert_int_equal(info.voted_for, 0);
	assert_int_equal(info.first_index, 1);
	assert_int_equal(info.last_index, 1);
	assert_false(info.has_snapshot);
	assert_int_equal(info.log_slots, 8);
	/* A new format must not reuse the nonce; with a new one it starts
	 * over, and the old store's entry 1 is not its entry 1. */
	assert_int_equal(ls_format(&t.ls, &t.dev, &p), -AION_EEXIST);
	p.nonce++;
	p.server_id = 9;
	assert_int_equal(ls_format(&t.ls, &t.dev, &p), 0);
	lt_reopen(&t);
	ls_info(&t.ls, &info);
	assert_int_equal(info.server_id, 9);
	assert_int_equal(info.last_index, 0);
	lt_end(&t);
}

static void test_layout_16mib(void **state)
{
	struct ls_layout lay;

	(void)state;
	assert_int_equal(ls_layout_make(32768, LS_SNAP_DEFAULT, &lay), 0);
	assert_int_equal(lay.snap_blocks, 257);
	assert_int_equal(lay.snap_start[1], 2 + 257);
	assert_int_equal(lay.log_start, 2 + 2 * 257);
	assert_int_equal(lay.log_slots, (32768 - 516) / 3);
	printf("# 16 MiB region, 128 KiB snapshots: %llu log slots; "
	       "struct ls: %zu bytes\n", (unsigned long long)lay.log_slots,
	       sizeof(struct ls));
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* meshd's region filled to the last slot, reopened and read back. */
static void test_full_16mib(void **state)
{
	static struct ls ls;
	static uint8_t payload[LS_ENTRY_MAX], got[LS_ENTRY_MAX];
	struct ls_format_params p = lt_params(LS_SNAP_DEFAULT);
	struct ls_entry e = { .term = 1 };
	struct ls_info info;
	struct ramdev d;
	struct ls_dev dev;
	double t0;
	long reads;

	(void)state;
	ramdev_init(&d, 32768, 3);
	dev = ramdev_dev(&d);
	assert_int_equal(ls_format(&ls, &dev, &p), 0);
	for (e.index = 1; e.index <= 10750; e.index++) {
		e.len = (uint32_t)(e.index % 300);
		lt_fill(payload, e.len, e.index);
		assert_int_equal(ls_append(&ls, &e, payload), 0);
	}
	assert_int_equal(ls_append(&ls, &e, payload), -AION_ENOSPC);
	assert_int_equal(ls_sync(&ls), 0);
	t0 = now_ms();
	reads = d.reads;
	assert_int_equal(ls_open(&ls, &dev), 0);
	printf("# open of a full 16 MiB store: 10750 entries, %ld block reads, "
	       "%.1f ms (host, sanitizers)\n", d.reads - reads, now_ms() - t0);
	ls_info(&ls, &info);
	assert_int_equal(info.last_index, 10750);
	for (uint64_t i = 1; i <= 10750; i++) {
		assert_int_equal(ls_read(&ls, i, &e, got, sizeof(got)), 0);
		lt_fill(payload, e.len, i);
		assert_int_equal(e.len, i % 300);
		assert_memory_equal(got, payload, e.len);
	}
	ramdev_free(&d);
}

static void test_malformed_sizes(void **state)
{
	struct lt t;
	struct ls_format_params p = lt_params(LT_SNAP);
	struct ls_entry e = { .index = 1, .term = 1, .len = LS_ENTRY_MAX + 1 };
	struct ls_snap_meta sm = { .index = 1, .term = 1, .conf_len = LS_CONF_MAX + 1 };
	uint8_t buf[LS_ENTRY_MAX + 1] = {0};
	struct ls_dev small;

	(void)state;
	lt_start(&t, LT_SNAP, 8);
	small = t.dev;
	small.blocks = lt_blocks(LT_SNAP, LS_SLOTS_MIN) - 1;
	assert_int_equal(ls_format(&t.ls, &small, &p), -AION_EINVAL);
	p.snap_max = 0;
	assert_int_equal(ls_format(&t.ls, &t.dev, &p), -AION_EINVAL);
	p.snap_max = LS_SNAP_LIMIT + 1;
	assert_int_equal(ls_format(&t.ls, &t.dev, &p), -AION_EINVAL);
	p = lt_params(LT_SNAP);
	p.server_id = 0;
	assert_int_equal(ls_format(&t.ls, &t.dev, &p), -AION_EINVAL);
	/* The region handed to open is smaller than the one formatted. */
	small.blocks = t.dev.blocks - 1;
	assert_int_equal(ls_open(&t.ls, &small), -AION_EINVAL);
	small = t.dev;
	small.flush = NULL;
	assert_int_equal(ls_open(&t.ls, &small), -AION_EINVAL);
	lt_reopen(&t);
	assert_int_equal(ls_append(&t.ls, &e, buf), -AION_EINVAL);
	e.len = 1;
	e.index = 2;
	assert_int_equal(ls_append(&t.ls, &e, buf), -AION_EINVAL);
	assert_int_equal(ls_snap_begin(&t.ls, &sm), -AION_EINVAL);
	assert_int_equal(ls_compact(&t.ls, 0), -AION_EINVAL);   /* no snapshot */
	lt_append(&t, 1, 1, 100);
	assert_int_equal(ls_read(&t.ls, 1, &e, buf, 99), -AION_ERANGE);
	assert_int_equal(ls_read(&t.ls, 2, &e, buf, sizeof(buf)), -AION_ENOENT);
	sm.conf_len = 0;
	assert_int_equal(ls_snap_begin(&t.ls, &sm), 0);
	assert_int_equal(ls_snap_write(&t.ls, buf, LT_SNAP / 2), 0);
	assert_int_equal(ls_snap_write(&t.ls, buf, LT_SNAP / 2 + 1), -AION_ENOSPC);
	lt_end(&t);
}

static void test_round_trip(void **state)
{
	static const uint32_t lens[] = { 0, 1, 463, 464, 465, 975, 976, 977, 1024 };
	struct lt t;
	struct ls_info info;
	uint64_t term;

	(void)state;
	lt_start(&t, LT_SNAP, 64);
	for (uint64_t i = 1; i <= 60; i++)
		lt_append(&t, i, 1 + i / 10, lens[i % 9]);
	assert_int_equal(ls_sync(&t.ls), 0);
	lt_reopen(&t);
	ls_info(&t.ls, &info);
	assert_int_equal(info.first_index, 1);
	assert_int_equal(info.last_index, 60);
	assert_int_equal(info.last_term, 7);
	lt_check_log(&t);
	assert_int_equal(ls_term(&t.ls, 0, &term), 0);
	assert_int_equal(term, 0);
	assert_int_equal(ls_term(&t.ls, 25, &term), 0);
	assert_int_equal(term, 3);
	assert_int_equal(ls_term(&t.ls, 61, &term), -AION_ENOENT);
	lt_end(&t);
}

/* The device calls a batch costs: what the header promises. */
static void test_sync_costs(void **state)
{
	struct lt t;
	long w, f;

	(void)state;
	lt_start(&t, LT_SNAP, 8);
	lt_reopen(&t);
	w = t.d.writes;
	f = t.d.flushes;
	for (uint64_t i = 1; i <= 3; i++)
		lt_append(&t, i, 1, 600);           /* one write each */
	assert_int_equal(t.d.writes - w, 3);
	assert_int_equal(ls_sync(&t.ls), 0);      /* appends only: one flush */
	assert_int_equal(t.d.writes - w, 3);
	assert_int_equal(t.d.flushes - f, 1);
	assert_int_equal(ls_sync(&t.ls), 0);      /* nothing to do */
	assert_int_equal(t.d.flushes - f, 1);
	assert_int_equal(ls_set_hard_state(&t.ls, 1, LT_SERVER), 0);
	lt_append(&t, 4, 1, 10);
	assert_int_equal(ls_sync(&t.ls), 0);      /* flush, metadata, flush */
	assert_int_equal(t.d.writes - w, 5);
	assert_int_equal(t.d.flushes - f, 3);
	assert_int_equal(ls_truncate(&t.ls, 3), 0);   /* metadata, flush */
	assert_int_equal(t.d.writes - w, 6);
	assert_int_equal(t.d.flushes - f, 4);
	lt_end(&t);
}

static uint64_t meta_seq(const struct ramdev *d, int copy)
{
	return le64_get(d->cur + copy * LS_BLOCK + LS_META_OFF_SEQ);
}

static void test_hard_state_alternates(void **state)
{
	struct lt t;
	struct ls_info info;

	(void)state;
	lt_start(&t, LT_SNAP, 8);
	for (uint64_t term = 1; term <= 9; term++) {
		uint64_t s0 = meta_seq(&t.d, 0), s1 = meta_seq(&t.d, 1);
		int older = s0 < s1 ? 0 : 1;
		assert_int_equal(ls_set_hard_state(&t.ls, term, term % 3), 0);
		assert_int_equal(ls_sync(&t.ls), 0);
		/* Only the older copy was written, with the next seq. */
		assert_int_equal(meta_seq(&t.d, older), (s0 > s1 ? s0 : s1) + 1);
		assert_int_equal(meta_seq(&t.d, !older), older ? s0 : s1);
		lt_reopen(&t);
		ls_info(&t.ls, &info);
		assert_int_equal(info.term, term);
		assert_int_equal(info.voted_for, term % 3);
	}
	assert_int_equal(ls_set_hard_state(&t.ls, 3, 0), -AION_EINVAL);
	lt_end(&t);
}

/* The boot counter: +1 per start, kept across reopens and the log's own
 * changes, never handed out twice even when a start crashed before its
 * sync (the caller syncs before using the value). */
static void test_boot_counter(void **state)
{
	struct lt t;
	struct ls_info info;
	uint32_t boot = 0;

	(void)state;
	lt_start(&t, LT_SNAP, 8);
	ls_info(&t.ls, &info);
	assert_int_equal(info.boot, 0);
	for (uint32_t want = 1; want <= 5; want++) {
		assert_int_equal(ls_next_boot(&t.ls, 0, &boot), 0);
		assert_int_equal(boot, want);
		assert_int_equal(ls_sync(&t.ls), 0);
		lt_append(&t, want, 1, 20);
		assert_int_equal(ls_set_hard_state(&t.ls, want, 0), 0);
		assert_int_equal(ls_sync(&t.ls), 0);
		ramdev_crash(&t.d);
		lt_reopen(&t);
		ls_info(&t.ls, &info);
		assert_int_equal(info.boot, want);
	}
	/* A start that crashed before its sync used nothing: the next start
	 * may have the same number, and none below the last synced one. */
	assert_int_equal(ls_next_boot(&t.ls, 0, &boot), 0);
	assert_int_equal(boot, 6);
	ramdev_crash(&t.d);
	lt_reopen(&t);
	ls_info(&t.ls, &info);
	assert_int_equal(info.boot, 5);
	/* A floor (the host's clock) lifts it, a lower one does not lower it. */
	assert_int_equal(ls_next_boot(&t.ls, 1000, &boot), 0);
	assert_int_equal(boot, 1000);
	assert_int_equal(ls_next_boot(&t.ls, 10, &boot), 0);
	assert_int_equal(boot, 1001);
	assert_int_equal(ls_next_boot(&t.ls, 1001, &boot), 0);
	assert_int_equal(boot, 1002);
	assert_int_equal(ls_next_boot(NULL, 0, &boot), -AION_EINVAL);
	assert_int_equal(ls_next_boot(&t.ls, 0, NULL), -AION_EINVAL);
	lt_end(&t);
}

static void test_truncate_reopen(void **state)
{
	struct lt t;

	(void)state;
	lt_start(&t, LT_SNAP, 16);
	for (uint64_t i = 1; i <= 10; i++)
		lt_append(&t, i, 1, 30);
	assert_int_equal(ls_sync(&t.ls), 0);
	assert_int_equal(ls_truncate(&t.ls, 6), 0);
	/* Durable when it returns: a crash now keeps it. */
	ramdev_crash(&t.d);
	lt_reopen(&t);
	assert_int_equal(lt_last(&t), 5);
	lt_check_log(&t);
	for (uint64_t i = 6; i <= 8; i++)
		lt_append(&t, i, 2, 50);
	assert_int_equal(ls_sync(&t.ls), 0);
	lt_reopen(&t);
	assert_int_equal(lt_last(&t), 8);
	lt_check_log(&t);
	assert_int_equal(ls_truncate(&t.ls, 0), -AION_EINVAL);
	lt_end(&t);
}

/*
 * Entry 6 appended again with the very bytes it had: only the epoch
 * tells it from the removed one, and the removed 7..10 behind it must
 * stay removed.
 */
static void test_truncate_same_bytes(void **state)
{
	struct lt t;

	(void)state;
	lt_start(&t, LT_SNAP, 16);
	for (uint64_t i = 1; i <= 10; i++)
		lt_append(&t, i, 1, 30);
	assert_int_equal(ls_sync(&t.ls), 0);
	assert_int_equal(ls_truncate(&t.ls, 6), 0);
	lt_append(&t, 6, 1, 30);
	assert_int_equal(ls_sync(&t.ls), 0);
	lt_reopen(&t);
	assert_int_equal(lt_last(&t), 6);
	lt_check_log(&t);
	lt_end(&t);
}

static bool keep_slot_of_6(uint64_t block, void *arg)
{
	struct lt *t = arg;

	return block == lt_slot_block(t, 6);
}

/*
 * A crash keeps entry 6 but loses 5 (a hole). Recovery stops at 4; once
 * a new 5 is appended next to it, the old 6 must not follow it.
 */
static void test_hole_fenced(void **state)
{
	struct lt t;

	(void)state;
	lt_start(&t, LT_SNAP, 16);
	for (uint64_t i = 1; i <= 4; i++)
		lt_append(&t, i, 1, 30);
	assert_int_equal(ls_sync(&t.ls), 0);
	lt_append(&t, 5, 1, 30);
	lt_append(&t, 6, 1, 30);
	ramdev_crash_keep(&t.d, keep_slot_of_6, &t);
	lt_reopen(&t);
	assert_int_equal(lt_last(&t), 4);
	lt_append(&t, 5, 2, 30);
	assert_int_equal(ls_sync(&t.ls), 0);
	lt_reopen(&t);
	assert_int_equal(lt_last(&t), 5);
	lt_check_log(&t);
	lt_end(&t);
}

static bool keep_log_blocks(uint64_t block, void *arg)
{
	struct lt *t = arg;

	return block >= t->ls.lay.log_start;
}

/*
 * A hard-state change, then an append; the crash keeps the record but
 * not the metadata. The entry came after the change, so it must not
 * survive without it.
 */
static void test_append_after_meta_change(void **state)
{
	struct lt t;
	struct ls_info info;

	(void)state;
	lt_start(&t, LT_SNAP, 16);
	lt_append(&t, 1, 1, 30);
	assert_int_equal(ls_sync(&t.ls), 0);
	assert_int_equal(ls_set_hard_state(&t.ls, 2, LT_SERVER), 0);
	lt_append(&t, 2, 2, 30);
	ramdev_crash_keep(&t.d, keep_log_blocks, &t);
	lt_reopen(&t);
	ls_info(&t.ls, &info);
	assert_int_equal(info.term, 0);
	assert_int_equal(info.last_index, 1);
	lt_end(&t);
}

/* Compaction over many laps of an 8-slot ring, reopening as it goes. */
static void test_compaction_laps(void **state)
{
	struct lt t;
	struct ls_info info;
	uint64_t next = 1;

	(void)state;
	lt_start(&t, LT_SNAP, 8);
	for (int cycle = 0; cycle < 60; cycle++) {
		ls_info(&t.ls, &info);
		for (; next - info.first_index < 8; next++)
			lt_append(&t, next, 1 + next / 16, (uint32_t)(next * 37 % 1025));
		/* Full: one more needs a compaction first. */
		assert_int_equal(lt_try_append(&t, next, 1, 5), -AION_ENOSPC);
		lt_snapshot(&t, next - 3, 100 + (uint32_t)cycle * 13);
		assert_int_equal(ls_compact(&t.ls, next - 3 - cycle % 2), 0);
		if (cycle % 3 == 0) {
			assert_int_equal(ls_sync(&t.ls), 0);
			lt_reopen(&t);
		}
		lt_check_log(&t);
		lt_check_snapshot(&t);
	}
	ls_info(&t.ls, &info);
	printf("# %llu entries through 8 slots: %llu laps\n",
	       (unsigned long long)info.last_index,
	       (unsigned long long)(info.last_index / 8));
	assert_true(info.last_index / 8 >= 20);
	lt_end(&t);
}

static void test_snapshot_replace(void **state)
{
	struct lt t;
	uint8_t junk[700];

	(void)state;
	lt_start(&t, LT_SNAP, 16);
	for (uint64_t i = 1; i <= 12; i++)
		lt_append(&t, i, 1, 20);
	lt_snapshot(&t, 5, 1000);
	lt_reopen(&t);
	lt_check_snapshot(&t);
	lt_snapshot(&t, 9, LT_SNAP);
	lt_reopen(&t);
	lt_check_snapshot(&t);
	/* Half a snapshot, then a crash: the old one stays. */
	struct ls_snap_meta m = { .index = 11, .term = 1 };
	memset(junk, 0x5a, sizeof(junk));
	assert_int_equal(ls_snap_begin(&t.ls, &m), 0);
	assert_int_equal(ls_snap_write(&t.ls, junk, sizeof(junk)), 0);
	assert_int_equal(ls_sync(&t.ls), 0);
	ramdev_crash(&t.d);
	lt_reopen(&t);
	lt_check_snapshot(&t);
	/* A commit whose metadata write fails: the old one stays. */
	assert_int_equal(ls_snap_begin(&t.ls, &m), 0);
	assert_int_equal(ls_snap_write(&t.ls, junk, sizeof(junk)), 0);
	/* The last block and the header are written, flushed; then the
	 * metadata write fails. */
	t.d.fail_at = t.d.calls + 3;
	assert_int_equal(ls_snap_commit(&t.ls), -AION_EIO);
	assert_int_equal(ls_sync(&t.ls), -AION_EIO);
	ramdev_crash(&t.d);
	lt_reopen(&t);
	lt_check_snapshot(&t);
	lt_end(&t);
}

/*
 * The last record damaged at every offset of its header and payload, by
 * a flipped bit or by a write torn there (the rest of the record the
 * old bytes, here their complement): recovery drops exactly that record.
 */
static void damage_last_record(uint32_t len, bool torn)
{
	struct lt t;
	uint8_t *rec, good[LS_SLOT_BLOCKS * LS_BLOCK];
	uint32_t size = LS_REC_HDR + len;

	lt_start(&t, LT_SNAP, 8);
	for (uint64_t i = 1; i <= 6; i++)
		lt_append(&t, i, 1, i == 6 ? len : 40);
	assert_int_equal(ls_sync(&t.ls), 0);
	rec = t.d.cur + lt_slot_block(&t, 6) * LS_BLOCK;
	memcpy(good, rec, size);
	for (uint32_t off = 0; off < size; off++) {
		struct lt trial;
		lt_clone(&trial, &t);
		rec = trial.d.cur + lt_slot_block(&trial, 6) * LS_BLOCK;
		if (torn)
			for (uint32_t k = off; k < size; k++)
				rec[k] = (uint8_t)~good[k];
		else
			rec[off] ^= (uint8_t)(1u << (off % 8));
		ramdev_settle(&trial.d);
		lt_reopen(&trial);
		assert_int_equal(lt_last(&trial), 5);
		lt_check_log(&trial);
		lt_end(&trial);
	}
	lt_end(&t);
}

static void test_flipped_bits_last_record(void **state)
{
	(void)state;
	damage_last_record(0, false);
	damage_last_record(300, false);
	damage_last_record(LS_ENTRY_MAX, false);
}

static void test_torn_last_record(void **state)
{
	(void)state;
	damage_last_record(0, true);
	damage_last_record(464, true);     /* ends on a block boundary */
	damage_last_record(LS_ENTRY_MAX, true);
}

/* Every byte of the current metadata copy, then of both. */
static void test_metadata_copies(void **state)
{
	struct lt t;
	struct ls_info info;

	(void)state;
	lt_start(&t, LT_SNAP, 8);
	assert_int_equal(ls_set_hard_state(&t.ls, 4, 1), 0);
	assert_int_equal(ls_sync(&t.ls), 0);
	assert_int_equal(ls_set_hard_state(&t.ls, 5, 2), 0);
	assert_int_equal(ls_sync(&t.ls), 0);
	int cur = meta_seq(&t.d, 0) > meta_seq(&t.d, 1) ? 0 : 1;
	for (uint32_t off = 0; off < LS_BLOCK; off++) {
		struct lt trial;
		lt_clone(&trial, &t);
		trial.d.cur[cur * LS_BLOCK + off] ^= 0x10;
		lt_reopen(&trial);
		ls_info(&trial.ls, &info);
		assert_int_equal(info.term, 4);   /* the other copy: one change older */
		/* Both copies (past the magic: without it both would read as
		 * a region never formatted). */
		trial.d.cur[0 * LS_BLOCK + off] ^= 0x01;
		trial.d.cur[1 * LS_BLOCK + off] ^= 0x01;
		if (off >= LS_META_OFF_CRC)
			assert_int_equal(ls_open(&trial.ls, &trial.dev), -AION_ECORRUPT);
		lt_end(&trial);
	}
	/* The older copy damaged: the current one serves. */
	t.d.cur[!cur * LS_BLOCK + 100] ^= 1;
	lt_reopen(&t);
	ls_info(&t.ls, &info);
	assert_int_equal(info.term, 5);
	lt_end(&t);
}

static void corrupt_snapshot_data(struct lt *t)
{
	uint32_t slot = t->ls.mem.snap_slot;

	t->d.cur[(t->ls.lay.snap_start[slot] + 1) * LS_BLOCK + 3] ^= 0x40;
}

/*
 * A damaged current snapshot: the other slot's older one stands in only
 * while the log still holds every entry after it.
 */
static void test_snapshot_corrupt(void **state)
{
	struct lt t, trial;

	(void)state;
	lt_start(&t, LT_SNAP, 16);
	for (uint64_t i = 1; i <= 12; i++)
		lt_append(&t, i, 1, 20);
	lt_snapshot(&t, 4, 900);
	lt_snapshot(&t, 8, 1500);
	assert_int_equal(ls_compact(&t.ls, 4), 0);   /* keeps 5.. */
	assert_int_equal(ls_sync(&t.ls), 0);
	lt_clone(&trial, &t);
	corrupt_snapshot_data(&trial);
	lt_reopen(&trial);
	assert_int_equal(ls_snapshot(&trial.ls)->index, 4);
	lt_end(&trial);
	assert_int_equal(ls_compact(&t.ls, 8), 0);   /* now 5..8 are gone */
	assert_int_equal(ls_sync(&t.ls), 0);
	lt_clone(&trial, &t);
	corrupt_snapshot_data(&trial);
	assert_int_equal(ls_open(&trial.ls, &trial.dev), -AION_ECORRUPT);
	lt_end(&trial);
	lt_end(&t);
}

/* A device that dies mid-operation: the error, then the same error from
 * every later call, then a reopen that recovers what was synced. */
static void test_device_error(void **state)
{
	struct lt t;
	struct ls_entry e;
	uint8_t buf[LS_ENTRY_MAX];

	(void)state;
	lt_start(&t, LT_SNAP, 16);
	for (uint64_t i = 1; i <= 3; i++)
		lt_append(&t, i, 1, 20);
	assert_int_equal(ls_sync(&t.ls), 0);
	t.d.fail_at = t.d.calls + 1;
	lt_append(&t, 4, 1, 20);
	assert_int_equal(ls_sync(&t.ls), -AION_EIO);
	assert_int_equal(ls_set_hard_state(&t.ls, 9, 9), -AION_EIO);
	assert_int_equal(ls_read(&t.ls, 1, &e, buf, sizeof(buf)), -AION_EIO);
	assert_int_equal(lt_try_append(&t, 5, 1, 1), -AION_EIO);
	ramdev_crash(&t.d);
	lt_reopen(&t);
	assert_true(lt_last(&t) == 3 || lt_last(&t) == 4);
	lt_check_log(&t);
	lt_end(&t);
}

void test_crash_random(void **state);

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_region),
		cmocka_unit_test(test_format_identity),
		cmocka_unit_test(test_layout_16mib),
		cmocka_unit_test(test_full_16mib),
		cmocka_unit_test(test_malformed_sizes),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_sync_costs),
		cmocka_unit_test(test_hard_state_alternates),
		cmocka_unit_test(test_boot_counter),
		cmocka_unit_test(test_truncate_reopen),
		cmocka_unit_test(test_truncate_same_bytes),
		cmocka_unit_test(test_hole_fenced),
		cmocka_unit_test(test_append_after_meta_change),
		cmocka_unit_test(test_compaction_laps),
		cmocka_unit_test(test_snapshot_replace),
		cmocka_unit_test(test_flipped_bits_last_record),
		cmocka_unit_test(test_torn_last_record),
		cmocka_unit_test(test_metadata_copies),
		cmocka_unit_test(test_snapshot_corrupt),
		cmocka_unit_test(test_device_error),
		cmocka_unit_test(test_crash_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
