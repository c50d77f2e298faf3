/*
 * xorshift64 (Marsaglia, shifts 13/7/17): the one small generator for
 * tests, fuzzers and protocol jitter, in the kernel's tests, the units and
 * the mesh. A fixed seed gives the same sequence on every run and host, so
 * a failing case can be replayed. Not for secrets. The state must not be 0.
 */
#ifndef KERNEL_XORSHIFT_H
#define KERNEL_XORSHIFT_H

#include <stdint.h>

static inline uint64_t xorshift64(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

#endif /* KERNEL_XORSHIFT_H */
