/*
 * A log store under test with what it should hold (for the log store's
 * host tests): the store on a ls_ramdev, the entries appended by index,
 * the snapshot committed. Entry bytes follow from (index, term, len), so
 * the same entry appended twice has the same bytes.
 */
#ifndef LS_TESTLIB_H
#define LS_TESTLIB_H

#include <stdbool.h>
#include <stdint.h>

#include "ls_ramdev.h"
#include "mesh/logstore.h"

#define LT_SNAP     2048u         /* snap_max of most tests */
#define LT_SERVER   7u
#define LT_CLUSTER  42u
#define LT_NONCE    0x5eed0001u
#define LT_MAXIDX   1024u

struct lt_entry {
	uint64_t term;
	uint32_t len;
	bool set;
};

struct lt {
	struct ramdev d;
	struct ls_dev dev;
	struct ls ls;
	struct lt_entry e[LT_MAXIDX];     /* expected, by index */
	bool has_snap;
	uint64_t snap_index, snap_term;
	uint32_t snap_len, snap_conf_len;
};

uint64_t lt_blocks(uint32_t snap_max, uint64_t slots);
struct ls_format_params lt_params(uint32_t snap_max);
/* Bytes that differ with seed, for payloads, confs and snapshots. */
void lt_fill(uint8_t *p, uint32_t len, uint64_t seed);

/* A formatted store with `slots` log slots; lt_end frees it. */
void lt_start(struct lt *t, uint32_t snap_max, uint64_t slots);
void lt_end(struct lt *t);
void lt_reopen(struct lt *t);              /* ls_open must succeed */
void lt_clone(struct lt *dst, const struct lt *src);  /* reopen before use */

int lt_try_append(struct lt *t, uint64_t index, uint64_t term, uint32_t len);
void lt_append(struct lt *t, uint64_t index, uint64_t term, uint32_t len);
uint64_t lt_last(struct lt *t);
uint64_t lt_slot_block(const struct lt *t, uint64_t index);

/* Snapshot at index (its term from the log) with len data bytes. */
void lt_snapshot(struct lt *t, uint64_t index, uint32_t len);

void lt_check_log(struct lt *t);           /* first..last as expected */
void lt_check_snapshot(struct lt *t);

#endif /* LS_TESTLIB_H */
