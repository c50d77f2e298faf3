/*
 * TEST STAND-IN MAC, NOT SECURITY, shared by tests/unit/test_mesh_wire.c
 * and the fuzzers: two keyed FNV-1a-64 lanes. Each step (xor a byte,
 * multiply by an odd prime) is a bijection of the state, so any change to
 * a same-length input changes both lanes: a single flipped bit always
 * changes the MAC. Deterministic, so fuzzer crashes reproduce. The real
 * mesh uses SipHash-2-4-128 (mesh/mac.c).
 */
#ifndef MESH_TEST_MAC_H
#define MESH_TEST_MAC_H

#include <stddef.h>
#include <stdint.h>

#include "mesh/wire.h"

static inline void mesh_test_mac(const uint64_t k[2], const uint8_t *data,
				 size_t len, uint8_t out[MESH_MAC_LEN])
{
	for (int lane = 0; lane < 2; lane++) {
		uint64_t h = 0xcbf29ce484222325ull ^ k[lane];

		for (size_t i = 0; i < len; i++) {
			h ^= data[i];
			h *= 0x100000001b3ull;
		}
		h ^= (uint64_t)len;
		h *= 0x100000001b3ull;
		for (int b = 0; b < 8; b++)
			out[lane * 8 + b] = (uint8_t)(h >> (8 * b));
	}
}

#endif /* MESH_TEST_MAC_H */
