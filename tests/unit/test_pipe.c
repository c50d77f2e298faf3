/* Host tests for space/fs/pipe.c: the ring, the ends, the waiting calls. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "aion/error.h"
#include "fs_host.h"
#include "pipe.h"


static void fill(uint8_t *b, unsigned n, unsigned seed)
{
	for (unsigned i = 0; i < n; i++)
		b[i] = (uint8_t)(seed + i * 7);
}

/* Bytes come out in the order they went in, across the ring's wrap. */
static void test_ring_order(void **state)
{
	(void)state;
	struct pipe *p = pipe_new();
	uint8_t in[VFS_IO_MAX], out[VFS_IO_MAX];
	unsigned wseed = 0, rseed = 0;
	uint64_t written = 0, read = 0;

	assert_non_null(p);
	for (unsigned round = 0; round < 500; round++) {
		unsigned n = 1 + (round * 37) % VFS_IO_MAX;
		fill(in, n, wseed);
		int64_t w = pipe_write(p, in, n);
		if (w == -AION_EAGAIN) {
			assert_true(VFS_PIPE_SIZE - p->count < n);
		} else {
			assert_int_equal(w, n);
			wseed += n * 7;
			written += n;
		}
		unsigned want = 1 + (round * 53) % VFS_IO_MAX;
		int64_t r = pipe_read(p, out, want);
		assert_true(r > 0);
		for (unsigned i = 0; i < (unsigned)r; i++)
			assert_int_equal(out[i], (uint8_t)(rseed + i * 7));
		rseed += (unsigned)r * 7;
		read += (uint64_t)r;
		assert_int_equal(p->count, written - read);
	}
	pipe_free(p);
	assert_int_equal(fs_host_live_blocks, 0);
}

/* Full: a write that does not fit is refused whole; one that fits goes. */
static void test_full_and_atomic(void **state)
{
	(void)state;
	struct pipe *p = pipe_new();
	uint8_t b[VFS_IO_MAX] = { 0 };
	for (unsigned i = 0; i < VFS_PIPE_SIZE / VFS_IO_MAX; i++)
		assert_int_equal(pipe_write(p, b, VFS_IO_MAX), VFS_IO_MAX);
	assert_int_equal(pipe_write(p, b, 1), -AION_EAGAIN);
	assert_int_equal(pipe_ready(p, false), 0);
	assert_int_equal(pipe_read(p, b, 10), 10);
	assert_int_equal(pipe_write(p, b, 11), -AION_EAGAIN);  /* all or nothing */
	assert_int_equal(pipe_write(p, b, 10), 10);
	assert_int_equal(p->count, VFS_PIPE_SIZE);
	assert_int_equal(pipe_write(p, b, VFS_IO_MAX + 1), -AION_EINVAL); /* over a payload */
	pipe_free(p);
}

/* Ends: EOF after the last writer, EPIPE after the last reader, poll bits. */
static void test_ends(void **state)
{
	(void)state;
	struct pipe *p = pipe_new();
	uint8_t b[8] = "abc";
	assert_int_equal(pipe_read(p, b, 8), -AION_EAGAIN);
	assert_int_equal(pipe_ready(p, true), 0);
	assert_int_equal(pipe_ready(p, false), VFS_POLL_OUT);
	assert_int_equal(pipe_write(p, b, 3), 3);
	assert_int_equal(pipe_ready(p, true), VFS_POLL_IN);
	p->writers = 0;
	assert_int_equal(pipe_ready(p, true), VFS_POLL_IN | VFS_POLL_HUP);
	assert_int_equal(pipe_read(p, b, 8), 3);               /* data first, */
	assert_int_equal(pipe_read(p, b, 8), 0);               /* then EOF */
	p->readers = 0;
	assert_int_equal(pipe_write(p, b, 1), -AION_EPIPE);
	assert_int_equal(pipe_write(p, b, 0), 0);
	assert_int_equal(pipe_ready(p, false), VFS_POLL_OUT | VFS_POLL_ERR);
	assert_int_equal(pipe_ready(p, true), VFS_POLL_HUP);    /* drained: no IN */
	pipe_free(p);
}

static struct pipe_waiter waiter(struct pipe *p, uint64_t reply, bool write, uint16_t len,
				 uint8_t byte)
{
	struct pipe_waiter w = { .pipe = p, .badge = 100 + (write ? 1 : 0), .reply = reply,
				 .write = write, .len = len };
	memset(w.data, byte, len);
	return w;
}

