#include <stdbool.h>
#include "aion/error.h"
#include "aion/object.h"
#include "common/elf.h"

#define EI_NIDENT       16
#define ET_EXEC         2
#define EM_X86_64       62
#define PT_LOAD         1
#define PF_X            1
#define PF_W            2
#define PF_R            4
#define PAGE            4096ull

struct ehdr {
	uint8_t ident[EI_NIDENT];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

static bool ident_ok(const struct ehdr *h)
{
	return h->ident[0] == 0x7f && h->ident[1] == 'E' && h->ident[2] == 'L' &&
	       h->ident[3] == 'F' && h->ident[4] == 2 /* 64-bit */ &&
	       h->ident[5] == 1 /* little endian */ && h->ident[6] == 1 &&
	       h->type == ET_EXEC && h->machine == EM_X86_64 && h->version == 1;
}

static uint32_t prot_of(uint32_t flags)
{
	return ((flags & PF_R) ? AION_PROT_READ : 0) |
	       ((flags & PF_W) ? AION_PROT_WRITE : 0) |
	       ((flags & PF_X) ? AION_PROT_EXEC : 0);
}

static int check_segment(const struct phdr *p, size_t size)
{
	if (p->offset > size || p->filesz > size - p->offset)
		return -AION_ETRUNC;
	if (p->filesz > p->memsz)
		return -AION_EMALFORMED;
	if (p->vaddr < AION_USER_MIN || p->memsz > AION_USER_END ||
	    p->vaddr > AION_USER_END - p->memsz)
		return -AION_EFAULT;
	return 0;
}

/* Segments are loaded page by page, so two that share a page overlap. */
static bool pages_overlap(const struct elf_segment *a, const struct elf_segment *b)
{
	uint64_t a0 = a->vaddr & ~(PAGE - 1), a1 = a->vaddr + a->memsz;
	uint64_t b0 = b->vaddr & ~(PAGE - 1), b1 = b->vaddr + b->memsz;
	return a0 < b1 && b0 < a1;
}

static int add_segment(struct elf_image *img, const struct phdr *p)
{
	if (img->nseg == ELF_MAX_SEGMENTS)
		return -AION_ENOSPC;
	struct elf_segment *s = &img->seg[img->nseg];
	*s = (struct elf_segment){ p->vaddr, p->memsz, p->offset, p->filesz,
				   prot_of(p->flags) };
	for (unsigned i = 0; i < img->nseg; i++)
		if (pages_overlap(s, &img->seg[i]))
			return -AION_EOVERLAP;
	img->nseg++;
	return 0;
}

static bool entry_ok(const struct elf_image *img)
{
	for (unsigned i = 0; i < img->nseg; i++) {
		const struct elf_segment *s = &img->seg[i];
		if ((s->prot & AION_PROT_EXEC) && img->entry >= s->vaddr &&
		    img->entry - s->vaddr < s->memsz)
			return true;
	}
	return false;
}

int elf_parse(const void *file, size_t size, struct elf_image *out)
{
	return elf_parse_head(file, size, size, out);
}

int elf_parse_head(const void *file, size_t head, uint64_t size, struct elf_image *out)
{
	const uint8_t *bytes = file;
	struct ehdr h;

	if (!file || !out || head > size)
		return -AION_EINVAL;
	if (head < size && head < sizeof(h))
		return -AION_EINVAL;    /* the caller read too little of the file */
	/* Too short for a header: truncated only if it starts like an ELF file. */
	if (size < sizeof(h))
		return size >= 4 && bytes[0] == 0x7f && bytes[1] == 'E' &&
		       bytes[2] == 'L' && bytes[3] == 'F' ? -AION_ETRUNC : -AION_ENOEXEC;
	__builtin_memcpy(&h, bytes, sizeof(h));
	if (!ident_ok(&h))
		return -AION_ENOEXEC;
	if (h.phentsize != sizeof(struct phdr))
		return -AION_EMALFORMED;
	if (h.phoff > size || (uint64_t)h.phnum * sizeof(struct phdr) > size - h.phoff)
		return -AION_ETRUNC;
	/* Program headers past what the caller read: it has no bytes to look at. */
	if (h.phoff + (uint64_t)h.phnum * sizeof(struct phdr) > head)
		return -AION_ENOSPC;

	out->entry = h.entry;
	out->nseg = 0;
	for (unsigned i = 0; i < h.phnum; i++) {
		struct phdr p;
		__builtin_memcpy(&p, bytes + h.phoff + i * sizeof(p), sizeof(p));
		if (p.type != PT_LOAD || p.memsz == 0)
			continue;
		int err = check_segment(&p, size);
		if (!err)
			err = add_segment(out, &p);
		if (err)
			return err;
	}
	if (out->nseg == 0)
		return -AION_EMALFORMED;
	if (!entry_ok(out))
		return -AION_ERANGE;
	return 0;
}
