/*
 * Memory objects: a set of frames a capability names. RAM objects are
 * charged to the unit that created them and freed when the last
 * capability and the last mapping are gone; device objects name an MMIO
 * range outside RAM and map uncached. Mapping another unit's object never
 * gives that unit the frames: its page-table entries are borrowed.
 */
#ifndef KERNEL_MEMOBJ_H
#define KERNEL_MEMOBJ_H

#include <stdint.h>
#include <stdbool.h>
#include "kobj.h"

struct unit;

#define MEMOBJ_MAX_PAGES        512     /* 2 MiB: the frame list fits a page */
#define UNIT_REGIONS            32      /* mappings of memory objects per unit */

struct memobj {
	struct kobj obj;
	struct unit *owner;             /* referenced; NULL for device memory */
	uint32_t npages;
	bool device;
	uint64_t base;                  /* device: first physical address */
	uint64_t *frames;               /* RAM: physical address of each page */
};

/* A mapping of pages [first, first + npages) of mo at va. */
struct region {
	uint64_t va;
	struct memobj *mo;              /* referenced; NULL: free */
	uint16_t first, npages;
	bool writable;
};

void memobj_release(struct memobj *mo);
/* t's cut MEMORY_CREATE, if any, is given up (another call, or death). */
struct thread;
void memobj_create_dropped(struct thread *t);


/*
 * Unit u lost a capability to mo: its mappings of mo that u's table no
 * longer authorises (READ, and WRITE for a writable one) are unmapped.
 */
void memobj_cap_lost(struct unit *u, struct memobj *mo);

/*
 * Drops the regions of a unit being destroyed (before its tables go),
 * each spending its pages from *budget (one region may overdraw it, at
 * most MEMOBJ_MAX_PAGES unmaps). True when none is left.
 */
bool memobj_unit_gone_some(struct unit *u, uint64_t *budget);

#endif /* KERNEL_MEMOBJ_H */
