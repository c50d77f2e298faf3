/* The log store test harness (ls_testlib.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "ls_testlib.h"

#include "aion/error.h"
#include "common/xorshift.h"

uint64_t lt_blocks(uint32_t snap_max, uint64_t slots)
{
	return 2 + 2 * (1 + (snap_max + LS_BLOCK - 1) / LS_BLOCK) +
	       slots * LS_SLOT_BLOCKS;
}

struct ls_format_params lt_params(uint32_t snap_max)
{
	return (struct ls_format_params){ .server_id = LT_SERVER,
		.cluster_id = LT_CLUSTER, .nonce = LT_NONCE, .snap_max = snap_max };
}

void lt_fill(uint8_t *p, uint32_t len, uint64_t seed)
{
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;

	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(xorshift64(&s) >> 56);
}

static uint64_t entry_seed(uint64_t index, uint64_t term, uint32_t len)
{
	return index * 1000003u + term * 31u + len;
}

void lt_start(struct lt *t, uint32_t snap_max, uint64_t slots)
{
	struct ls_format_params p = lt_params(snap_max);

	memset(t, 0, sizeof(*t));
	ramdev_init(&t->d, lt_blocks(snap_max, slots), 12345);
	t->dev = ramdev_dev(&t->d);
	assert_int_equal(ls_format(&t->ls, &t->dev, &p), 0);
}

void lt_end(struct lt *t)
{
	ramdev_free(&t->d);
}

void lt_reopen(struct lt *t)
{
	int err = ls_open(&t->ls, &t->dev);

	if (err)
		fail_msg("ls_open: %s", aion_error_name(err));
}

void lt_clone(struct lt *dst, const struct lt *src)
{
	*dst = *src;
	ramdev_clone(&dst->d, &src->d);
	dst->dev = ramdev_dev(&dst->d);
}

int lt_try_append(struct lt *t, uint64_t index, uint64_t term, uint32_t len)
{
	uint8_t payload[LS_ENTRY_MAX];
	struct ls_entry e = { .index = index, .term = term, .len = len,
			      .type = (uint8_t)(index + term) };
	int err;

	assert_true(index < LT_MAXIDX && len <= LS_ENTRY_MAX);
	lt_fill(payload, len, entry_seed(index, term, len));
	err = ls_append(&t->ls, &e, payload);
	if (!err)
		t->e[index] = (struct lt_entry){ .term = term, .len = len, .set = true };
	return err;
}

void lt_append(struct lt *t, uint64_t index, uint64_t term, uint32_t len)
{
	int err = lt_try_append(t, index, term, len);

	if (err)
		fail_msg("ls_append %llu: %s", (unsigned long long)index,
			 aion_error_name(err));
}

uint64_t lt_last(struct lt *t)
{
	struct ls_info info;

	ls_info(&t->ls, &info);
	return info.last_index;
}

uint64_t lt_slot_block(const struct lt *t, uint64_t index)
{
	return t->ls.lay.log_start + index % t->ls.lay.log_slots * LS_SLOT_BLOCKS;
}

/* Data written in uneven pieces, to cross block edges every way. */
void lt_snapshot(struct lt *t, uint64_t index, uint32_t len)
{
	struct ls_snap_meta m = { .index = index, .conf_len = (uint32_t)(index % LS_CONF_MAX) };
	uint8_t data[LT_SNAP];
	uint32_t done = 0, piece = 1;

	assert_true(len <= sizeof(data));
	assert_int_equal(ls_term(&t->ls, index, &m.term), 0);
	lt_fill(m.conf, m.conf_len, index + 77);
	lt_fill(data, len, index);
	assert_int_equal(ls_snap_begin(&t->ls, &m), 0);
	while (done < len) {
		uint32_t n = piece < len - done ? piece : len - done;
		assert_int_equal(ls_snap_write(&t->ls, data + done, n), 0);
		done += n;
		piece = piece * 3 + 1;
	}
	assert_int_equal(ls_snap_commit(&t->ls), 0);
	t->has_snap = true;
	t->snap_index = index;
	t->snap_term = m.term;
	t->snap_len = len;
	t->snap_conf_len = m.conf_len;
}

void lt_check_log(struct lt *t)
{
	uint8_t got[LS_ENTRY_MAX], want[LS_ENTRY_MAX];
	struct ls_info info;
	struct ls_entry e;

	ls_info(&t->ls, &info);
	for (uint64_t i = info.first_index; i <= info.last_index; i++) {
		assert_true(i < LT_MAXIDX && t->e[i].set);
		assert_int_equal(ls_read(&t->ls, i, &e, got, sizeof(got)), 0);
		assert_int_equal(e.index, i);
		assert_int_equal(e.term, t->e[i].term);
		assert_int_equal(e.len, t->e[i].len);
		assert_int_equal(e.type, (uint8_t)(i + e.term));
		lt_fill(want, e.len, entry_seed(i, e.term, e.len));
		assert_memory_equal(got, want, e.len);
	}
}

void lt_check_snapshot(struct lt *t)
{
	const struct ls_snap_meta *m = ls_snapshot(&t->ls);
	uint8_t got[LT_SNAP], want[LT_SNAP], conf[LS_CONF_MAX] = {0};
	uint32_t done = 0, piece = 700;

	assert_true(t->has_snap && m);
	assert_int_equal(m->index, t->snap_index);
	assert_int_equal(m->term, t->snap_term);
	assert_int_equal(m->len, t->snap_len);
	assert_int_equal(m->conf_len, t->snap_conf_len);
	lt_fill(conf, m->conf_len, m->index + 77);
	assert_memory_equal(m->conf, conf, LS_CONF_MAX);
	while (done < m->len) {
		uint32_t n = piece < m->len - done ? piece : m->len - done;
		assert_int_equal(ls_snap_read(&t->ls, done, got + done, n), 0);
		done += n;
		piece = piece / 2 + 1;
	}
	lt_fill(want, m->len, m->index);
	assert_memory_equal(got, want, m->len);
	assert_int_equal(ls_snap_read(&t->ls, 0, got, m->len + 1), -AION_EINVAL);
}
