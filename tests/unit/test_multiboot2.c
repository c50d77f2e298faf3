/*
 * Host tests for the multiboot2 parser (kernel/lib/multiboot2.c).
 *
 * Boot information is assembled in a scratch builder, then copied into a
 * buffer malloc'ed at exactly the length handed to mb2_parse, so
 * AddressSanitizer flags any read past the end.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aion/error.h"
#include "multiboot2.h"
#include "common/xorshift.h"

struct mb {
	uint8_t buf[16384];
	size_t len;             /* bytes built so far */
	size_t parse_len;       /* length handed to mb2_parse; 0 = len */
	bool raw;               /* case builder wrote its own ending */
};

struct mmap_ent {
	uint64_t base, len;
	uint32_t type;
};

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void mb_begin(struct mb *b)
{
	memset(b, 0, sizeof(*b));
	b->len = 8;
}

/* A tag whose size field may lie; payload copied as given, then padded. */
static void mb_raw_tag(struct mb *b, uint32_t type, uint32_t size, const void *payload, size_t plen)
{
	assert_true(b->len + 8 + plen + 8 <= sizeof(b->buf));
	put32(b->buf + b->len, type);
	put32(b->buf + b->len + 4, size);
	if (plen > 0)
		memcpy(b->buf + b->len + 8, payload, plen);
	b->len = (b->len + 8 + plen + 7) & ~(size_t)7;
}

static void mb_tag(struct mb *b, uint32_t type, const void *payload, size_t plen)
{
	mb_raw_tag(b, type, (uint32_t)(8 + plen), payload, plen);
}

static void mb_str(struct mb *b, uint32_t type, const char *s)
{
	mb_tag(b, type, s, strlen(s) + 1);
}

static void mb_module(struct mb *b, uint32_t start, uint32_t end, const char *name)
{
	uint8_t p[8 + 300];
	size_t n = strlen(name) + 1;

	assert_true(n <= 300);
	put32(p, start);
	put32(p + 4, end);
	memcpy(p + 8, name, n);
	mb_tag(b, MB2_TAG_MODULE, p, 8 + n);
}

/* mmap tag with entries of esize bytes (>= 20 so the type fits). */
static void mb_mmap(struct mb *b, uint32_t esize, const struct mmap_ent *e, size_t n)
{
	uint8_t p[8 + 80 * 40] = { 0 };

	assert_true(esize >= 20 && esize <= 40 && n <= 80);
	put32(p, esize);
	put32(p + 4, 0);
	for (size_t i = 0; i < n; i++) {
		put64(p + 8 + i * esize, e[i].base);
		put64(p + 8 + i * esize + 8, e[i].len);
		put32(p + 8 + i * esize + 16, e[i].type);
	}
	mb_tag(b, MB2_TAG_MMAP, p, 8 + n * esize);
}

static void mb_rsdp(struct mb *b, uint32_t type, size_t len, uint8_t fill)
{
	uint8_t p[64];

	memset(p, fill, sizeof(p));
	mb_tag(b, type, p, len);
}

static void mb_end(struct mb *b)
{
	mb_tag(b, MB2_TAG_END, NULL, 0);
	put32(b->buf, (uint32_t)b->len);
}

/* Parse a copy of the first len bytes, malloc'ed at exactly len. */
static int parse_copy(const uint8_t *src, size_t len, struct mb2_info *out)
{
	uint8_t *copy = malloc(len ? len : 1);
	int err;

	assert_non_null(copy);
	memcpy(copy, src, len);
	err = mb2_parse(copy, len, out);
	free(copy);
	return err;
}

static int mb_parse(const struct mb *b, struct mb2_info *out)
{
	return parse_copy(b->buf, b->parse_len ? b->parse_len : b->len, out);
}

