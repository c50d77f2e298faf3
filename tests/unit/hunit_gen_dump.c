/*
 * Writes the hostile-unit fuzzer's sequences (space/utest/hunit_gen.c, the
 * code the guest runs) for one seed to stdout, back to back, for
 * hunit_gen_check.py to disassemble. Usage: hunit_gen_dump SEED COUNT
 * TERMINAL. Sequences that do not end a unit end with a whole jump, so
 * concatenated they still disassemble at their true boundaries.
 */
#include <stdio.h>
#include <stdlib.h>
#include "hunit.h"

int main(int argc, char **argv)
{
	static uint8_t buf[HU_CODE_SIZE - 4096];

	if (argc != 4)
		return 2;
	uint64_t rng = strtoull(argv[1], NULL, 0) | 1;
	unsigned count = (unsigned)atoi(argv[2]);
	struct hu_gen g = { .buf = buf, .cap = sizeof(buf), .rng = &rng,
			    .resume = HU_CODE + sizeof(buf), .handles = { 1, 2, 3, 4 } };

	for (unsigned i = 0; i < count; i++) {
		unsigned len = hu_generate(&g, atoi(argv[3]));
		if (len == 0 || len >= g.cap) {         /* b() stops at cap: a cut sequence */
			fprintf(stderr, "sequence %u: length %u (room %u)\n", i, len, g.cap);
			return 1;
		}
		fwrite(buf, 1, len, stdout);
	}
	return 0;
}
