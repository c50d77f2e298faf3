/*
 * Starting init, the one program the kernel loads. init gets: its ELF
 * segments, a stack, the boot-info page (read-only) listing every boot
 * module, and the modules themselves mapped read-only (borrowed frames,
 * never freed). Everything else, loading further units included, is
 * init's business through system calls.
 */
#include <stddef.h>
#include "aion/bootinfo.h"
#include "aion/error.h"
#include "aion/object.h"
#include "arch.h"
#include "common/elf.h"
#include "init_unit.h"
#include "common/string.h"
#include "layout.h"
#include "log.h"
#include "memory.h"
#include "multiboot2.h"
#include "platform.h"
#include "thread.h"
#include "unit.h"

/* Above the units init starts for the cluster (110): a job that spins
 * (bench/mesh's busy) must not starve the unit that starts and stops jobs. */
#define INIT_PRIO               118
#define INIT_STACK_PAGES        16
#define KERNEL_RESERVE_FRAMES   1024    /* kernel page tables, init's own unit object */

static uint64_t page_down(uint64_t v)
{
	return v & ~(PAGE_SIZE - 1);
}

static uint64_t page_up(uint64_t v)
{
	return (v + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

/* Maps fresh zeroed pages [va, va+len) rounded out to pages. */
static int map_fresh(struct unit *u, uint64_t va, uint64_t len, unsigned prot)
{
	for (uint64_t p = page_down(va); p < va + len; p += PAGE_SIZE) {
		int64_t pa = unit_frame_alloc(u);
		if (pa < 0)
			return (int)pa;
		int err = arch_vm_map(u, p, (uint64_t)pa, prot, true);
		if (err)
			return err;
	}
	return 0;
}

/* Copies bytes into u's (already mapped, owned) pages through the direct map. */
static void poke(struct unit *u, uint64_t va, const uint8_t *src, uint64_t len)
{
	while (len) {
		uint64_t pa;
		uint64_t chunk = PAGE_SIZE - (va & (PAGE_SIZE - 1));
		if (chunk > len)
			chunk = len;
		arch_vm_translate(u, va, false, &pa, NULL);
		memcpy(phys_to_virt(pa), src, chunk);
		va += chunk;
		src += chunk;
		len -= chunk;
	}
}

static int load_elf(struct unit *u, const struct mb2_module *m, uint64_t *entry)
{
	const uint8_t *file = phys_to_virt(m->start);
	struct elf_image img;

	int err = elf_parse(file, m->end - m->start, &img);
	if (err)
		return err;
	for (unsigned i = 0; i < img.nseg; i++) {
		const struct elf_segment *s = &img.seg[i];
		if ((err = map_fresh(u, s->vaddr, s->memsz, s->prot)))
			return err;
		poke(u, s->vaddr, file + s->offset, s->filesz);
	}
	*entry = img.entry;
	return 0;
}

static int map_modules(struct unit *u, const struct mb2_info *bi,
		       struct aion_bootinfo *info)
{
	uint64_t va = AION_MODULES_VADDR;

	for (unsigned i = 0; i < bi->nmod && i < AION_BOOT_MODULES_MAX; i++) {
		const struct mb2_module *m = &bi->mod[i];
		for (uint64_t pa = page_down(m->start); pa < m->end; pa += PAGE_SIZE) {
			int err = arch_vm_map(u, va + pa - page_down(m->start), pa,
					 AION_PROT_READ, false);
			if (err)
				return err;
		}
		struct aion_boot_module *bm = &info->mod[info->nmodules++];
		bm->vaddr = va + (m->start & (PAGE_SIZE - 1));
		bm->size = m->end - m->start;
		memcpy(bm->name, m->name, AION_BOOT_NAME_MAX - 1);
		va += page_up(m->end - page_down(m->start)) + PAGE_SIZE;
	}
	return 0;
}

static const struct mb2_module *find_module(const struct mb2_info *bi, const char *name)
{
	for (unsigned i = 0; i < bi->nmod; i++)
		if (strcmp(bi->mod[i].name, name) == 0)
			return &bi->mod[i];
	return NULL;
}

int init_start(const struct mb2_info *bi, unsigned node, const struct aion_acpi_power *power)
{
	const struct mb2_module *mod = find_module(bi, "init");
	struct unit *u;
	struct thread *t;
	uint64_t entry;

	if (!mod)
		return -AION_ENOENT;
	uint64_t free = memory_free_frames();
	if (free <= KERNEL_RESERVE_FRAMES)
		return -AION_ENOMEM;
	int err = unit_create_root("init", free - KERNEL_RESERVE_FRAMES, &u);
	if (err)
		return err;
	aion_handle_t plat;
	if ((err = handle_alloc(&u->handles, platform_object(), AION_RIGHTS_ALL, 0, NULL, &plat)))
		return err;
	if (plat != AION_HANDLE_PLATFORM)
		return -AION_ERANGE;

	int64_t pa = unit_frame_alloc(u);
	if (pa < 0)
		return (int)pa;
	struct aion_bootinfo *info = phys_to_virt((uint64_t)pa);
	info->magic = AION_BOOTINFO_MAGIC;
	info->node = node;
	info->power = *power;
	memcpy(info->cmdline, bi->cmdline, AION_CMDLINE_MAX - 1);
	if ((err = arch_vm_map(u, AION_BOOTINFO_VADDR, (uint64_t)pa, AION_PROT_READ, true)) ||
	    (err = map_modules(u, bi, info)) ||
	    (err = load_elf(u, mod, &entry)) ||
	    (err = map_fresh(u, AION_STACK_TOP - INIT_STACK_PAGES * PAGE_SIZE,
			     INIT_STACK_PAGES * PAGE_SIZE, AION_PROT_READ | AION_PROT_WRITE)))
		return err;
	info->init_quota_frames = u->quota;
	if ((err = thread_create(u, entry, AION_STACK_TOP, AION_BOOTINFO_VADDR,
				 INIT_PRIO, &t)))
		return err;
	klog("unit create unit=init id=%u quota=%lu entry=0x%lx", u->id,
	     (unsigned long)u->quota, (unsigned long)entry);
	return thread_start(t);
}
