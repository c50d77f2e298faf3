/*
 * Multiboot2 boot information parser (see multiboot2.h).
 *
 * Every tag decoder gets a pointer to its tag and the tag's size, already
 * checked to lie inside the info block, and reads only below tag + size.
 * Fields are read with __builtin_memcpy because the block is untrusted and
 * may be misaligned: no pointer casts, so UBSan stays quiet and the code
 * is correct on any alignment.
 */
#include "multiboot2.h"

#include <stdbool.h>

#include "aion/error.h"

#define MB2_FIXED_SIZE    8u    /* u32 total_size, u32 reserved */
#define MB2_TAG_HDR       8u    /* u32 type, u32 size */
#define MB2_MODULE_HDR   16u    /* tag header + u32 mod_start, u32 mod_end */
#define MB2_MMAP_HDR     16u    /* tag header + u32 entry_size, u32 entry_version */
#define MB2_MMAP_ENTRY   24u    /* u64 base_addr, u64 length, u32 type, u32 reserved */
#define MB2_RSDP_V1_LEN  20u
#define MB2_RSDP_V2_LEN  36u

static uint32_t mb2_rd32(const uint8_t *p)
{
	uint32_t v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t mb2_rd64(const uint8_t *p)
{
	uint64_t v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * Copy the NUL-terminated string in src[0, len) into dst, truncating to
 * MB2_STR_MAX - 1 characters. The NUL must lie inside src[0, len): a
 * string that runs to the end of its tag is malformed.
 */
static int mb2_copy_str(char dst[MB2_STR_MAX], const uint8_t *src, size_t len)
{
	size_t n = 0;

	while (n < len && src[n] != '\0')
		n++;
	if (n == len)
		return -AION_EMALFORMED;
	if (n > MB2_STR_MAX - 1)
		n = MB2_STR_MAX - 1;
	__builtin_memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

static int mb2_tag_module(struct mb2_info *out, const uint8_t *tag, uint32_t size)
{
	struct mb2_module *m;
	uint32_t start, end;

	if (size < MB2_MODULE_HDR)
		return -AION_ETRUNC;
	start = mb2_rd32(tag + 8);
	end = mb2_rd32(tag + 12);
	if (start > end)
		return -AION_EMALFORMED;
	if (out->nmod >= MB2_MAX_MODULES)
		return -AION_ENOSPC;
	m = &out->mod[out->nmod];
	m->start = start;
	m->end = end;
	out->nmod++;
	return mb2_copy_str(m->name, tag + MB2_MODULE_HDR, size - MB2_MODULE_HDR);
}

/* One mmap entry at e (MB2_MMAP_ENTRY bytes readable). */
static int mb2_mmap_entry(struct mb2_info *out, const uint8_t *e)
{
	uint64_t base = mb2_rd64(e);
	uint64_t len = mb2_rd64(e + 8);
	struct mb2_mem_range *r;

	if (len == 0)
		return 0;       /* some firmware reports empty ranges: drop them */
	if (len > UINT64_MAX - base)
		return -AION_EMALFORMED;
	if (out->nmem >= MB2_MAX_MEM)
		return -AION_ENOSPC;
	r = &out->mem[out->nmem++];
	r->base = base;
	r->len = len;
	r->type = mb2_rd32(e + 16);
	return 0;
}

static int mb2_tag_mmap(struct mb2_info *out, const uint8_t *tag, uint32_t size)
{
	uint32_t esize, body;
	int err;

	if (size < MB2_MMAP_HDR)
		return -AION_ETRUNC;
	esize = mb2_rd32(tag + 8);
	/* Larger entries are allowed (future versions append fields). */
	if (esize < MB2_MMAP_ENTRY || esize % 8 != 0)
		return -AION_EMALFORMED;
	body = size - MB2_MMAP_HDR;
	if (body % esize != 0)
		return -AION_ETRUNC;    /* last entry runs past the tag */
	for (uint32_t off = 0; off < body; off += esize) {
		err = mb2_mmap_entry(out, tag + MB2_MMAP_HDR + off);
		if (err < 0)
			return err;
	}
	return 0;
}

static int mb2_tag_rsdp(struct mb2_info *out, const uint8_t *tag, uint32_t size,
			unsigned len)
{
	if (size < MB2_TAG_HDR + len)
		return -AION_ETRUNC;
	/* A v2 copy carries the XSDT address: never replace it with v1. */
	if (out->rsdp_len > len)
		return 0;
	__builtin_memcpy(out->rsdp, tag + MB2_TAG_HDR, len);
	out->rsdp_len = len;
	return 0;
}

static int mb2_tag(struct mb2_info *out, uint32_t type, const uint8_t *tag, uint32_t size)
{
	switch (type) {
	case MB2_TAG_CMDLINE:
		return mb2_copy_str(out->cmdline, tag + MB2_TAG_HDR, size - MB2_TAG_HDR);
	case MB2_TAG_LOADER:
		return mb2_copy_str(out->loader, tag + MB2_TAG_HDR, size - MB2_TAG_HDR);
	case MB2_TAG_MODULE:
		return mb2_tag_module(out, tag, size);
	case MB2_TAG_MMAP:
		return mb2_tag_mmap(out, tag, size);
	case MB2_TAG_RSDP_V1:
		return mb2_tag_rsdp(out, tag, size, MB2_RSDP_V1_LEN);
	case MB2_TAG_RSDP_V2:
		return mb2_tag_rsdp(out, tag, size, MB2_RSDP_V2_LEN);
	default:
		return 0;       /* unknown or unneeded: skip */
	}
}

/* Walk the tags of a block whose total_size is already validated. */
static int mb2_walk(const uint8_t *buf, uint32_t total, struct mb2_info *out)
{
	uint32_t off = MB2_FIXED_SIZE;
	int err;

	/* off and total are multiples of 8, so total - off is too. */
	for (;;) {
		uint32_t type, size;

		if (total - off < MB2_TAG_HDR)
			return -AION_ETRUNC;    /* no end tag */
		type = mb2_rd32(buf + off);
		size = mb2_rd32(buf + off + 4);
		if (size < MB2_TAG_HDR)
			return -AION_EMALFORMED;
		if (size > total - off)
			return -AION_ETRUNC;
		if (type == MB2_TAG_END)
			return size == MB2_TAG_HDR ? 0 : -AION_EMALFORMED;
		err = mb2_tag(out, type, buf + off, size);
		if (err < 0)
			return err;
		/* size <= total - off and the latter is 8-aligned: no overflow. */
		off += (size + 7) & ~7u;
	}
}

/* Half-open ranges; an empty range shares no byte with anything. */
static bool mb2_overlap(uint64_t a_start, uint64_t a_end, uint64_t b_start, uint64_t b_end)
{
	return a_start < a_end && b_start < b_end && a_start < b_end && b_start < a_end;
}

/* Usable RAM must be unambiguous: it may overlap nothing else. */
static int mb2_check_mem(struct mb2_info *out)
{
	for (unsigned i = 0; i < out->nmem; i++) {
		const struct mb2_mem_range *a = &out->mem[i];

		for (unsigned j = i + 1; j < out->nmem; j++) {
			const struct mb2_mem_range *b = &out->mem[j];

			if (a->type != MB2_MEM_USABLE && b->type != MB2_MEM_USABLE)
				continue;
			if (mb2_overlap(a->base, a->base + a->len, b->base, b->base + b->len))
				return -AION_EOVERLAP;
		}
	}
	/* Disjoint ranges below 2^64 sum to less than 2^64: no overflow. */
	for (unsigned i = 0; i < out->nmem; i++) {
		const struct mb2_mem_range *r = &out->mem[i];

		if (r->type != MB2_MEM_USABLE)
			continue;
		out->usable_bytes += r->len;
		if (r->base + r->len > out->top_usable)
			out->top_usable = r->base + r->len;
	}
	return 0;
}

static int mb2_check_modules(const struct mb2_info *out)
{
	for (unsigned i = 0; i < out->nmod; i++) {
		for (unsigned j = i + 1; j < out->nmod; j++) {
			if (mb2_overlap(out->mod[i].start, out->mod[i].end,
					out->mod[j].start, out->mod[j].end))
				return -AION_EOVERLAP;
		}
	}
	return 0;
}

int mb2_parse(const void *buf, size_t buf_len, struct mb2_info *out)
{
	uint32_t total;
	int err;

	if (buf == NULL || out == NULL)
		return -AION_EINVAL;
	if (buf_len < 2 * MB2_FIXED_SIZE)
		return -AION_ETRUNC;
	total = mb2_rd32(buf);
	if (total < 2 * MB2_FIXED_SIZE || total % 8 != 0)
		return -AION_EMALFORMED;
	if (total > buf_len)
		return -AION_ETRUNC;

	__builtin_memset(out, 0, sizeof(*out));
	err = mb2_walk(buf, total, out);
	if (err < 0)
		return err;
	err = mb2_check_mem(out);
	if (err < 0)
		return err;
	return mb2_check_modules(out);
}

const char *mb2_mem_type_name(uint32_t type)
{
	switch (type) {
	case MB2_MEM_USABLE:   return "usable";
	case MB2_MEM_RESERVED: return "reserved";
	case MB2_MEM_ACPI:     return "acpi";
	case MB2_MEM_NVS:      return "nvs";
	case MB2_MEM_BAD:      return "bad";
	default:               return "unknown";
	}
}
