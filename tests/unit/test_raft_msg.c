/*
 * The Raft message codec (mesh/raft_msg.c) and the configuration encoding
 * (mesh/raft_conf.c): round trips of every type at their largest, the
 * exact byte layout of one message, refusal of malformed input, and
 * arbitrary bytes (decode must not crash, and what it accepts re-encodes
 * to the same bytes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/xorshift.h"
#include "mesh/raft.h"

static struct raft_msg m, d;
static uint8_t buf[RAFT_MSG_MAX + 64];

static struct raft_conf full_conf(void)
{
	struct raft_conf c = { .n = RAFT_SERVERS_MAX };

	for (unsigned i = 0; i < c.n; i++)
		c.s[i] = (struct raft_server){ 0x0102030405060700ull + i,
					       (uint16_t)(0xfff0 + i), i % 2 == 0 };
	return c;
}

static void base(uint8_t type)
{
	memset(&m, 0, sizeof(m));
	m.type = type;
	m.from = 0x1111111111111111ull;
	m.to = 0x2222222222222222ull;
	m.term = 0x3333333333333333ull;
}

/* Encodes m, decodes it, re-encodes: same bytes, same fields. */
static int round_trip(void)
{
	uint8_t again[RAFT_MSG_MAX];
	int len = raft_msg_encode(&m, buf, sizeof(buf));

	assert_true(len > 0 && len <= (int)RAFT_MSG_MAX);
	assert_int_equal(raft_msg_decode(buf, (size_t)len, &d), 0);
	assert_int_equal(d.type, m.type);
	assert_int_equal(d.flags, m.flags);
	assert_int_equal(d.from, m.from);
	assert_int_equal(d.to, m.to);
	assert_int_equal(d.term, m.term);
	assert_int_equal(raft_msg_encode(&d, again, sizeof(again)), len);
	assert_memory_equal(again, buf, (size_t)len);
	return len;
}

static void test_round_trip_every_type(void **state)
{
	(void)state;
	for (uint8_t t = RAFT_MSG_PREVOTE; t <= RAFT_MSG_TYPE_MAX; t++) {
		base(t);
		m.index = 0x21a2a3a4a5a6a7a8ull;
		m.log_term = 0x31b2b3b4b5b6b7b8ull;
		m.commit = 0xc1ull;
		m.hint = 0xd1ull;
		m.seq = 0xe1ull;
		m.offset = 0xf1f2f3f4u;
		if (t == RAFT_MSG_VOTE_RESP || t == RAFT_MSG_APPEND_RESP)
			m.flags = RAFT_MSG_REJECT;
		if (t == RAFT_MSG_SNAP || t == RAFT_MSG_SNAP_RESP)
			m.flags = RAFT_MSG_DONE;
		if (t == RAFT_MSG_SNAP) {
			m.conf = full_conf();
			m.len = RAFT_SNAP_CHUNK;
			memset(m.data, 0x5a, m.len);
		}
		(void)round_trip();
		if (t == RAFT_MSG_VOTE || t == RAFT_MSG_APPEND || t == RAFT_MSG_SNAP) {
			assert_int_equal(d.index, m.index);
			assert_int_equal(d.log_term, m.log_term);
		}
		if (t == RAFT_MSG_APPEND_RESP) {
			assert_int_equal(d.index, m.index);
			assert_int_equal(d.hint, m.hint);
			assert_int_equal(d.seq, m.seq);
		}
		if (t == RAFT_MSG_SNAP) {
			assert_int_equal(d.offset, m.offset);
			assert_int_equal(d.conf.n, RAFT_SERVERS_MAX);
			assert_int_equal(d.conf.s[8].id, m.conf.s[8].id);
			assert_int_equal(d.conf.s[8].node, m.conf.s[8].node);
			assert_true(d.conf.s[8].voter);
			assert_false(d.conf.s[7].voter);
			assert_memory_equal(d.data, m.data, m.len);
		}
	}
}

static void add_entry(uint64_t term, uint8_t type, uint16_t len, uint8_t fill)
{
	struct raft_msg_entry *e = &m.ents[m.nents++];

	*e = (struct raft_msg_entry){ term, type, len, m.len };
	memset(m.data + m.len, fill, len);
	m.len = (uint16_t)(m.len + len);
}

