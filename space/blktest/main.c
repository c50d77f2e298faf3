/* blktest: modes, results, and the helpers the checks share (blktest.h). */
#include <stdarg.h>
#include "common/cmdline.h"
#include "common/format.h"
#include "blktest.h"

#define BUF_A_VA        0x0000000040000000ull   /* the three clients' shared buffers */
#define BUF_RO_VA       0x0000000040100000ull
#define BUF_B_VA        0x0000000040200000ull

static struct aion_ipc_buffer ipc_buf __attribute__((aligned(4096)));
static uint8_t want_buf[REGION_BYTES], got_buf[REGION_BYTES];
static unsigned passed, failed;

void blkt_result(bool ok, const char *name, const char *fmt, ...)
{
	char detail[AION_LOG_MAX];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	aion_printf("test %s %s %s", name, ok ? "ok" : "FAIL", detail);
	if (ok)
		passed++;
	else
		failed++;
}

void blkt_pattern(uint8_t *out, uint64_t seed, uint64_t block, uint32_t count)
{
	char head[64];

	for (uint32_t k = 0; k < count; k++) {
		uint8_t *p = out + (size_t)k * BLK_SIZE;
		uint64_t b = block + k;
		for (unsigned i = 0; i < BLK_SIZE; i++)
			p[i] = (uint8_t)(b * 7 + i + seed);
		int n = fmt_snprintf(head, sizeof(head), "AION blktest seed=%lu block=%lu\n",
				     (unsigned long)seed, (unsigned long)b);
		memcpy(p, head, (size_t)n);
	}
}

int64_t blkt_call(aion_handle_t region, uint32_t label, uint64_t w0, uint64_t w1, uint64_t w2)
{
	struct aion_msg m = { .tag = AION_TAG(label, 0, 0), .w = { w0, w1, w2 } };
	int64_t err = aion_call(region, &m, BLKCLIENT_TIMEOUT_NS);
	return err ? err : (int64_t)m.w[0];
}

unsigned blkt_diff(const uint8_t *a, const uint8_t *b, uint32_t blocks, uint64_t *first)
{
	unsigned n = 0;

	for (uint32_t k = blocks; k-- > 0;) {
		if (memcmp(a + (size_t)k * BLK_SIZE, b + (size_t)k * BLK_SIZE, BLK_SIZE) == 0)
			continue;
		n++;
		*first = k;
	}
	return n;
}

static int64_t open_all(struct blkt *t)
{
	int64_t err = blkclient_open(&t->a, SVC_DISK_TEST_RW, t->ipc, BUF_A_VA);
	if (!err)
		err = blkclient_open(&t->ro, SVC_DISK_TEST_RO, t->ipc, BUF_RO_VA);
	if (!err)
		err = blkclient_open(&t->b, SVC_DISK_TEST_NEXT, t->ipc, BUF_B_VA);
	return err;
}

static void run(struct blkt *t, const char *mode)
{
	if (strcmp(mode, "check") == 0) {
		check_info(t);
		check_pattern(t);
		check_range(t);
		check_readonly(t);
		check_attach_errors(t);
		check_no_region(t);
		check_figures(t);
		persist_write(t);
	} else if (strcmp(mode, "write") == 0) {
		persist_write(t);
	} else if (strcmp(mode, "verify") == 0) {
		persist_verify(t);
	} else if (strcmp(mode, "eio") == 0) {
		check_eio(t);
	} else if (strcmp(mode, "noflush") == 0) {
		check_noflush(t);
	} else if (strcmp(mode, "restart") == 0) {
		persist_write(t);
		check_restart(t);
	} else {
		blkt_result(false, "mode", "unknown mode=%s (want check|write|verify|restart|noflush:SEED, eio:BLOCK)",
			    mode);
	}
}

int64_t aion_main(uint64_t arg)
{
	const struct aion_startup *st = (const struct aion_startup *)arg;
	struct blkt t = { .ipc = &ipc_buf, .want = want_buf, .got = got_buf };
	char mode[32] = "";

	cmdline_get(st->args, "blktest", mode, sizeof(mode));
	for (char *c = mode; *c; c++) {
		if (*c == ':') {        /* MODE:SEED */
			*c = '\0';
			t.seed = cmdline_decimal(c + 1);
			break;
		}
	}
	int64_t err = aion_ipc_buffer(&ipc_buf);
	if (!err)
		err = open_all(&t);
	if (err)
		blkt_result(false, "open", "err=%s", aion_error_name(err));
	else
		run(&t, mode);
	aion_printf("done passed=%u failed=%u", passed, failed);
	for (;;)
		aion_sleep_ns(3600 * SEC);
}
