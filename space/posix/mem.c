/*
 * Memory calls of the POSIX layer: brk, anonymous private mmap, munmap,
 * mprotect, madvise, all in the program's own unit over ANON_MAP and
 * ANON_UNMAP (fresh zeroed pages on the unit's quota). What musl's malloc
 * needs: brk for its heap, mmap and munmap for big blocks, mmap(PROT_NONE)
 * then mprotect(PROT_READ|PROT_WRITE) page by page when brk fails.
 *
 * Aion has no call to change a mapped page's protection, so PROT_NONE is
 * kept here as "reserved, not mapped": mprotect from PROT_NONE maps the
 * pages (zeroed, as they were never touched); mprotect of pages already
 * mapped to another protection is refused (-EACCES) rather than faked.
 * A file mapping is private: the file's bytes copied into fresh pages at
 * mmap time (MEM_WRITE into our own unit, so a read-only mapping can be
 * filled too); a shared one is accepted only without PROT_WRITE, where a
 * copy looks the same until someone writes the file. docs/posix.md.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "libaion/sys.h"
#include "posix.h"

#define PAGE            4096ul
#define MAP_CHUNK       (4ul << 20)     /* ANON_MAP's largest */
#define HEAP_MAX        (1ul << 30)     /* brk may grow this far past the program */
#define MMAP_BASE       0x0000200000000000ul
#define MMAP_END        0x0000400000000000ul
#define REGIONS_MAX     256

extern char _end[];                     /* posix.ld: the end of .bss */

static long map_anon(uintptr_t hint, size_t len, int prot, int flags);

static uintptr_t heap_start, heap_brk;  /* the heap is [heap_start, page_up(heap_brk)) */

/* The mmap area's regions, sorted, each of one protection (0: PROT_NONE). */
static struct region {
	uintptr_t start, end;
	int prot;
} regions[REGIONS_MAX];
static unsigned nregions;

static uintptr_t page_up(uintptr_t a)
{
	return (a + PAGE - 1) & ~(PAGE - 1);
}

static unsigned aion_prot(int prot)
{
	return (prot & PROT_READ ? AION_PROT_READ : 0) |
	       (prot & PROT_WRITE ? AION_PROT_READ | AION_PROT_WRITE : 0) |
	       (prot & PROT_EXEC ? AION_PROT_READ | AION_PROT_EXEC : 0);
}

/* Maps [a, b) fresh; on failure unmaps what it mapped. -errno or 0. */
static long map_range(uintptr_t a, uintptr_t b, int prot)
{
	for (uintptr_t p = a; p < b; p += MAP_CHUNK) {
		uintptr_t n = b - p < MAP_CHUNK ? b - p : MAP_CHUNK;
		int64_t err = aion_anon_map(AION_HANDLE_SELF, p, n, aion_prot(prot));
		if (err) {
			for (uintptr_t q = a; q < p; q += MAP_CHUNK)
				aion_anon_unmap(AION_HANDLE_SELF, q, b - q < MAP_CHUNK ? b - q : MAP_CHUNK);
			return err == -AION_ENOMEM ? -ENOMEM : -EINVAL;
		}
	}
	return 0;
}

static void unmap_range(uintptr_t a, uintptr_t b)
{
	for (uintptr_t p = a; p < b; p += MAP_CHUNK)
		aion_anon_unmap(AION_HANDLE_SELF, p, b - p < MAP_CHUNK ? b - p : MAP_CHUNK);
}

long __aion_brk(uintptr_t want)
{
	if (!heap_start)
		heap_start = heap_brk = page_up((uintptr_t)_end);
	if (want < heap_start || want > heap_start + HEAP_MAX)
		return (long)heap_brk;          /* Linux: the break as it is */
	uintptr_t have = page_up(heap_brk), need = page_up(want);
	if (need > have && map_range(have, need, PROT_READ | PROT_WRITE))
		return (long)heap_brk;
	if (need < have)
		unmap_range(need, have);
	heap_brk = want;
	return (long)want;
}

