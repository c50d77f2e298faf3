/*
 * Physical memory of this node: the frame allocator set up from the boot
 * memory map, and the page provider that kernel object slabs draw from.
 */
#ifndef KERNEL_MEMORY_H
#define KERNEL_MEMORY_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

struct mb2_info;
struct slab_page_ops;

/*
 * Builds the frame allocator over the usable ranges of info. Never hands
 * out: the first MiB, the kernel image, the boot information, the modules
 * and the allocator's own bitmap.
 */
int memory_init(const struct mb2_info *info, uint64_t mbi_phys, size_t mbi_len);

/* Physical address of a free frame (not zeroed), or -AION_ENOMEM. */
int64_t memory_alloc_frame(void);
int memory_free_frame(uint64_t phys);
uint64_t memory_free_frames(void);
uint64_t memory_total_frames(void);        /* usable frames at boot */

/* Does [phys, phys+len) touch a RAM range (usable, ACPI, NVS) of the boot map? */
bool memory_is_ram(uint64_t phys, uint64_t len);

/* Pages for slab caches, taken from and returned to the frame allocator. */
extern const struct slab_page_ops memory_slab_pages;

#endif /* KERNEL_MEMORY_H */
