/*
 * Multiboot2 boot information parser.
 *
 * The boot loader hands the kernel a block of bytes: a fixed part
 * (u32 total_size, u32 reserved) followed by 8-byte-aligned tags
 * (u32 type, u32 size, payload), ending with a tag of type 0 and size 8.
 * mb2_parse treats those bytes as untrusted: it reads every field with
 * __builtin_memcpy, never reads outside [buf, buf + buf_len) nor outside
 * the tag it is decoding, and copies what the kernel needs into a
 * self-contained struct mb2_info, so nothing later points back into
 * loader memory.
 *
 * Errors (negative; *out is unspecified after an error):
 *   -AION_EINVAL     buf or out is NULL.
 *   -AION_ETRUNC     something runs past the end: buf_len < 16,
 *                    total_size > buf_len, a tag extending past
 *                    total_size, no end tag before total_size, an mmap tag
 *                    whose entries do not fill it exactly, a tag too short
 *                    for its fixed fields (module < 16 bytes, mmap < 16,
 *                    RSDP v1 < 8 + 20, RSDP v2 < 8 + 36).
 *   -AION_EMALFORMED nonsense values: total_size < 16 or not a multiple
 *                    of 8, a tag size < 8, an end tag whose size is not 8,
 *                    mmap entry_size < 24 or not a multiple of 8, an mmap
 *                    entry whose base + len overflows 64 bits, a module with
 *                    mod_start > mod_end, a string (cmdline, loader name,
 *                    module name) with no NUL inside its tag.
 *   -AION_EOVERLAP   a usable memory range overlapping any other range
 *                    (overlaps among non-usable ranges are tolerated:
 *                    firmware reports those), or two modules overlapping.
 *   -AION_ENOSPC     more than MB2_MAX_MEM non-empty memory ranges or more
 *                    than MB2_MAX_MODULES modules.
 */
#ifndef AION_MULTIBOOT2_H
#define AION_MULTIBOOT2_H

#include <stddef.h>
#include <stdint.h>

#define MB2_MAX_MEM      64
#define MB2_MAX_MODULES  24
#define MB2_STR_MAX      256    /* longer strings are truncated, still NUL-terminated */

/* Tag types the parser decodes; all others are skipped. */
#define MB2_TAG_END       0
#define MB2_TAG_CMDLINE   1
#define MB2_TAG_LOADER    2
#define MB2_TAG_MODULE    3
#define MB2_TAG_MMAP      6
#define MB2_TAG_RSDP_V1  14
#define MB2_TAG_RSDP_V2  15

enum mb2_mem_type {
	MB2_MEM_USABLE = 1,
	MB2_MEM_RESERVED = 2,
	MB2_MEM_ACPI = 3,       /* ACPI reclaimable */
	MB2_MEM_NVS = 4,        /* ACPI NVS: must be preserved across sleep */
	MB2_MEM_BAD = 5,
};

/* [base, base + len), len > 0; base + len never overflows. */
struct mb2_mem_range {
	uint64_t base, len;
	uint32_t type;          /* enum mb2_mem_type, or any other firmware value */
};

/* Physical [start, end), start <= end. */
struct mb2_module {
	uint32_t start, end;
	char name[MB2_STR_MAX];
};

struct mb2_info {
	char cmdline[MB2_STR_MAX];
	char loader[MB2_STR_MAX];
	struct mb2_mem_range mem[MB2_MAX_MEM];
	unsigned nmem;                  /* zero-length entries dropped */
	struct mb2_module mod[MB2_MAX_MODULES];
	unsigned nmod;
	uint8_t rsdp[36];
	unsigned rsdp_len;              /* 0 when absent, 20 (v1) or 36 (v2); v2 preferred */
	uint64_t usable_bytes;          /* sum of usable ranges */
	uint64_t top_usable;            /* highest end address of a usable range, 0 if none */
};

/* Parse buf_len bytes at buf into *out: 0 or a negative error (see above). */
int mb2_parse(const void *buf, size_t buf_len, struct mb2_info *out);

/* "usable", "reserved", "acpi", "nvs", "bad" or "unknown"; never NULL. */
const char *mb2_mem_type_name(uint32_t type);

#endif /* AION_MULTIBOOT2_H */