/* Splits the region holding a (if any) so that one starts at a. */
static int split_at(uintptr_t a)
{
	for (unsigned i = 0; i < nregions; i++) {
		struct region *r = &regions[i];
		if (a <= r->start || a >= r->end)
			continue;
		if (nregions == REGIONS_MAX)
			return -ENOMEM;
		for (unsigned j = nregions++; j > i + 1; j--)
			regions[j] = regions[j - 1];
		regions[i + 1] = (struct region){ a, r->end, r->prot };
		r->end = a;
		return 0;
	}
	return 0;
}

static void drop_region(unsigned i)
{
	for (unsigned j = i; j + 1 < nregions; j++)
		regions[j] = regions[j + 1];
	nregions--;
}

/* Joins neighbours of one protection, so the table stays small. */
static void merge(void)
{
	for (unsigned i = 0; i + 1 < nregions; ) {
		if (regions[i].end == regions[i + 1].start && regions[i].prot == regions[i + 1].prot) {
			regions[i].end = regions[i + 1].end;
			drop_region(i + 1);
		} else {
			i++;
		}
	}
}

/* The lowest gap of len bytes in the mmap area, or 0. */
static uintptr_t find_gap(size_t len)
{
	uintptr_t at = MMAP_BASE;

	for (unsigned i = 0; i < nregions; i++) {
		if (regions[i].start - at >= len)
			return at;
		at = regions[i].end;
	}
	return MMAP_END - at >= len ? at : 0;
}

static bool in_area(uintptr_t a, size_t len)
{
	return a >= MMAP_BASE && a < MMAP_END && len <= MMAP_END - a;
}

long __aion_munmap(uintptr_t a, size_t len)
{
	if (a & (PAGE - 1) || !len)
		return -EINVAL;
	len = page_up(len);
	if (!in_area(a, len))
		return -EINVAL;         /* only the mmap area holds mappings */
	long err = split_at(a);
	if (!err)
		err = split_at(a + len);
	if (err)
		return err;
	for (unsigned i = 0; i < nregions; ) {
		struct region *r = &regions[i];
		if (r->start >= a && r->end <= a + len) {
			if (r->prot)
				unmap_range(r->start, r->end);
			drop_region(i);
		} else {
			i++;
		}
	}
	merge();
	return 0;
}

/* Whether fd may be mapped (Linux's errors): open, a regular file, readable. */
static long file_mappable(int fd, int flags, int prot)
{
	struct stat st;
	long err = __aion_syscall(SYS_fstat, fd, (long)&st, 0, 0, 0, 0);
	if (err)
		return err;             /* EBADF */
	if (!S_ISREG(st.st_mode))
		return -ENODEV;
	long fl = __aion_syscall(SYS_fcntl, fd, F_GETFL, 0, 0, 0, 0);
	if (fl < 0 || (fl & O_ACCMODE) == O_WRONLY)
		return -EACCES;
	if ((flags & MAP_TYPE) == MAP_SHARED && (prot & PROT_WRITE))
		return -ENODEV;         /* no shared writable file mappings yet (docs) */
	return 0;
}

/* The file's bytes from off into [a, a + len); past its end stays zero. */
static long file_fill(int fd, uintptr_t a, size_t len, long off)
{
	static char bounce[PAGE];
	for (size_t done = 0; done < len;) {
		long n = __aion_syscall(SYS_pread64, fd, (long)bounce, PAGE, off + (long)done, 0, 0);
		if (n < 0)
			return n;
		if (n == 0)
			break;
		if (aion_mem_write(AION_HANDLE_SELF, a + done, bounce, (uint64_t)n))
			return -ENOMEM;
		done += (size_t)n;
	}
	return 0;
}