static const struct mmap_ent good_map[] = {
	{ 0x0, 0x9fc00, MB2_MEM_USABLE },
	{ 0x9fc00, 0x400, MB2_MEM_RESERVED },
	{ 0xf0000, 0x10000, MB2_MEM_RESERVED },
	{ 0x100000, 0x7ee0000, MB2_MEM_USABLE },
	{ 0x7fe0000, 0x20000, MB2_MEM_ACPI },
	{ 0x7fe0000, 0x1000, MB2_MEM_NVS },     /* overlaps ACPI: tolerated */
	{ 0x12345000, 0, MB2_MEM_USABLE },      /* empty: dropped */
	{ 0xfffc0000, 0x40000, MB2_MEM_RESERVED },
	{ 0x100000000, 0x80000000, MB2_MEM_USABLE },
	{ 0x200000000, 0x1000, 77 },            /* unknown type kept */
};

/* The valid info every other case starts from or mutates. */
static void build_good(struct mb *b, uint32_t esize)
{
	uint32_t basic[2] = { 639, 130048 };

	mb_begin(b);
	mb_str(b, MB2_TAG_CMDLINE, "console=ttyS0 debug");
	mb_tag(b, 4, basic, sizeof(basic));     /* basic meminfo: skipped */
	mb_module(b, 0x200000, 0x280000, "init");
	mb_str(b, MB2_TAG_LOADER, "GRUB 2.06");
	mb_mmap(b, esize, good_map, sizeof(good_map) / sizeof(good_map[0]));
	mb_rsdp(b, MB2_TAG_RSDP_V1, 20, 0x11);
	mb_module(b, 0x280000, 0x300000, "fs.srv");
	mb_tag(b, 99, "xyz", 3);               /* unknown: skipped */
	mb_rsdp(b, MB2_TAG_RSDP_V2, 36, 0x22);
	mb_rsdp(b, MB2_TAG_RSDP_V1, 20, 0x33);  /* must not replace v2 */
	mb_end(b);
}

static void check_good(const struct mb2_info *info)
{
	static const uint8_t want_rsdp[36] = {
		0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
		0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
		0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
	};

	assert_string_equal(info->cmdline, "console=ttyS0 debug");
	assert_string_equal(info->loader, "GRUB 2.06");
	assert_int_equal(info->nmod, 2);
	assert_int_equal(info->mod[0].start, 0x200000);
	assert_int_equal(info->mod[0].end, 0x280000);
	assert_string_equal(info->mod[0].name, "init");
	assert_int_equal(info->mod[1].start, 0x280000);
	assert_int_equal(info->mod[1].end, 0x300000);
	assert_string_equal(info->mod[1].name, "fs.srv");
	assert_int_equal(info->nmem, 9);
	assert_int_equal(info->mem[0].base, 0);
	assert_int_equal(info->mem[0].len, 0x9fc00);
	assert_int_equal(info->mem[0].type, MB2_MEM_USABLE);
	assert_int_equal(info->mem[4].type, MB2_MEM_ACPI);
	assert_int_equal(info->mem[5].type, MB2_MEM_NVS);
	assert_int_equal(info->mem[6].base, 0xfffc0000);  /* empty one dropped */
	assert_int_equal(info->mem[7].base, 0x100000000);
	assert_int_equal(info->mem[7].len, 0x80000000);
	assert_int_equal(info->mem[8].type, 77);
	assert_int_equal(info->usable_bytes, 0x9fc00 + 0x7ee0000 + 0x80000000ull);
	assert_int_equal(info->top_usable, 0x180000000ull);
	assert_int_equal(info->rsdp_len, 36);
	assert_memory_equal(info->rsdp, want_rsdp, 36);
}

