/*
 * The userspace ELF loader: a unit is built entirely through system calls
 * (UNIT_CREATE, ANON_MAP, MEM_WRITE, THREAD_CREATE, THREAD_START).
 */
#include "libaion/lib.h"
#include <stdbool.h>
#include "common/elf.h"

#define PAGE            4096ull
#define IMAGE_VADDR     0x0000000010000000ull

static uint64_t page_down(uint64_t v) { return v & ~(PAGE - 1); }
static uint64_t page_up(uint64_t v) { return (v + PAGE - 1) & ~(PAGE - 1); }

/* MEM_WRITE moves at most AION_MEM_WRITE_MAX bytes a call. */
static int64_t write_all(aion_handle_t u, uint64_t dst, const uint8_t *src,
			 uint64_t len)
{
	while (len) {
		uint64_t chunk = len < AION_MEM_WRITE_MAX ? len : AION_MEM_WRITE_MAX;
		int64_t err = aion_mem_write(u, dst, src, chunk);
		if (err)
			return err;
		dst += chunk;
		src += chunk;
		len -= chunk;
	}
	return 0;
}

static int64_t map_and_fill(aion_handle_t u, uint64_t va, uint64_t memsz,
			    const uint8_t *src, uint64_t filesz, unsigned prot)
{
	uint64_t start = page_down(va);
	uint64_t len = page_up(va + memsz) - start;

	/* ANON_MAP takes at most 4 MiB a call. */
	for (uint64_t off = 0; off < len; off += 1024 * PAGE) {
		uint64_t n = len - off < 1024 * PAGE ? len - off : 1024 * PAGE;
		int64_t err = aion_anon_map(u, start + off, n, prot);
		if (err)
			return err;
	}
	return filesz ? write_all(u, va, src, filesz) : 0;
}

static int64_t load(const struct aion_spawn *sp, aion_handle_t u, uint64_t *entry)
{
	struct elf_image img;
	const uint8_t *file = sp->image;

	int64_t err = elf_parse(file, sp->image_size, &img);
	for (unsigned i = 0; !err && i < img.nseg; i++) {
		const struct elf_segment *s = &img.seg[i];
		err = map_and_fill(u, s->vaddr, s->memsz, file + s->offset,
				   s->filesz, s->prot);
	}
	*entry = img.entry;
	return err;
}

int64_t aion_argv_pack(char *out, size_t size, const char *const *argv,
		       const char *const *envp, uint32_t *argc, uint32_t *envc)
{
	size_t len = 0;
	uint32_t n[2] = { 0, 0 };
	const char *const *lists[2] = { argv, envp };

	if (size > AION_ARGV_MAX)
		size = AION_ARGV_MAX;
	for (unsigned l = 0; l < 2; l++)
		for (unsigned i = 0; lists[l] && lists[l][i]; i++, n[l]++) {
			size_t k = strlen(lists[l][i]) + 1;
			if (k > size - len || n[0] + n[1] >= AION_ARGV_COUNT_MAX)
				return -AION_ENOSPC;
			memcpy(out + len, lists[l][i], k);
			len += k;
		}
	*argc = n[0];
	*envc = n[1];
	return (int64_t)len;
}

/* The block holds exactly argc + envc strings within its length. */
static bool argv_block_ok(const struct aion_spawn *sp)
{
	uint64_t strings = 0;
	if (sp->argv_len > AION_ARGV_MAX || !sp->argv_block ||
	    (uint64_t)sp->argc + sp->envc > AION_ARGV_COUNT_MAX ||
	    sp->argv_block[sp->argv_len - 1] != '\0')
		return false;
	for (size_t i = 0; i < sp->argv_len; i++)
		strings += sp->argv_block[i] == '\0';
	return strings == (uint64_t)sp->argc + sp->envc;
}

