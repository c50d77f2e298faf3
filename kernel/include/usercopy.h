/*
 * The one checked path between user memory and the kernel. It walks the
 * unit's page tables for every page the range touches and copies through
 * the direct map, so a bad pointer (kernel half, unmapped, read-only for a
 * write, or a range whose end runs off a mapping) is -AION_EFAULT, never a
 * kernel fault. Time is bounded by len, which callers bound.
 */
#ifndef KERNEL_USERCOPY_H
#define KERNEL_USERCOPY_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

struct unit;

/* 0 when every page of [uaddr, uaddr+len) is mapped in u (writable, for
 * write), else -AION_EFAULT: so a copy in several pieces is all or nothing. */
int user_range_ok(struct unit *u, uint64_t uaddr, size_t len, bool write);

/* to_user: kbuf -> [uaddr, uaddr+len) of u; else the other way. */
int user_copy(struct unit *u, uint64_t uaddr, void *kbuf, size_t len, bool to_user);

/* The running thread's unit. */
int copy_from_user(void *dst, uint64_t usrc, size_t len);
int copy_to_user(uint64_t udst, const void *src, size_t len);

#endif /* KERNEL_USERCOPY_H */