struct answers {
	unsigned n;
	uint64_t reply[VFS_PIPE_WAITERS * 2];
	int64_t result[VFS_PIPE_WAITERS * 2];
	uint8_t first[VFS_PIPE_WAITERS * 2];
};

static bool record(struct pipe_waiter *w, int64_t result, void *arg)
{
	struct answers *a = arg;
	assert_null(w->pipe);                   /* out of the table first */
	a->reply[a->n] = w->reply;
	a->result[a->n] = result;
	a->first[a->n] = result > 0 && !w->write ? w->data[0] : 0;
	a->n++;
	return true;
}

/* Callers that are gone: their calls are undone. */
static bool gone(struct pipe_waiter *w, int64_t result, void *arg)
{
	(void)w;
	(void)result;
	(*(unsigned *)arg)++;
	return false;
}

/* A reader that died leaves the bytes for the next; a dead writer's bytes
 * come out again. */
static void test_wait_gone(void **state)
{
	(void)state;
	static struct pipe_waitq q;
	struct pipe *p = pipe_new();
	uint8_t b[VFS_IO_MAX];
	unsigned n = 0;

	memset(&q, 0, sizeof(q));
	memset(b, 'a', sizeof(b));
	for (unsigned i = 0; i < 7; i++)
		assert_int_equal(pipe_write(p, b, VFS_IO_MAX), VFS_IO_MAX);
	assert_int_equal(pipe_read(p, b, 300), 300);            /* head at 300 */
	struct pipe_waiter w = waiter(p, 1, true, 500, 'D');
	assert_int_equal(pipe_wait_add(&q, &w), 0);
	assert_int_equal(pipe_read(p, b, 400), 400);            /* room: 1212 */
	assert_int_equal(pipe_wait_run(&q, p, gone, &n), 1);    /* written, undone */
	assert_int_equal(p->count, 7 * VFS_IO_MAX - 700);
	uint8_t tail[VFS_IO_MAX];
	int64_t got;
	uint64_t total = 0;
	while ((got = pipe_read(p, tail, sizeof(tail))) > 0) {
		for (int64_t i = 0; i < got; i++)
			assert_int_equal(tail[i], 'a');
		total += (uint64_t)got;
	}
	assert_int_equal(total, 7 * VFS_IO_MAX - 700);
	/* Empty; a reader that is gone by the time bytes come. */
	struct pipe_waiter r = waiter(p, 2, false, 100, 0);
	assert_int_equal(pipe_wait_add(&q, &r), 0);
	memset(b, 'x', 10);
	b[0] = 'y';
	assert_int_equal(pipe_write(p, b, 10), 10);
	assert_int_equal(pipe_wait_run(&q, p, gone, &n), 1);
	assert_int_equal(n, 2);
	assert_int_equal(pipe_read(p, tail, sizeof(tail)), 10);
	assert_int_equal(tail[0], 'y');
	pipe_free(p);
}

/* Waiting writers go in arrival order; a reader's take lets them in. */
static void test_wait_order(void **state)
{
	(void)state;
	static struct pipe_waitq q;
	struct answers a = { 0 };
	struct pipe *p = pipe_new();
	uint8_t b[VFS_IO_MAX] = { 0 };

	memset(&q, 0, sizeof(q));
	for (unsigned i = 0; i < VFS_PIPE_SIZE / VFS_IO_MAX; i++)
		assert_int_equal(pipe_write(p, b, VFS_IO_MAX), VFS_IO_MAX);
	struct pipe_waiter w1 = waiter(p, 1, true, 300, 'x'), w2 = waiter(p, 2, true, 10, 'y');
	assert_int_equal(pipe_wait_add(&q, &w1), 0);
	assert_int_equal(pipe_wait_add(&q, &w2), 0);
	assert_true(pipe_writer_waits(&q, p));
	assert_int_equal(pipe_wait_run(&q, p, record, &a), 0); /* still full */
	assert_int_equal(pipe_read(p, b, 20), 20);
	/* 20 bytes free: w2 (10) would fit, but w1 (300) came first. */
	assert_int_equal(pipe_wait_run(&q, p, record, &a), 0);
	assert_int_equal(pipe_read(p, b, 290), 290);
	assert_int_equal(pipe_wait_run(&q, p, record, &a), 2);
	assert_int_equal(a.reply[0], 1);
	assert_int_equal(a.result[0], 300);
	assert_int_equal(a.reply[1], 2);
	assert_int_equal(a.result[1], 10);
	assert_false(pipe_writer_waits(&q, p));
	pipe_free(p);
}

