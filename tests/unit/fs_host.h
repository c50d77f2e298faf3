/*
 * The host's side of space/fs/fsmem.h for the VFS's host tests: calloc
 * with a count of live blocks (every block must come back) and failures
 * on demand, and a clock that moves 1 us a call.
 */
#ifndef TESTS_FS_HOST_H
#define TESTS_FS_HOST_H

#include <stdint.h>

extern long fs_host_live_blocks;
extern long fs_host_fail_after;         /* fs_alloc fails after this many more (-1: never) */
extern unsigned char fs_host_window_left[64];   /* a freed window's first bytes */

#endif
