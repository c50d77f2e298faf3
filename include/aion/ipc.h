/*
 * Synchronous IPC: message layout.
 *
 * A message is a tag and three words passed in registers, plus an optional
 * payload of up to AION_IPC_PAYLOAD_MAX bytes and up to AION_IPC_CAPS_MAX
 * capabilities, both in the thread's IPC buffer (registered with
 * IPC_BUFFER). The kernel copies the payload from the sender's buffer to
 * the receiver's and installs the capabilities in the receiver's table,
 * writing their new handles into the receiver's buffer.
 */
#ifndef AION_IPC_H
#define AION_IPC_H

#include <stdint.h>
#include "aion/object.h"

#define AION_IPC_PAYLOAD_MAX    512
#define AION_IPC_CAPS_MAX       4
#define AION_IPC_WORDS          3

/* Tag: bits 0-9 payload length, 12-14 capability count, 16 notification,
 * 17-19 (a call's) capabilities its reply may carry, 32-63 a label of the
 * sender's choice. */
#define AION_TAG(label, len, ncaps) \
	(((uint64_t)(label) << 32) | ((uint64_t)(ncaps) << 12) | (uint64_t)(len))
#define AION_TAG_LEN(tag)       ((unsigned)((tag) & 0x3ff))
#define AION_TAG_CAPS(tag)      ((unsigned)(((tag) >> 12) & 0x7))
#define AION_TAG_LABEL(tag)     ((uint32_t)((tag) >> 32))
/* Set by the kernel when RECV returns a bound notification's signals. */
#define AION_TAG_NOTIFY         (1ull << 16)
/*
 * In a CALL's tag: how many capabilities (0..AION_IPC_CAPS_MAX) the caller
 * lets the reply put into its table. 0 (the default): a reply that carries
 * any is refused to the replier (-AION_ERIGHTS) and the caller keeps
 * waiting, its table and quota untouched. Ignored in a reply's tag.
 */
#define AION_TAG_ACCEPT(n)      ((uint64_t)(n) << 17)
#define AION_TAG_ACCEPTED(tag)  ((unsigned)(((tag) >> 17) & 0x7))
#define AION_TAG_ACCEPT_MASK    AION_TAG_ACCEPT(0x7)

/* Per capability sent: move it (the sender loses it) instead of copying. */
#define AION_IPC_CAP_MOVE       (1u << 31)

struct aion_ipc_buffer {
	uint8_t payload[AION_IPC_PAYLOAD_MAX];
	/* send: handles to transfer; receive: the new handles */
	aion_handle_t caps[AION_IPC_CAPS_MAX];
	/* send: rights mask of each copy, | AION_IPC_CAP_MOVE to move */
	uint32_t cap_rights[AION_IPC_CAPS_MAX];
};

/* A message as the stubs in libaion/sys.h hand it around. */
struct aion_msg {
	uint64_t tag;
	uint64_t w[AION_IPC_WORDS];
	uint64_t badge;                 /* receive side: badge of the sender's capability */
};

/*
 * Notice the kernel sends on a unit's fault endpoint (UNIT_FAULT_EP) when
 * the unit ends: badge as set, label AION_NOTICE_UNIT_ENDED, w0 = unit id,
 * w1 = state | vector << 8 (enum aion_unit_state), w2 = the faulting
 * address when FAULTED, else the exit code. Not a call: nothing to reply.
 */
#define AION_NOTICE_UNIT_ENDED  0xffff0001u

/* No timeout. */
#define AION_FOREVER            0

#endif /* AION_IPC_H */