static void test_append_sizes(void **state)
{
	int len;

	(void)state;
	base(RAFT_MSG_APPEND);
	add_entry(7, RAFT_ENTRY_NORMAL, RAFT_ENTRY_MAX, 0x77);
	len = round_trip();
	assert_true(len <= (int)RAFT_MSG_MAX);     /* a full entry fits */
	assert_int_equal(d.nents, 1);
	assert_int_equal(d.ents[0].len, RAFT_ENTRY_MAX);
	assert_memory_equal(d.data, m.data, RAFT_ENTRY_MAX);
	/* As many empty entries as the limit allows, of every type. */
	base(RAFT_MSG_APPEND);
	for (unsigned i = 0; i < RAFT_MSG_ENTS_MAX; i++)
		add_entry(i, (uint8_t)(1 + i % 3), 0, 0);
	len = round_trip();
	assert_true(len <= (int)RAFT_MSG_MAX);
	assert_int_equal(d.nents, RAFT_MSG_ENTS_MAX);
	assert_int_equal(d.ents[RAFT_MSG_ENTS_MAX - 1].term, RAFT_MSG_ENTS_MAX - 1);
	/* One entry more than fits: refused, not truncated. */
	base(RAFT_MSG_APPEND);
	add_entry(1, RAFT_ENTRY_NORMAL, RAFT_ENTRY_MAX, 1);
	add_entry(1, RAFT_ENTRY_NORMAL, 8, 2);       /* fits the data array, not the message */
	assert_int_equal(raft_msg_encode(&m, buf, sizeof(buf)), -AION_ENOSPC);
}