/* A waiting reader gets the bytes of a write; on EOF it gets 0; one whose
 * record closes gets EBADF; writers get EPIPE when the reader goes. */
static void test_wait_ends(void **state)
{
	(void)state;
	static struct pipe_waitq q;
	struct answers a = { 0 };
	struct pipe *p = pipe_new();

	memset(&q, 0, sizeof(q));
	struct pipe_waiter r1 = waiter(p, 7, false, 100, 0), r2 = waiter(p, 8, false, 100, 0);
	r2.badge = 555;
	assert_int_equal(pipe_wait_add(&q, &r1), 0);
	assert_int_equal(pipe_wait_add(&q, &r2), 0);
	assert_int_equal(pipe_write(p, "hello", 5), 5);
	assert_int_equal(pipe_wait_run(&q, p, record, &a), 1);
	assert_int_equal(a.reply[0], 7);
	assert_int_equal(a.result[0], 5);
	assert_int_equal(a.first[0], 'h');
	assert_int_equal(pipe_wait_drop(&q, 555, record, &a), 1);
	assert_int_equal(a.result[1], -AION_EBADF);
	assert_int_equal(pipe_wait_add(&q, &r1), 0);
	p->writers = 0;
	assert_int_equal(pipe_wait_run(&q, p, record, &a), 1);
	assert_int_equal(a.result[2], 0);

	p->writers = 1;
	uint8_t b[VFS_IO_MAX] = { 0 };
	for (unsigned i = 0; i < VFS_PIPE_SIZE / VFS_IO_MAX; i++)
		assert_int_equal(pipe_write(p, b, VFS_IO_MAX), VFS_IO_MAX);
	struct pipe_waiter w = waiter(p, 9, true, 4, 'z');
	assert_int_equal(pipe_wait_add(&q, &w), 0);
	p->readers = 0;
	assert_int_equal(pipe_wait_run(&q, p, record, &a), 1);
	assert_int_equal(a.result[3], -AION_EPIPE);
	pipe_free(p);
}

/* The table is bounded; another pipe's waiters are not touched. */
static void test_wait_bounded(void **state)
{
	(void)state;
	static struct pipe_waitq q;
	struct answers a = { 0 };
	struct pipe *p = pipe_new(), *other = pipe_new();

	memset(&q, 0, sizeof(q));
	for (unsigned i = 0; i < VFS_PIPE_WAITERS; i++) {
		struct pipe_waiter w = waiter(i % 2 ? p : other, i, false, 1, 0);
		assert_int_equal(pipe_wait_add(&q, &w), 0);
	}
	struct pipe_waiter extra = waiter(p, 999, false, 1, 0);
	assert_int_equal(pipe_wait_add(&q, &extra), -AION_EAGAIN);
	assert_int_equal(pipe_wait_oldest(&q)->reply, 0);      /* the first to come */
	p->writers = 0;
	assert_int_equal(pipe_wait_run(&q, p, record, &a), VFS_PIPE_WAITERS / 2);
	for (unsigned i = 0; i < a.n; i++) {
		assert_int_equal(a.reply[i] % 2, 1);
		assert_int_equal(a.result[i], 0);
	}
	assert_int_equal(pipe_wait_add(&q, &extra), 0);         /* room again */
	assert_int_equal(pipe_wait_oldest(&q)->reply, 0);
	pipe_free(p);
	pipe_free(other);
	assert_int_equal(fs_host_live_blocks, 0);
}

/* A write of several payloads keeps its room; others wait until it is
 * filled, its record closes, or it lapses; a later call always fits. */