static void test_valid(void **state)
{
	(void)state;
	struct mb *b = malloc(sizeof(*b));
	struct mb2_info *info = malloc(sizeof(*info));
	uint8_t *odd;

	assert_non_null(b);
	assert_non_null(info);
	build_good(b, 24);
	assert_int_equal(mb_parse(b, info), 0);
	check_good(info);

	/* Larger entry stride (future entry versions) reads the same. */
	build_good(b, 32);
	assert_int_equal(mb_parse(b, info), 0);
	check_good(info);

	/* Misaligned buffer: fields are memcpy'd, so UBSan stays quiet. */
	odd = malloc(b->len + 1);
	assert_non_null(odd);
	memcpy(odd + 1, b->buf, b->len);
	assert_int_equal(mb2_parse(odd + 1, b->len, info), 0);
	check_good(info);
	free(odd);

	/* Trailing bytes past total_size are ignored. */
	b->parse_len = b->len + 8;
	assert_int_equal(mb_parse(b, info), 0);
	check_good(info);

	/* Minimal info: no tags but the end tag. */
	mb_begin(b);
	mb_end(b);
	assert_int_equal(mb_parse(b, info), 0);
	assert_int_equal(info->nmem, 0);
	assert_int_equal(info->nmod, 0);
	assert_int_equal(info->rsdp_len, 0);
	assert_int_equal(info->usable_bytes, 0);
	assert_int_equal(info->top_usable, 0);
	assert_string_equal(info->cmdline, "");

	/* RSDP v1 alone. */
	mb_begin(b);
	mb_rsdp(b, MB2_TAG_RSDP_V1, 20, 0x44);
	mb_end(b);
	assert_int_equal(mb_parse(b, info), 0);
	assert_int_equal(info->rsdp_len, 20);
	assert_int_equal(info->rsdp[19], 0x44);

	assert_int_equal(mb2_parse(NULL, 16, info), -AION_EINVAL);
	assert_int_equal(mb2_parse(b->buf, 16, NULL), -AION_EINVAL);
	free(info);
	free(b);
}

static void test_long_cmdline(void **state)
{
	(void)state;
	struct mb *b = malloc(sizeof(*b));
	struct mb2_info *info = malloc(sizeof(*info));
	char s[1001];

	assert_non_null(b);
	assert_non_null(info);
	for (int i = 0; i < 1000; i++)
		s[i] = (char)('a' + i % 26);
	s[1000] = '\0';
	mb_begin(b);
	mb_str(b, MB2_TAG_CMDLINE, s);
	mb_module(b, 0, 0x1000, s + 701);
	mb_end(b);
	assert_int_equal(mb_parse(b, info), 0);
	assert_int_equal(strlen(info->cmdline), MB2_STR_MAX - 1);
	assert_memory_equal(info->cmdline, s, MB2_STR_MAX - 1);
	assert_memory_equal(info->mod[0].name, s + 701, MB2_STR_MAX - 1);
	assert_int_equal(strlen(info->mod[0].name), MB2_STR_MAX - 1);  /* 299: cut */
	free(info);
	free(b);
}

/*
 * Malformed (and borderline valid) inputs, one builder each, with the
 * exact result expected. The loop appends the end tag and sets
 * total_size after the builder unless the builder set b->raw to finish
 * the block itself.
 */
static const struct mmap_ent two_ents[2] = { { 0, 0x1000, 1 }, { 0x1000, 0x1000, 2 } };

static void mmap2(struct mb *b, struct mmap_ent x, struct mmap_ent y)
{
	struct mmap_ent e[2] = { x, y };

	mb_mmap(b, 24, e, 2);
}

/* n non-empty, disjoint entries followed by `empty` zero-length ones. */
static void mmap_n(struct mb *b, size_t n, size_t empty)
{
	struct mmap_ent e[80];

	for (size_t i = 0; i < n + empty; i++)
		e[i] = (struct mmap_ent){ i * 0x10000, i < n ? 0x1000 : 0, 1 };
	mb_mmap(b, 24, e, n + empty);
}

static void modules_n(struct mb *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		mb_module(b, i * 0x1000, i * 0x1000 + 0x1000, "m");
}

static void c_buf_short(struct mb *b)
{
	mb_end(b);
	b->raw = true;
	b->parse_len = 15;
}