/* The layout of mesh/raft_msg.c's header comment, byte for byte. */
static void test_vote_bytes(void **state)
{
	static const uint8_t want[] = {
		RAFT_MSG_VOTE, 0,
		0, 0, 0, 0, 0, 0, 0, 1,        /* from */
		0, 0, 0, 0, 0, 0, 0, 2,        /* to */
		0, 0, 0, 0, 0, 0, 0, 3,        /* term */
		0, 0, 0, 0, 0, 0, 1, 4,        /* last index 260 */
		0, 0, 0, 0, 0, 0, 0, 2,        /* last term */
	};

	(void)state;
	memset(&m, 0, sizeof(m));
	m.type = RAFT_MSG_VOTE;
	m.from = 1;
	m.to = 2;
	m.term = 3;
	m.index = 260;
	m.log_term = 2;
	assert_int_equal(raft_msg_encode(&m, buf, sizeof(buf)), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

static int encode_append(void)
{
	base(RAFT_MSG_APPEND);
	m.term = 9;
	m.log_term = 9;
	add_entry(9, RAFT_ENTRY_CONFIG, 3, 0xab);
	add_entry(9, RAFT_ENTRY_NOOP, 0, 0);
	return raft_msg_encode(&m, buf, sizeof(buf));
}

static void expect_malformed(size_t len)
{
	assert_int_equal(raft_msg_decode(buf, len, &d), -AION_EMALFORMED);
}

static void test_malformed_refused(void **state)
{
	int len;

	(void)state;
	len = encode_append();
	assert_true(len > 0);
	for (int cut = 0; cut < len; cut++)
		expect_malformed((size_t)cut);          /* every truncation */
	assert_int_equal(raft_msg_decode(buf, (size_t)len, &d), 0);
	buf[len] = 0;
	expect_malformed((size_t)len + 1);              /* trailing byte */
	buf[0] = 0;
	expect_malformed((size_t)len);                  /* type 0 */
	buf[0] = RAFT_MSG_TYPE_MAX + 1;
	expect_malformed((size_t)len);                  /* unknown type */
	buf[0] = RAFT_MSG_APPEND;
	buf[1] = RAFT_MSG_REJECT;
	expect_malformed((size_t)len);                  /* flag not for APPEND */
	buf[1] = 0;
	memset(buf + 2, 0, 8);
	expect_malformed((size_t)len);                  /* from 0 */
	len = encode_append();
	buf[RAFT_MSG_APPEND_LEN + 8] = 0;               /* first entry's type */
	expect_malformed((size_t)len);
	len = encode_append();
	buf[RAFT_MSG_APPEND_LEN - 2] = 0xff;            /* nents 0xff02 */
	expect_malformed((size_t)len);
	len = encode_append();
	buf[RAFT_MSG_APPEND_LEN + 9] = 0x04;            /* entry len 1027 */
	expect_malformed((size_t)len);
	len = encode_append();
	memset(buf + RAFT_MSG_HDR_LEN, 0xff, 8);        /* prev index 2^62 - 2: */
	buf[RAFT_MSG_HDR_LEN] = 0x3f;                   /* its 2 entries end */
	buf[RAFT_MSG_HDR_LEN + 7] = 0xfe;               /* at RAFT_INDEX_MAX */
	assert_int_equal(raft_msg_decode(buf, (size_t)len, &d), 0);
	buf[RAFT_MSG_HDR_LEN + 7] = 0xff;               /* one past it */
	expect_malformed((size_t)len);
	memset(buf + RAFT_MSG_HDR_LEN, 0xff, 8);        /* 2^64 - 1: + 2 wraps */
	expect_malformed((size_t)len);
	len = encode_append();
	buf[RAFT_MSG_HDR_LEN - 8] = 0x80;               /* term 2^63 */
	expect_malformed((size_t)len);
	len = encode_append();
	buf[RAFT_MSG_APPEND_LEN + 7] = 0x0a;            /* entry term 10 > 9 */
	expect_malformed((size_t)len);
	len = encode_append();
	buf[RAFT_MSG_APPEND_LEN + 14 + 7] = 8;          /* 2nd entry: 9, then 8 */
	expect_malformed((size_t)len);
	len = encode_append();
	buf[RAFT_MSG_HDR_LEN + 15] = 10;                /* prev term 10 > 9 */
	expect_malformed((size_t)len);
	assert_int_equal(raft_msg_decode(buf, RAFT_MSG_MAX + 1, &d), -AION_EMALFORMED);
	assert_int_equal(raft_msg_decode(NULL, 10, &d), -AION_EMALFORMED);
}

static void test_snap_malformed_refused(void **state)
{
	struct raft_conf c = full_conf();
	size_t conf_at = RAFT_MSG_HDR_LEN + 20;
	int len;

	(void)state;
	base(RAFT_MSG_SNAP);
	m.conf = c;
	m.len = 10;
	len = raft_msg_encode(&m, buf, sizeof(buf));
	assert_true(len > 0);
	buf[conf_at] = RAFT_SERVERS_MAX + 1;            /* too many servers */
	expect_malformed((size_t)len);
	buf[conf_at] = RAFT_SERVERS_MAX;
	buf[conf_at + 1 + 11 + 7] = 0x00;               /* 2nd id = 1st id */
	expect_malformed((size_t)len);
	len = raft_msg_encode(&m, buf, sizeof(buf));
	buf[conf_at + 1 + 10] = 2;                      /* voter flag 2 */
	expect_malformed((size_t)len);
	len = raft_msg_encode(&m, buf, sizeof(buf));
	memset(buf + conf_at + 1, 0, 8);                /* id 0 */
	expect_malformed((size_t)len);
	m.len = RAFT_SNAP_CHUNK + 1;                    /* chunk too big */
	assert_int_equal(raft_msg_encode(&m, buf, sizeof(buf)), -AION_EINVAL);
}

static void test_encode_refuses(void **state)
{
	(void)state;
	base(RAFT_MSG_APPEND);
	assert_int_equal(raft_msg_encode(&m, buf, 10), -AION_ENOSPC);
	m.to = 0;
	assert_int_equal(raft_msg_encode(&m, buf, sizeof(buf)), -AION_EINVAL);
	base(RAFT_MSG_APPEND);
	add_entry(1, 7, 1, 0);                          /* unknown entry type */
	assert_int_equal(raft_msg_encode(&m, buf, sizeof(buf)), -AION_EINVAL);
	base(RAFT_MSG_APPEND);
	add_entry(1, RAFT_ENTRY_NORMAL, 4, 0);
	m.ents[0].off = (uint16_t)(m.len - 1);          /* past the data */
	assert_int_equal(raft_msg_encode(&m, buf, sizeof(buf)), -AION_EINVAL);
}

/* Random bytes, and valid messages with random bytes flipped. */
static void test_arbitrary_bytes(void **state)
{
	uint64_t rng = 0x1234567;
	unsigned accepted = 0;
	uint8_t again[RAFT_MSG_MAX];

	(void)state;
	for (unsigned i = 0; i < 200000; i++) {
		size_t len;
		int n;

		if (i % 2) {
			len = (size_t)(xorshift64(&rng) % (RAFT_MSG_MAX + 2));
			for (size_t k = 0; k < len; k++)
				buf[k] = (uint8_t)xorshift64(&rng);
			buf[0] = (uint8_t)(1 + xorshift64(&rng) % RAFT_MSG_TYPE_MAX);
		} else {
			len = (size_t)encode_append();
			buf[xorshift64(&rng) % len] ^= (uint8_t)(1u << (xorshift64(&rng) % 8));
		}
		if (raft_msg_decode(buf, len, &d) != 0)
			continue;
		accepted++;
		n = raft_msg_encode(&d, again, sizeof(again));
		assert_int_equal(n, (int)len);
		assert_memory_equal(again, buf, len);
	}
	print_message("raft codec: %u of 200000 mutated or random inputs decoded; all re-encoded identically\n",
		      accepted);
	assert_true(accepted > 0);
}

static void test_conf_changes(void **state)
{
	struct raft_conf c = { 0 };
	uint8_t b[128];
	struct raft_conf back;

	(void)state;
	assert_int_equal(raft_conf_apply(&c, RAFT_CONF_ADD_LEARNER, 5, 50), 0);
	assert_int_equal(raft_conf_apply(&c, RAFT_CONF_ADD_LEARNER, 5, 50), -AION_EEXIST);
	assert_int_equal(raft_conf_apply(&c, RAFT_CONF_ADD_LEARNER, 0, 1), -AION_EINVAL);
	assert_int_equal(raft_conf_voters(&c), 0);
	assert_int_equal(raft_conf_apply(&c, RAFT_CONF_PROMOTE, 5, 0), 0);
	assert_int_equal(raft_conf_apply(&c, RAFT_CONF_PROMOTE, 5, 0), -AION_EEXIST);
	assert_int_equal(raft_conf_apply(&c, RAFT_CONF_PROMOTE, 6, 0), -AION_ENOENT);
	assert_int_equal(raft_conf_apply(&c, RAFT_CONF_REMOVE, 5, 0), -AION_EINVAL);
	assert_int_equal(raft_conf_node(&c, 5), 50);
	assert_int_equal(raft_conf_node(&c, 6), -AION_ENOENT);
	for (uint64_t id = 10; c.n < RAFT_SERVERS_MAX; id++)
		assert_int_equal(raft_conf_apply(&c, RAFT_CONF_ADD_LEARNER, id, 1), 0);
	assert_int_equal(raft_conf_apply(&c, RAFT_CONF_ADD_LEARNER, 99, 1), -AION_ENOSPC);
	assert_int_equal(raft_conf_encode(&c, b, sizeof(b)), 1 + 11 * RAFT_SERVERS_MAX);
	assert_int_equal(raft_conf_decode(b, sizeof(b), &back), 1 + 11 * RAFT_SERVERS_MAX);
	assert_int_equal(back.n, c.n);
	assert_int_equal(raft_conf_voters(&back), 1);
	assert_int_equal(raft_conf_apply(&c, RAFT_CONF_REMOVE, 10, 0), 0);
	assert_null(raft_conf_find(&c, 10));
	assert_int_equal(raft_conf_encode(&c, b, 5), -AION_ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_every_type),
		cmocka_unit_test(test_append_sizes),
		cmocka_unit_test(test_vote_bytes),
		cmocka_unit_test(test_malformed_refused),
		cmocka_unit_test(test_snap_malformed_refused),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_arbitrary_bytes),
		cmocka_unit_test(test_conf_changes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