long __aion_mmap(uintptr_t hint, size_t len, int prot, int flags, int fd, long off)
{
	if (!len || off & (PAGE - 1) || off < 0)
		return -EINVAL;
	int type = flags & MAP_TYPE;
	if (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (flags & MAP_ANONYMOUS) {
		if (type != MAP_PRIVATE)
			return -EINVAL; /* one process per unit: nothing to share yet */
		return map_anon(hint, len, prot, flags);
	}
	long err = file_mappable(fd, flags, prot);
	if (err)
		return err;
	/* PROT_NONE: a reservation only; a later mprotect gives zero pages. */
	long a = map_anon(hint, len, prot, flags);
	if (a < 0 || !prot)
		return a;
	if ((err = file_fill(fd, (uintptr_t)a, len, off))) {
		__aion_munmap((uintptr_t)a, len);
		return err;
	}
	return a;
}

/* Fresh zero pages, at hint only with MAP_FIXED: the address or -E.... */
static long map_anon(uintptr_t hint, size_t len, int prot, int flags)
{
	len = page_up(len);
	uintptr_t a = hint;
	if (flags & MAP_FIXED) {
		if (a & (PAGE - 1) || !in_area(a, len))
			return -EINVAL;
		long err = __aion_munmap(a, len);
		if (err)
			return err;
	} else if (!(a = find_gap(len))) {
		return -ENOMEM;
	}
	if (nregions == REGIONS_MAX)
		return -ENOMEM;
	if (prot) {
		long err = map_range(a, a + len, prot);
		if (err)
			return err;
	}
	unsigned i = 0;
	while (i < nregions && regions[i].start < a)
		i++;
	for (unsigned j = nregions++; j > i; j--)
		regions[j] = regions[j - 1];
	regions[i] = (struct region){ a, a + len, prot };
	return (long)a;
}

long __aion_mprotect(uintptr_t a, size_t len, int prot)
{
	if (a & (PAGE - 1))
		return -EINVAL;
	len = page_up(len);
	if (!in_area(a, len))
		return -ENOMEM;         /* Linux: not mapped */
	/* Checked first, so a refusal changes nothing. */
	uintptr_t covered = a;
	for (unsigned i = 0; i < nregions; i++) {
		const struct region *r = &regions[i];
		if (r->end <= a || r->start >= a + len)
			continue;
		if (r->start > covered)
			return -ENOMEM;         /* a hole in the range */
		covered = r->end;
		if (r->prot && r->prot != prot)
			return -EACCES;         /* mapped: its protection is fixed */
	}
	if (covered < a + len)
		return -ENOMEM;
	long err = split_at(a);
	if (!err)
		err = split_at(a + len);
	for (unsigned i = 0; i < nregions && !err; i++) {
		struct region *r = &regions[i];
		if (r->start < a || r->end > a + len || r->prot == prot)
			continue;
		if (!(err = map_range(r->start, r->end, prot)))   /* from PROT_NONE */
			r->prot = prot;
	}
	merge();
	return err;
}

/* [s, e) read as zero again: fresh pages with protection prot. */
static long zero_range(uintptr_t s, uintptr_t e, int prot)
{
	if (s >= e || !prot)
		return 0;
	unmap_range(s, e);
	return map_range(s, e, prot);
}

long __aion_madvise(uintptr_t a, size_t len, int advice)
{
	if (a & (PAGE - 1))
		return -EINVAL;
	len = page_up(len);
	switch (advice) {
	case MADV_DONTNEED:
		/* Linux: private anonymous pages read as zero afterwards. */
		for (unsigned i = 0; i < nregions; i++) {
			const struct region *r = &regions[i];
			long err = zero_range(r->start > a ? r->start : a,
					      r->end < a + len ? r->end : a + len, r->prot);
			if (err)
				return err;
		}
		if (heap_start) {
			uintptr_t top = page_up(heap_brk);
			return zero_range(heap_start > a ? heap_start : a, top < a + len ? top : a + len,
					  PROT_READ | PROT_WRITE);
		}
		return 0;
	case MADV_FREE:                 /* the pages may stay as they are */
	case MADV_NORMAL:
	case MADV_RANDOM:
	case MADV_SEQUENTIAL:
	case MADV_WILLNEED:
		return 0;
	default:
		return -EINVAL;
	}
}

long __aion_mem_each(long (*fn)(uintptr_t start, uintptr_t end, unsigned prot, void *arg),
		     void *arg)
{
	long err = 0;

	if (heap_start && page_up(heap_brk) > heap_start)
		err = fn(heap_start, page_up(heap_brk), aion_prot(PROT_READ | PROT_WRITE), arg);
	for (unsigned i = 0; i < nregions && !err; i++)
		if (regions[i].prot)    /* PROT_NONE: reserved in the table only */
			err = fn(regions[i].start, regions[i].end, aion_prot(regions[i].prot), arg);
	return err;
}