static void c_total_past_buf(struct mb *b)
{
	mb_str(b, MB2_TAG_CMDLINE, "x");
	mb_end(b);
	b->raw = true;
	b->parse_len = b->len - 8;
}

static void c_total_small(struct mb *b)
{
	mb_end(b);
	b->raw = true;
	put32(b->buf, 8);
}

static void c_total_unaligned(struct mb *b)
{
	mb_end(b);
	mb_end(b);
	b->raw = true;
	put32(b->buf, 20);
}

static void c_no_end(struct mb *b)
{
	mb_str(b, MB2_TAG_CMDLINE, "x");
	b->raw = true;
	put32(b->buf, (uint32_t)b->len);
}

static void c_end_size(struct mb *b)
{
	mb_raw_tag(b, MB2_TAG_END, 16, "\0\0\0\0\0\0\0", 8);
	b->raw = true;
	put32(b->buf, (uint32_t)b->len);
}

/* mmap with entry_size 16: 16-byte entries, header claims 16. */
static void c_mmap_esize16(struct mb *b)
{
	uint8_t p[8 + 32] = { 16 };

	mb_tag(b, MB2_TAG_MMAP, p, sizeof(p));
}

static void c_mmap_esize0(struct mb *b)
{
	uint8_t p[8] = { 0 };

	mb_tag(b, MB2_TAG_MMAP, p, sizeof(p));
}

static void c_mmap_short_tag(struct mb *b)
{
	uint8_t p[4] = { 24 };

	mb_tag(b, MB2_TAG_MMAP, p, sizeof(p));
}

/* Two entries written, tag size cut 12 bytes into the second one. */
static void c_mmap_entry_past_tag(struct mb *b)
{
	size_t at = b->len;

	mb_mmap(b, 24, two_ents, 2);
	put32(b->buf + at + 4, 16 + 24 + 12);
}

/* Two mmap tags of 40 + 25 entries: the limit is on the total. */
static void c_mmap_65_two_tags(struct mb *b)
{
	mmap_n(b, 40, 0);
	mmap_n(b, 25, 0);
}

static void c_mod_overlap(struct mb *b)
{
	mb_module(b, 0x1000, 0x3000, "a");
	mb_module(b, 0x5000, 0x6000, "b");
	mb_module(b, 0x2fff, 0x4000, "c");
}

static void c_mod_empty_adjacent(struct mb *b)
{
	mb_module(b, 0x1000, 0x2000, "a");
	mb_module(b, 0x2000, 0x3000, "b");
	mb_module(b, 0x1800, 0x1800, "empty");
}

static void c_modname_unterminated(struct mb *b)
{
	uint8_t p[8 + 3] = { 0, 0x10, 0, 0, 0, 0x20, 0, 0, 'a', 'b', 'c' };

	mb_tag(b, MB2_TAG_MODULE, p, sizeof(p));
}

static void c_unknown_only(struct mb *b)
{
	mb_tag(b, 0x7fffffff, "junk", 4);
	mb_raw_tag(b, 21, 8, NULL, 0);
}