static int64_t put_startup(const struct aion_spawn *sp, aion_handle_t u, uint64_t base)
{
	struct aion_startup st = *sp->startup;
	int64_t err = 0;

	st.magic = AION_STARTUP_MAGIC;
	st.image_vaddr = st.image_size = 0;
	st.argv_len = 0;
	st.argc = st.envc = 0;
	if (sp->argv_len) {
		if (!argv_block_ok(sp))
			return -AION_EINVAL;
		err = map_and_fill(u, base + AION_ARGV_VADDR, sp->argv_len,
				   (const uint8_t *)sp->argv_block, sp->argv_len,
				   AION_PROT_READ | AION_PROT_WRITE);
		st.argv_len = sp->argv_len;
		st.argc = sp->argc;
		st.envc = sp->envc;
	}
	if (!err && sp->give_image) {
		err = map_and_fill(u, base + IMAGE_VADDR, sp->image_size, sp->image,
				   sp->image_size, AION_PROT_READ);
		st.image_vaddr = base + IMAGE_VADDR;
		st.image_size = sp->image_size;
	}
	st.data_vaddr = st.data_size = 0;
	if (!err && sp->data_size) {
		err = map_and_fill(u, base + AION_DATA_VADDR, sp->data_size, sp->data,
				   sp->data_size, AION_PROT_READ);
		st.data_vaddr = base + AION_DATA_VADDR;
		st.data_size = sp->data_size;
	}
	if (!err)
		err = map_and_fill(u, base + AION_STARTUP_VADDR, sizeof(st),
				   (const uint8_t *)&st, sizeof(st), AION_PROT_READ);
	return err;
}

int64_t aion_spawn(const struct aion_spawn *sp, aion_handle_t *unit,
		   aion_handle_t *thread)
{
	uint64_t entry = 0;
	unsigned pages = sp->stack_pages ? sp->stack_pages : 16;
	/* A guest's window ends 64 KiB above its stack, as the user half does. */
	uint64_t base = sp->host ? AION_WINDOW_BASE(sp->window) : 0;
	uint64_t top = sp->host ? AION_WINDOW_BASE(sp->window + 1) - 0x10000 : AION_STACK_TOP;
	int64_t u = aion_unit_create(sp->host ? sp->host : AION_HANDLE_SELF, sp->name,
				     strlen(sp->name), sp->quota_frames, sp->max_prio);
	if (u < 0)
		return u;
	int64_t err = sp->host ? aion_unit_colocate((aion_handle_t)u, sp->host, sp->window) : 0;
	if (!err)
		err = load(sp, (aion_handle_t)u, &entry);
	if (!err)
		err = aion_anon_map((aion_handle_t)u, top - pages * PAGE,
				   pages * PAGE, AION_PROT_READ | AION_PROT_WRITE);
	if (!err && sp->startup)
		err = put_startup(sp, (aion_handle_t)u, base);
	int64_t t = err ? err :
		aion_thread_create((aion_handle_t)u, entry, top,
				   sp->startup ? base + AION_STARTUP_VADDR : sp->arg, sp->prio);
	if (t >= 0 && (sp->no_start || (err = aion_thread_start((aion_handle_t)t)) == 0)) {
		*unit = (aion_handle_t)u;
		*thread = (aion_handle_t)t;
		return 0;
	}
	if (t >= 0)
		aion_handle_close((aion_handle_t)t);
	aion_unit_destroy((aion_handle_t)u);
	aion_handle_close((aion_handle_t)u);
	return t < 0 ? t : err;
}

int64_t aion_unit_wait(aion_handle_t unit, uint64_t timeout_ns,
		       struct aion_unit_info *info)
{
	uint64_t end = aion_clock_ns() + timeout_ns;

	for (;;) {
		int64_t err = aion_unit_info(unit, info);
		if (err)
			return err;
		if (info->state != AION_UNIT_RUNNING)
			return 0;
		if (aion_clock_ns() >= end)
			return -AION_ETIMEDOUT;
		aion_sleep_ns(10000000);        /* 10 ms: until fault notices (issue 4) */
	}
}
