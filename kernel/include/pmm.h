/*
 * Physical frame allocator.
 *
 * Frames are PMM_FRAME_SIZE bytes and are named by their number
 * (physical address / PMM_FRAME_SIZE). The free set is a hierarchical
 * bitmap: level 0 has one bit per frame (set = free), and a bit of a word
 * at level i > 0 is set exactly when the matching word one level down is
 * non-zero. The top level is a single word, so pmm_alloc walks down the
 * tree with one count-trailing-zeros per level and always returns the
 * lowest free frame; pmm_free sets bits on the way up. Both are
 * O(levels) <= O(PMM_MAX_LEVELS), never O(frames).
 *
 * Two flat bitmaps sit beside the tree:
 *   usable:   the frame may be allocated and freed (added by pmm_add_free
 *             and not reserved). pmm_free refuses anything else.
 *   reserved: sticky "never usable" marks from pmm_reserve. They win over
 *             pmm_add_free in either order, so the boot code may reserve
 *             the kernel image before or after adding the memory map.
 *
 * Pure code: no locking, no globals; the caller owns the storage and
 * serialises access.
 */
#ifndef AION_PMM_H
#define AION_PMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PMM_FRAME_SIZE 4096u
#define PMM_MAX_LEVELS 4
/* 64^PMM_MAX_LEVELS frames: 16 Mi frames, 64 GiB of 4 KiB frames. */
#define PMM_MAX_FRAMES ((uint64_t)1 << (6 * PMM_MAX_LEVELS))

struct pmm {
	uint64_t nframes, nfree;
	unsigned nlevels;                       /* 1..PMM_MAX_LEVELS */
	uint64_t nwords[PMM_MAX_LEVELS];        /* words per tree level */
	uint64_t *level[PMM_MAX_LEVELS];        /* level[0]: 1 bit per frame, set = free */
	uint64_t *usable;                       /* 1 bit per frame, set = usable */
	uint64_t *reserved;                     /* 1 bit per frame, set = reserved for good */
};

/*
 * Bytes of storage pmm_init needs for nframes frames; 0 when nframes is 0
 * or above PMM_MAX_FRAMES (pmm_init rejects those anyway).
 */
size_t pmm_storage_bytes(uint64_t nframes);

/*
 * Set up an allocator over frames [0, nframes) using storage (which must
 * be 8-byte aligned and at least pmm_storage_bytes(nframes) long; it is
 * zeroed here). All frames start reserved-by-default: not usable, not free.
 * Returns 0; -AION_EINVAL if nframes == 0 or storage is NULL, misaligned
 * or too small; -AION_ERANGE if nframes > PMM_MAX_FRAMES.
 */
int pmm_init(struct pmm *p, void *storage, size_t storage_bytes, uint64_t nframes);

/*
 * Boot time, O(count): mark [first, first + count) usable and free.
 * Frames already marked by pmm_reserve stay reserved; frames already free
 * stay free (the call is idempotent). -AION_ERANGE if the range reaches
 * past nframes (then nothing changes). count == 0 is a no-op.
 */
int pmm_add_free(struct pmm *p, uint64_t first, uint64_t count);

/*
 * Boot time, O(count): mark [first, first + count) never usable. Free
 * frames leave the free set; later pmm_add_free/pmm_free of them do not
 * bring them back. Idempotent. -AION_ERANGE if the range reaches past
 * nframes (then nothing changes; nothing is clamped).
 */
int pmm_reserve(struct pmm *p, uint64_t first, uint64_t count);

/* Lowest free frame number (now allocated), or -AION_ENOMEM. O(levels). */
int64_t pmm_alloc(struct pmm *p);

/*
 * Return an allocated frame. 0; -AION_ERANGE if frame >= nframes;
 * -AION_EINVAL if the frame is not usable (reserved, or never added);
 * -AION_EDOUBLE if it is already free. O(levels).
 */
int pmm_free(struct pmm *p, uint64_t frame);

/* true if frame < nframes and frame is in the free set. */
bool pmm_is_free(const struct pmm *p, uint64_t frame);

uint64_t pmm_free_count(const struct pmm *p);

#endif /* AION_PMM_H */