/* One-statement builders. */
static void c_tag_size_small(struct mb *b) { mb_raw_tag(b, 99, 4, NULL, 0); }
static void c_tag_past_end(struct mb *b) { mb_raw_tag(b, MB2_TAG_CMDLINE, 200, "hi", 3); }
static void c_mmap_esize20(struct mb *b) { mb_mmap(b, 20, two_ents, 2); }
static void c_mmap_esize28(struct mb *b) { mb_mmap(b, 28, two_ents, 2); }
static void c_mmap_esize32(struct mb *b) { mb_mmap(b, 32, two_ents, 2); }
static void c_mmap_no_entries(struct mb *b) { mb_mmap(b, 24, NULL, 0); }
static void c_mmap_64(struct mb *b) { mmap_n(b, 64, 0); }
static void c_mmap_65(struct mb *b) { mmap_n(b, 65, 0); }
static void c_mmap_64_plus_empty(struct mb *b) { mmap_n(b, 64, 5); }
static void c_mod_24(struct mb *b) { modules_n(b, MB2_MAX_MODULES); }
static void c_mod_25(struct mb *b) { modules_n(b, MB2_MAX_MODULES + 1); }
static void c_mod_backwards(struct mb *b) { mb_module(b, 0x2000, 0x1fff, "m"); }
static void c_mod_short(struct mb *b) { mb_tag(b, MB2_TAG_MODULE, "\0\0\0", 4); }
/* Strings without a NUL inside the tag (the padding after it is zero). */
static void c_cmdline_unterminated(struct mb *b) { mb_tag(b, MB2_TAG_CMDLINE, "hello", 5); }
static void c_cmdline_empty_tag(struct mb *b) { mb_tag(b, MB2_TAG_CMDLINE, NULL, 0); }
static void c_loader_unterminated(struct mb *b) { mb_tag(b, MB2_TAG_LOADER, "GRUB", 4); }
static void c_modname_missing(struct mb *b) { mb_tag(b, MB2_TAG_MODULE, "\0\x10\0\0\0\x20\0", 8); }
static void c_rsdp1_short(struct mb *b) { mb_rsdp(b, MB2_TAG_RSDP_V1, 19, 0); }
static void c_rsdp2_short(struct mb *b) { mb_rsdp(b, MB2_TAG_RSDP_V2, 35, 0); }
static void c_rsdp2_as_v1_len(struct mb *b) { mb_rsdp(b, MB2_TAG_RSDP_V2, 20, 0); }

#define ENT(base, len, type) ((struct mmap_ent){ (base), (len), (type) })
static void c_mmap_overflow(struct mb *b)
{ mmap2(b, ENT(0, 0x1000, 1), ENT(0xfffffffffffff000ull, 0x2000, 2)); }
static void c_mmap_overflow_exact(struct mb *b)
{ mmap2(b, ENT(0, 0x1000, 1), ENT(0xfffffffffffff000ull, 0x1000, 2)); }
static void c_mmap_top(struct mb *b)
{ mmap2(b, ENT(0, 0x1000, 1), ENT(0xffffffffffffe000ull, 0x1000, 1)); }
static void c_usable_usable(struct mb *b)
{ mmap2(b, ENT(0x1000, 0x3000, 1), ENT(0x3000, 0x1000, 1)); }
static void c_usable_reserved(struct mb *b)
{ mmap2(b, ENT(0x1000, 0x3000, 1), ENT(0x3fff, 0x10, 2)); }
static void c_reserved_usable(struct mb *b)
{ mmap2(b, ENT(0, 0x100000, 2), ENT(0x9000, 0x1000, 1)); }
static void c_reserved_reserved(struct mb *b)
{ mmap2(b, ENT(0x1000, 0x3000, 2), ENT(0x2000, 0x3000, 3)); }
static void c_usable_adjacent(struct mb *b)
{ mmap2(b, ENT(0x1000, 0x1000, 1), ENT(0x2000, 0x1000, 1)); }
#undef ENT

struct mb_case {
	const char *name;
	void (*build)(struct mb *b);
	int expect;
};

