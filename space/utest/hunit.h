/*
 * The hostile-unit fuzzer (issue 16): units that run random x86-64
 * instruction sequences with random register, flag and segment states,
 * privileged instructions, `int n`, far returns, code at the canonical
 * boundary and system calls with garbage, restarted as they die. The
 * generator (hunit_gen.c) only writes bytes into a buffer; the test that
 * runs them in units and replaces the units is hunit_tests.c.
 */
#ifndef UTEST_HUNIT_H
#define UTEST_HUNIT_H

#include <stdint.h>
#include "aion/object.h"

/* Where a hostile unit keeps what the generator's code touches. */
#define HU_CODE         0x0000000052000000ull   /* RWX: the sequence */
#define HU_CODE_SIZE    (4 * 4096u)
#define HU_STACK        0x0000000053000000ull   /* RW: the sequence's stack */
#define HU_STACK_SIZE   (2 * 4096u)
#define HU_DATA         0x0000000054000000ull   /* RW: its memory operands */
#define HU_DATA_SIZE    (4 * 4096u)
#define HU_SCRATCH      0x0000000060000000ull   /* where its system calls map */
/* RWX: the last page a unit may map (AION_USER_END: the page above it,
 * the last canonical one, is refused since a SYSCALL at its end would
 * return to a non-canonical address). */
#define HU_EDGE_PAGE    (AION_USER_END - 4096)
#define HU_EDGE_END     AION_USER_END

struct hu_gen {
	uint8_t *buf;                   /* where the bytes go (run at HU_CODE) */
	unsigned len, cap;
	uint64_t *rng;
	uint64_t resume;                /* where a sequence returns to (absolute) */
	unsigned handles[4];            /* low words of handles worth aiming at */
};

/*
 * One sequence into g->buf: random registers and flags, 4..24 operations,
 * then a jump to g->resume. With terminal true it ends instead with one
 * operation that is likely to end the unit (a privileged instruction, a
 * random far return, random bytes...). Returns its length.
 */
unsigned hu_generate(struct hu_gen *g, int terminal);

/*
 * The image of HU_EDGE_PAGE (4096 bytes): a SYSCALL that returns to
 * `resume` at HU_EDGE_SAFE, nops, and a SYSCALL in the page's last two
 * bytes, whose return address would be HU_EDGE_END.
 */
#define HU_EDGE_SAFE    (HU_EDGE_PAGE + 0xfe0)
void hu_edge_page(uint8_t *page, uint64_t resume);

#endif /* UTEST_HUNIT_H */
