/* nettest's roles in files of their own (main.c has the list). */
#ifndef NETTEST_H
#define NETTEST_H

#include "libaion/lib.h"
#include "libaion/sockclient.h"
#include "common/time.h"

/* ring-revoke[:ADDR] (ring_revoke.c): 0, or the error (logged). */
int64_t ring_revoke(struct sock_ctx *ctx, uint32_t addr);

#endif /* NETTEST_H */