static const struct mb_case mb_cases[] = {
	{ "buf_len < 16",                  c_buf_short,            -AION_ETRUNC },
	{ "total_size > buf_len",          c_total_past_buf,       -AION_ETRUNC },
	{ "total_size < 16",               c_total_small,          -AION_EMALFORMED },
	{ "total_size not 8-aligned",      c_total_unaligned,      -AION_EMALFORMED },
	{ "tag size < 8",                  c_tag_size_small,       -AION_EMALFORMED },
	{ "tag past the end",              c_tag_past_end,         -AION_ETRUNC },
	{ "missing end tag",               c_no_end,               -AION_ETRUNC },
	{ "end tag size 16",               c_end_size,             -AION_EMALFORMED },
	{ "mmap entry_size 16",            c_mmap_esize16,         -AION_EMALFORMED },
	{ "mmap entry_size 20",            c_mmap_esize20,         -AION_EMALFORMED },
	{ "mmap entry_size 28",            c_mmap_esize28,         -AION_EMALFORMED },
	{ "mmap entry_size 0",             c_mmap_esize0,          -AION_EMALFORMED },
	{ "mmap entry_size 32 ok",         c_mmap_esize32,         0 },
	{ "mmap tag shorter than header",  c_mmap_short_tag,       -AION_ETRUNC },
	{ "mmap with no entries ok",       c_mmap_no_entries,      0 },
	{ "mmap entry past the tag",       c_mmap_entry_past_tag,  -AION_ETRUNC },
	{ "mmap base+len overflow",        c_mmap_overflow,        -AION_EMALFORMED },
	{ "mmap base+len == 2^64",         c_mmap_overflow_exact,  -AION_EMALFORMED },
	{ "mmap range near top ok",        c_mmap_top,             0 },
	{ "usable overlaps usable",        c_usable_usable,        -AION_EOVERLAP },
	{ "usable overlaps reserved",      c_usable_reserved,      -AION_EOVERLAP },
	{ "reserved contains usable",      c_reserved_usable,      -AION_EOVERLAP },
	{ "reserved overlaps reserved ok", c_reserved_reserved,    0 },
	{ "usable ranges adjacent ok",     c_usable_adjacent,      0 },
	{ "64 mmap entries ok",            c_mmap_64,              0 },
	{ "65 mmap entries",               c_mmap_65,              -AION_ENOSPC },
	{ "64 entries + empty ones ok",    c_mmap_64_plus_empty,   0 },
	{ "65 entries over two tags",      c_mmap_65_two_tags,     -AION_ENOSPC },
	{ "24 modules ok",                 c_mod_24,               0 },
	{ "25 modules",                    c_mod_25,               -AION_ENOSPC },
	{ "module start > end",            c_mod_backwards,        -AION_EMALFORMED },
	{ "modules overlap",               c_mod_overlap,          -AION_EOVERLAP },
	{ "modules adjacent/empty ok",     c_mod_empty_adjacent,   0 },
	{ "module tag too short",          c_mod_short,            -AION_ETRUNC },
	{ "cmdline unterminated",          c_cmdline_unterminated, -AION_EMALFORMED },
	{ "cmdline tag empty",             c_cmdline_empty_tag,    -AION_EMALFORMED },
	{ "loader unterminated",           c_loader_unterminated,  -AION_EMALFORMED },
	{ "module name unterminated",      c_modname_unterminated, -AION_EMALFORMED },
	{ "module name missing",           c_modname_missing,      -AION_EMALFORMED },
	{ "rsdp v1 short",                 c_rsdp1_short,          -AION_ETRUNC },
	{ "rsdp v2 short",                 c_rsdp2_short,          -AION_ETRUNC },
	{ "rsdp v2 with v1 length",        c_rsdp2_as_v1_len,      -AION_ETRUNC },
	{ "unknown tags only ok",          c_unknown_only,         0 },
};

static void test_malformed(void **state)
{
	(void)state;
	struct mb *b = malloc(sizeof(*b));
	struct mb2_info *info = malloc(sizeof(*info));

	assert_non_null(b);
	assert_non_null(info);
	for (size_t i = 0; i < sizeof(mb_cases) / sizeof(mb_cases[0]); i++) {
		const struct mb_case *c = &mb_cases[i];
		int got;

		mb_begin(b);
		c->build(b);
		if (!b->raw)
			mb_end(b);
		got = mb_parse(b, info);
		if (got != c->expect)
			fail_msg("case '%s': got %s (%d), want %s (%d)", c->name,
				 aion_error_name(got), got, aion_error_name(c->expect), c->expect);
	}
	free(info);
	free(b);
}

