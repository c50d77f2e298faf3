/*
 * blktest: the disk's tests inside a guest (tests/boot/boot_disk.py), an
 * init service of nodes booted with aion.blktest=MODE:
 *   check:SEED   the protocol's checks (checks.c, reach.c), figures, then
 *                what write does
 *   write:SEED   region A filled with pattern SEED and flushed
 *   verify:SEED  region A read back and compared with pattern SEED (after
 *                a reboot on the same disk)
 *   restart:SEED what write does, then `restart ready`; region A read again
 *                and again until the client had to attach again (the host
 *                killed the driver meanwhile): no read may fail or differ
 *   noflush:SEED on a device without a flush: a write works, BLK_FLUSH
 *                answers AION_EIO, and BLK_INFO says there is no flush
 *   eio:BLOCK    block BLOCK of "data" (read-only) read, where the host made
 *                the device fail reads (QEMU's blkdebug): the error must
 *                come back as AION_EIO, and the device work on
 * Its capabilities are init's test regions (aion/initproto.h:
 * SVC_DISK_TEST_*). Every result is one line
 *   blktest: test NAME ok|FAIL key=value ...
 * then `blktest: done passed=N failed=M`; it then sleeps (a service that
 * ended would be started again and run everything twice).
 */
#ifndef BLKTEST_H
#define BLKTEST_H

#include <stdbool.h>
#include "aion/initproto.h"
#include "libaion/blkclient.h"
#include "libaion/lib.h"
#include "common/time.h"

#define REGION_BLOCKS   256             /* A and B, as init makes them */
#define BUF_DATA_VA     0x0000000040300000ull   /* "data"'s shared buffer (eio) */
#define REGION_BYTES    (REGION_BLOCKS * BLK_SIZE)

struct blkt {
	struct aion_ipc_buffer *ipc;
	struct blkclient a, ro, b;      /* regions A (rw), A (ro), B (rw) */
	uint64_t seed;
	uint8_t *want, *got;            /* REGION_BYTES each */
};

/* main.c: prints the result line and counts it. */
void blkt_result(bool ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Pattern seed for count blocks from block (relative to a region): each
 * block starts with the text "AION blktest seed=S block=B\n" and goes on
 * with bytes (B * 7 + i + S) & 0xff, i its offset in the block.
 */
void blkt_pattern(uint8_t *out, uint64_t seed, uint64_t block, uint32_t count);
/* One call of the protocol with these words; w0 of the reply or the IPC error. */
int64_t blkt_call(aion_handle_t region, uint32_t label, uint64_t w0, uint64_t w1, uint64_t w2);
/* Blocks of a and b that differ: their count; the first one in *first. */
unsigned blkt_diff(const uint8_t *a, const uint8_t *b, uint32_t blocks, uint64_t *first);

/* checks.c */
void check_info(struct blkt *t);
void check_pattern(struct blkt *t);
void check_range(struct blkt *t);
void check_readonly(struct blkt *t);
void check_figures(struct blkt *t);
void persist_write(struct blkt *t);
void persist_verify(struct blkt *t);
void check_eio(struct blkt *t);
void check_restart(struct blkt *t);
void check_noflush(struct blkt *t);
/* reach.c: attaching wrongly, and who can reach the driver at all */
void check_attach_errors(struct blkt *t);
void check_no_region(struct blkt *t);

#endif /* BLKTEST_H */