static void test_reservation(void **state)
{
	(void)state;
	struct pipe *p = pipe_new();
	uint8_t b[VFS_IO_MAX];
	uint64_t tok = 0, other = 0;

	memset(b, 'r', sizeof(b));
	assert_int_equal(pipe_write(p, b, 100), 100);
	/* 4,000 bytes do not fit beside 100 yet: nothing is written. */
	assert_int_equal(pipe_write_part(p, b, VFS_IO_MAX, 4000, &tok, 7), -AION_EAGAIN);
	assert_int_equal(tok, 0);
	assert_int_equal(pipe_read(p, b, 100), 100);
	assert_int_equal(pipe_write_part(p, b, VFS_IO_MAX, 4000, &tok, 7), VFS_IO_MAX);
	assert_int_not_equal(tok, 0);
	assert_int_equal(p->resv, 4000 - VFS_IO_MAX);
	assert_int_equal(pipe_write(p, b, 1), -AION_EAGAIN);   /* held, though room is left */
	assert_int_equal(pipe_ready(p, false), 0);
	assert_int_equal(pipe_write_part(p, b, 1, 600, &other, 8), -AION_EAGAIN);
	uint64_t bad = tok + 1;
	assert_int_equal(pipe_write_part(p, b, 1, 0, &bad, 8), -AION_ETIMEDOUT);
	unsigned left = 4000 - VFS_IO_MAX;
	while (left) {
		uint32_t n = left < VFS_IO_MAX ? left : VFS_IO_MAX;
		assert_int_equal(pipe_write_part(p, b, n, 0, &tok, 7), n);
		left -= n;
	}
	assert_int_equal(p->resv, 0);
	assert_int_equal(p->count, 4000);
	assert_int_equal(pipe_write_part(p, b, 1, 0, &tok, 7), -AION_ETIMEDOUT); /* filled */
	assert_int_equal(pipe_write(p, b, 1), 1);
	/* Sizes: over ATOMIC, or not more than the call's own bytes. */
	uint64_t z = 0;
	assert_int_equal(pipe_write_part(p, b, 10, VFS_PIPE_ATOMIC + 1, &z, 7), -AION_EINVAL);
	assert_int_equal(pipe_write_part(p, b, 10, 10, &z, 7), -AION_EINVAL);
	/* Its record closing, or a second of silence, ends a reservation. */
	while (pipe_read(p, b, sizeof(b)) > 0)
		;
	tok = 0;
	assert_int_equal(pipe_write_part(p, b, 10, 600, &tok, 7), 10);
	pipe_resv_drop(p, 8);
	assert_int_equal(p->resv, 590);                         /* not its record */
	pipe_resv_drop(p, 7);
	assert_int_equal(p->resv, 0);
	tok = 0;
	assert_int_equal(pipe_write_part(p, b, 10, 600, &tok, 7), 10);
	assert_false(pipe_resv_lapse(p, p->resv_at + PIPE_RESV_NS - 1));
	assert_true(pipe_resv_lapse(p, p->resv_at + PIPE_RESV_NS));
	assert_int_equal(pipe_write(p, b, 1), 1);
	/* No reader: EPIPE, and the reservation goes with it. */
	tok = 0;
	assert_int_equal(pipe_write_part(p, b, 10, 600, &tok, 7), 10);
	p->readers = 0;
	assert_int_equal(pipe_write_part(p, b, 10, 0, &tok, 7), -AION_EPIPE);
	assert_int_equal(p->resv, 0);
	pipe_free(p);
}

/* A waiting write of several payloads begins its reservation when it goes;
 * if its caller is gone, its bytes and its reservation are undone. */
static void test_wait_reservation(void **state)
{
	(void)state;
	static struct pipe_waitq q;
	struct answers a = { 0 };
	struct pipe *p = pipe_new();
	uint8_t b[VFS_IO_MAX] = { 0 };
	unsigned n = 0;

	memset(&q, 0, sizeof(q));
	assert_int_equal(pipe_write(p, b, 300), 300);
	struct pipe_waiter w = waiter(p, 1, true, VFS_IO_MAX, 'w');
	w.total = 4000;
	assert_int_equal(pipe_wait_add(&q, &w), 0);
	assert_int_equal(pipe_wait_run(&q, p, record, &a), 0);  /* 3,796 free < 4,000 */
	assert_int_equal(pipe_read(p, b, 300), 300);
	assert_int_equal(pipe_wait_run(&q, p, gone, &n), 1);   /* went; its caller is gone */
	assert_int_equal(n, 1);
	assert_int_equal(p->count, 0);                          /* undone */
	assert_int_equal(p->resv, 0);
	assert_int_equal(pipe_wait_add(&q, &w), 0);
	assert_int_equal(pipe_wait_run(&q, p, record, &a), 1);
	assert_int_equal(a.result[0], VFS_IO_MAX);
	assert_int_equal(p->resv, 4000 - VFS_IO_MAX);
	pipe_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_order),
		cmocka_unit_test(test_full_and_atomic),
		cmocka_unit_test(test_ends),
		cmocka_unit_test(test_wait_order),
		cmocka_unit_test(test_wait_ends),
		cmocka_unit_test(test_wait_bounded),
		cmocka_unit_test(test_wait_gone),
		cmocka_unit_test(test_reservation),
		cmocka_unit_test(test_wait_reservation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