/* What a successful parse must always satisfy, whatever the input. */
static void check_sane(const struct mb2_info *info)
{
	assert_true(info->nmem <= MB2_MAX_MEM);
	assert_true(info->nmod <= MB2_MAX_MODULES);
	assert_true(info->rsdp_len == 0 || info->rsdp_len == 20 || info->rsdp_len == 36);
	assert_non_null(memchr(info->cmdline, '\0', MB2_STR_MAX));
	assert_non_null(memchr(info->loader, '\0', MB2_STR_MAX));
	for (unsigned i = 0; i < info->nmem; i++) {
		assert_true(info->mem[i].len > 0);
		assert_true(info->mem[i].base + info->mem[i].len > info->mem[i].base);
	}
	for (unsigned i = 0; i < info->nmod; i++) {
		assert_true(info->mod[i].start <= info->mod[i].end);
		assert_non_null(memchr(info->mod[i].name, '\0', MB2_STR_MAX));
	}
}

/*
 * Deterministic mutation: overwrite bytes, flip bits, plant interesting
 * 32-bit values and shorten the buffer. The parser must stay inside the
 * buffer (ASan) and free of UB (UBSan); the result itself is free.
 */
static void test_mutation(void **state)
{
	(void)state;
	static const uint32_t interesting[] = {
		0, 1, 7, 8, 15, 16, 20, 23, 24, 28, 32, 44, 0x7fffffff, 0x80000000,
		0xfffffff8, 0xffffffff,
	};
	struct mb *b = malloc(sizeof(*b));
	struct mb2_info *info = malloc(sizeof(*info));
	uint64_t seed = 0x2545f4914f6cdd1dull;
	unsigned ok = 0;

	assert_non_null(b);
	assert_non_null(info);
	build_good(b, 24);
	for (int it = 0; it < 20000; it++) {
		size_t len = b->len;
		uint64_t r = xorshift64(&seed);
		uint8_t *m;

		if (r % 10 == 0)
			len = (size_t)(xorshift64(&seed) % (b->len + 1));
		m = malloc(len ? len : 1);
		assert_non_null(m);
		memcpy(m, b->buf, len);
		for (unsigned k = 0; len > 0 && k < 1 + (r >> 8) % 4; k++) {
			uint64_t q = xorshift64(&seed);
			size_t pos = (size_t)(q % len);

			switch ((q >> 32) % 3) {
			case 0:
				m[pos] = (uint8_t)(q >> 40);
				break;
			case 1:
				m[pos] ^= (uint8_t)(1u << ((q >> 40) % 8));
				break;
			default:
				pos &= ~(size_t)3;
				if (pos + 4 <= len)
					put32(m + pos, interesting[(q >> 40) % 16]);
				break;
			}
		}
		if (mb2_parse(m, len, info) == 0) {
			check_sane(info);
			ok++;
		}
		free(m);
	}
	/* Some mutations land in payload bytes and still parse. */
	assert_true(ok > 0);
	free(info);
	free(b);
}

static void test_mem_type_name(void **state)
{
	(void)state;
	assert_string_equal(mb2_mem_type_name(MB2_MEM_USABLE), "usable");
	assert_string_equal(mb2_mem_type_name(MB2_MEM_RESERVED), "reserved");
	assert_string_equal(mb2_mem_type_name(MB2_MEM_ACPI), "acpi");
	assert_string_equal(mb2_mem_type_name(MB2_MEM_NVS), "nvs");
	assert_string_equal(mb2_mem_type_name(MB2_MEM_BAD), "bad");
	assert_string_equal(mb2_mem_type_name(0), "unknown");
	assert_string_equal(mb2_mem_type_name(6), "unknown");
	assert_string_equal(mb2_mem_type_name(0xffffffff), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_long_cmdline),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_mutation),
		cmocka_unit_test(test_mem_type_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
