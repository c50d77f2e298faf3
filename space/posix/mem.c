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
 * A private file mapping is the file's bytes copied into fresh pages at
 * mmap time (MEM_WRITE into our own unit, so a read-only mapping can be
 * filled too). A shared mapping is a memory object's pages, mapped with
 * MEMORY_MAP: a new object for MAP_SHARED|MAP_ANONYMOUS (fork maps it
 * into the child too), the file's window from vfsd (VFS_MAP) for a file,
 * so every mapper and the file's reads and writes see the same bytes.
 * Each shared region is exactly one kernel mapping and owns one handle
 * to its object: splitting one maps both halves again. docs/posix.md.
 *
 * The brk heap may hold one PROT_NONE hole made by MAP_FIXED (musl's
 * malloc guards its metadata with the heap's first page): its pages are
 * unmapped, so a touch faults; fork and madvise skip it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "aion/proc.h"
#include "aion/vfs.h"
#include "libaion/sys.h"
#include "faultsig.h"
#include "posix.h"

#define PAGE            4096ul
#define MAP_CHUNK       (4ul << 20)     /* ANON_MAP's largest */
#define HEAP_MAX        (1ul << 30)     /* brk may grow this far past the program */
#define MMAP_BASE       0x0000200000000000ul
#define MMAP_END        0x0000400000000000ul
#define REGIONS_MAX     256
#define SHARED_MAX      512             /* pages of one memory object */

extern char _end[];                     /* posix.ld: the end of .bss */

static long place(uintptr_t hint, size_t len, int prot, int flags, aion_handle_t mo,
		  uint32_t first);

static uintptr_t heap_start, heap_brk;  /* the heap is [heap_start, page_up(heap_brk)) */
static uintptr_t guard_a, guard_b;      /* its PROT_NONE hole, when guard_a < guard_b */

/* The mmap area's regions, sorted, each of one protection (0: PROT_NONE). */
static struct region {
	uintptr_t start, end;
	int prot;
	aion_handle_t mo;       /* shared: the object, its page `first` at start; 0: private */
	uint32_t first;
	bool past_eof;          /* a private file mapping's pages past the file's end:
				 * kept unmapped (prot 0) so a touch is SIGBUS (sigfault.c) */
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

/* Pages [first, ...) of object mo at [a, b), in unit u. -errno or 0. */
static long shared_map(aion_handle_t u, aion_handle_t mo, uintptr_t a, uintptr_t b, int prot,
		       uint32_t first)
{
	int64_t err = aion_memory_map(mo, u, a, aion_prot(prot),
				      AION_MEM_PAGES(first, (b - a) / PAGE));
	if (err == -AION_ERIGHTS)
		return -EACCES;         /* a read-only object mapped for writing */
	return err == -AION_ENOSPC || err == -AION_ENOMEM ? -ENOMEM : err ? -EINVAL : 0;
}

/* A region's pages, private or shared, go (and a shared one's handle). */
static void region_unmap(struct region *r)
{
	if (r->mo) {
		if (r->prot)
			aion_memory_unmap(AION_HANDLE_SELF, r->start);
		aion_handle_close(r->mo);
		r->mo = 0;
	} else if (r->prot) {
		unmap_range(r->start, r->end);
	}
}

/* A mapped shared region cut at a into r and the next one: both mapped again. */
static long split_shared(struct region *r, struct region *next, uintptr_t a)
{
	int64_t mo = aion_cap_copy(r->mo, AION_RIGHTS_ALL);
	if (mo < 0)
		return -ENOMEM;
	next->mo = (aion_handle_t)mo;
	next->first = r->first + (uint32_t)((a - r->start) / PAGE);
	if (!r->prot)
		return 0;
	aion_memory_unmap(AION_HANDLE_SELF, r->start);
	long err = shared_map(AION_HANDLE_SELF, r->mo, r->start, a, r->prot, r->first);
	if (!err && (err = shared_map(AION_HANDLE_SELF, next->mo, a, r->end, r->prot, next->first)))
		aion_memory_unmap(AION_HANDLE_SELF, r->start);
	if (err) {              /* as it was: one mapping of the whole */
		aion_handle_close(next->mo);
		shared_map(AION_HANDLE_SELF, r->mo, r->start, r->end, r->prot, r->first);
	}
	return err;
}

/*
 * RLIMIT_AS (rlimit.c): the bytes of address space the heap, the stack
 * and the mappings (PROT_NONE reservations too, as on Linux) may take;
 * 0: no limit. The program's image is not counted (a few pages).
 */
static uint64_t as_limit;

void __aion_mem_as_limit(uint64_t bytes)
{
	as_limit = bytes;
}

static bool as_allows(uint64_t more)
{
	if (!as_limit)
		return true;
	uint64_t used = (uint64_t)PROC_STACK_PAGES * PAGE + more;
	if (heap_start)
		used += page_up(heap_brk) - heap_start;
	for (unsigned i = 0; i < nregions; i++)
		used += regions[i].end - regions[i].start;
	return used <= as_limit;
}

long __aion_brk(uintptr_t want)
{
	if (!heap_start)
		heap_start = heap_brk = page_up((uintptr_t)_end);
	if (want < heap_start || want > heap_start + HEAP_MAX)
		return (long)heap_brk;          /* Linux: the break as it is */
	uintptr_t have = page_up(heap_brk), need = page_up(want);
	if (need > have && (!as_allows(need - have) || map_range(have, need, PROT_READ | PROT_WRITE)))
		return (long)heap_brk;
	if (need < have)
		unmap_range(need, have);
	if (guard_b > need)             /* the hole shrinks with the heap */
		guard_b = need > guard_a ? need : guard_a;
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
		struct region next = { a, r->end, r->prot, 0, 0, r->past_eof };
		if (r->mo) {
			long err = split_shared(r, &next, a);
			if (err)
				return err;
		}
		for (unsigned j = nregions++; j > i + 1; j--)
			regions[j] = regions[j - 1];
		regions[i + 1] = next;
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

/* Joins private neighbours of one protection, so the table stays small. */
static void merge(void)
{
	for (unsigned i = 0; i + 1 < nregions; ) {
		if (regions[i].end == regions[i + 1].start && regions[i].prot == regions[i + 1].prot &&
		    !regions[i].mo && !regions[i + 1].mo &&
		    regions[i].past_eof == regions[i + 1].past_eof) {
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
			region_unmap(r);
			drop_region(i);
		} else {
			i++;
		}
	}
	merge();
	return 0;
}

/* Whether fd may be mapped (Linux's errors): open, a regular file,
 * readable; *size: its size. */
static long file_mappable(int fd, int flags, int prot, long *size)
{
	struct stat st;
	long err = __aion_syscall(SYS_fstat, fd, (long)&st, 0, 0, 0, 0);
	if (err)
		return err;             /* EBADF */
	if (!S_ISREG(st.st_mode))
		return -ENODEV;
	*size = (long)st.st_size;
	long fl = __aion_syscall(SYS_fcntl, fd, F_GETFL, 0, 0, 0, 0);
	if (fl < 0 || (fl & O_ACCMODE) == O_WRONLY)
		return -EACCES;
	if ((flags & MAP_TYPE) != MAP_PRIVATE && (prot & PROT_WRITE) && (fl & O_ACCMODE) != O_RDWR)
		return -EACCES;
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

/* The file's window from vfsd, pages [off / PAGE, ...) of it mapped. */
static long map_shared_file(uintptr_t hint, size_t len, int prot, int flags, int fd, long off)
{
	struct posix_file *f = __aion_fd_get(fd);
	len = page_up(len);
	if (!f || !f->cap)
		return -EBADF;
	struct posix_vfs_call c = {
		.label = VFS_MAP, .w1 = ((uint64_t)off + len) / PAGE,
		.w2 = prot & PROT_WRITE ? VFS_MAP_WRITE : 0, .accept_cap = 1,
	};
	long r = __aion_vfs_call(f->cap, &c);
	if (r < 0)
		return r == -ENOSYS || r == -EIO ? -ENODEV : r;
	if (!c.caps_out[0])
		return -EIO;
	long a = place(hint, len, prot, flags, c.caps_out[0], (uint32_t)(off / PAGE));
	if (a < 0)
		aion_handle_close(c.caps_out[0]);
	return a;
}

/*
 * The pages of a private file mapping [a, end) past the one holding the
 * file's last byte (bytes: the file's bytes from the offset on) are
 * unmapped and marked, so touching them is SIGBUS as on Linux. Not for a
 * shared mapping: vfsd's window covers whole pages it has. -errno or 0.
 */
static long cut_past_eof(uintptr_t a, uintptr_t end, long bytes)
{
	uintptr_t cut = a + (bytes > 0 ? page_up((uintptr_t)bytes) : 0);
	if (cut >= end)
		return 0;
	long err = split_at(cut);
	if (err)
		return err;
	for (unsigned i = 0; i < nregions; i++) {
		struct region *r = &regions[i];
		if (r->start == cut) {
			region_unmap(r);
			r->prot = 0;
			r->past_eof = true;
		}
	}
	return 0;
}

static bool in_heap(uintptr_t a, size_t len)
{
	uintptr_t top = page_up(heap_brk);
	return heap_start && a >= heap_start && a < top && len <= top - a;
}

/* MAP_FIXED PROT_NONE over heap pages: they become the heap's hole (one
 * only: a second, apart from it, is refused as before). */
static long heap_guard(uintptr_t a, size_t len)
{
	uintptr_t b = a + page_up(len);
	bool have = guard_a < guard_b;
	if (a & (PAGE - 1) || b > page_up(heap_brk) || (have && (b < guard_a || a > guard_b)))
		return -EINVAL;
	unmap_range(a, b);
	guard_a = have && guard_a < a ? guard_a : a;
	guard_b = have && guard_b > b ? guard_b : b;
	return (long)a;
}

/* fn over the heap's mapped pages within [lo, hi), around the hole, as
 * __aion_mem_each calls it. */
static long heap_each(uintptr_t lo, uintptr_t hi,
		      long (*fn)(uintptr_t start, uintptr_t end, unsigned prot, void *arg), void *arg)
{
	unsigned prot = aion_prot(PROT_READ | PROT_WRITE);
	uintptr_t top = page_up(heap_brk);
	lo = lo > heap_start ? lo : heap_start;
	hi = hi < top ? hi : top;
	if (!heap_start || lo >= hi)
		return 0;
	if (guard_a >= guard_b || guard_b <= lo || guard_a >= hi)
		return fn(lo, hi, prot, arg);
	long err = guard_a > lo ? fn(lo, guard_a, prot, arg) : 0;
	return err || guard_b >= hi ? err : fn(guard_b, hi, prot, arg);
}

long __aion_mmap(uintptr_t hint, size_t len, int prot, int flags, int fd, long off)
{
	if (!len || off & (PAGE - 1))
		return -EINVAL;
	if (len > MMAP_END - MMAP_BASE)
		return -ENOMEM;         /* more than the area (page_up would wrap) */
	/* Linux: the last page's index past 2^64 / PAGE is EOVERFLOW. */
	if ((uint64_t)off / PAGE + page_up(len) / PAGE < (uint64_t)off / PAGE)
		return -EOVERFLOW;
	if (off < 0)
		return -EINVAL;
	int type = flags & MAP_TYPE;
	if (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (flags & MAP_ANONYMOUS) {
		if (type == MAP_PRIVATE && flags & MAP_FIXED && !prot && in_heap(hint, len))
			return heap_guard(hint, len);
		if (type == MAP_PRIVATE)
			return place(hint, len, prot, flags, 0, 0);
		/* Shared: an object of its own, which fork maps in the child too. */
		if (page_up(len) / PAGE > SHARED_MAX)
			return -ENOMEM;
		int64_t mo = aion_memory_create((unsigned)(page_up(len) / PAGE));
		long a = mo < 0 ? -ENOMEM : place(hint, len, prot, flags, (aion_handle_t)mo, 0);
		if (a < 0 && mo > 0)
			aion_handle_close((aion_handle_t)mo);
		return a;
	}
	long size = 0, err = file_mappable(fd, flags, prot, &size);
	if (err)
		return err;
	if (type != MAP_PRIVATE)
		return map_shared_file(hint, len, prot, flags, fd, off);
	/* PROT_NONE: a reservation only; a later mprotect gives zero pages. */
	long a = place(hint, len, prot, flags, 0, 0);
	if (a < 0 || !prot)
		return a;
	if ((err = file_fill(fd, (uintptr_t)a, len, off)) ||
	    (err = cut_past_eof((uintptr_t)a, (uintptr_t)a + page_up(len), size - off))) {
		__aion_munmap((uintptr_t)a, len);
		return err;
	}
	return a;
}

/*
 * A new region at hint only with MAP_FIXED: fresh zero pages (mo 0) or
 * pages [first, ...) of object mo, whose handle the region then owns.
 * The address or -E....
 */
static long place(uintptr_t hint, size_t len, int prot, int flags, aion_handle_t mo,
		  uint32_t first)
{
	len = page_up(len);
	uintptr_t a = hint;
	if (!as_allows(len))
		return -ENOMEM;         /* RLIMIT_AS (a MAP_FIXED over old pages counts them twice) */
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
		long err = mo ? shared_map(AION_HANDLE_SELF, mo, a, a + len, prot, first) :
				map_range(a, a + len, prot);
		if (err)
			return err;
	}
	unsigned i = 0;
	while (i < nregions && regions[i].start < a)
		i++;
	for (unsigned j = nregions++; j > i; j--)
		regions[j] = regions[j - 1];
	regions[i] = (struct region){ a, a + len, prot, mo, first, false };
	return (long)a;
}

long __aion_mmap_object(aion_handle_t mo, size_t len, int prot)
{
	return place(0, len, prot, MAP_SHARED, mo, 0);
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
		if (r->start < a || r->end > a + len || r->prot == prot || r->past_eof)
			continue;       /* past a file's end: stays SIGBUS (Linux) */
		err = r->mo ? shared_map(AION_HANDLE_SELF, r->mo, r->start, r->end, prot, r->first) :
			      map_range(r->start, r->end, prot);          /* from PROT_NONE */
		if (!err)
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

static long zero_heap(uintptr_t s, uintptr_t e, unsigned prot, void *unused)
{
	(void)prot, (void)unused;
	return zero_range(s, e, PROT_READ | PROT_WRITE);
}

long __aion_madvise(uintptr_t a, size_t len, int advice)
{
	if (a & (PAGE - 1))
		return -EINVAL;
	len = page_up(len);
	switch (advice) {
	case MADV_DONTNEED:
		/* Linux: private anonymous pages read as zero afterwards;
		 * shared ones keep their bytes (the object's, the file's). */
		for (unsigned i = 0; i < nregions; i++) {
			const struct region *r = &regions[i];
			if (r->mo)
				continue;
			long err = zero_range(r->start > a ? r->start : a,
					      r->end < a + len ? r->end : a + len, r->prot);
			if (err)
				return err;
		}
		return heap_each(a, a + len, zero_heap, NULL);
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
	long err = heap_each(0, UINTPTR_MAX, fn, arg);
	for (unsigned i = 0; i < nregions && !err; i++)
		if (regions[i].prot && !regions[i].mo)  /* PROT_NONE: in the table only */
			err = fn(regions[i].start, regions[i].end, aion_prot(regions[i].prot), arg);
	return err;
}

long __aion_mem_fork_shared(aion_handle_t child)
{
	for (unsigned i = 0; i < nregions; i++) {
		struct region *r = &regions[i];
		if (!r->mo)
			continue;
		int64_t h = aion_cap_give(child, r->mo, AION_RIGHTS_ALL);
		if (h < 0)
			return -ENOMEM;
		aion_handle_t v = (aion_handle_t)h;
		long err = r->prot ? shared_map(child, r->mo, r->start, r->end, r->prot, r->first) : 0;
		/* The child's table is a copy: the same address names its slot. */
		if (!err && aion_mem_write(child, (uintptr_t)&r->mo, &v, sizeof(v)))
			err = -ENOMEM;
		if (err)
			return err;
	}
	return 0;
}

extern char __aion_text_start[];        /* posix.ld: the program's first byte */

/* The end of the known area holding address a (the program, its brk
 * heap, the main stack, or a region), or a itself when none does. */
static uintptr_t area_end(uintptr_t a)
{
	uintptr_t stack = AION_STACK_TOP - PROC_STACK_PAGES * PAGE;
	if (a >= (uintptr_t)__aion_text_start && a < page_up((uintptr_t)_end))
		return page_up((uintptr_t)_end);
	if (heap_start && a >= heap_start && a < page_up(heap_brk)) {
		if (guard_a < guard_b && a < guard_b)
			return a < guard_a ? guard_a : a;       /* the hole is not mapped */
		return page_up(heap_brk);
	}
	if (a >= stack && a < AION_STACK_TOP)
		return AION_STACK_TOP;
	for (unsigned i = 0; i < nregions; i++)
		if (regions[i].start <= a && regions[i].end > a)
			return regions[i].end;
	return a;
}

/* Whether every page of [a, a + len) is mapped (a page-aligned). */
static bool mapped(uintptr_t a, size_t len)
{
	uintptr_t end = a + page_up(len);
	if (len > MMAP_END || end < a)
		return false;
	for (uintptr_t at = a, next; at < end; at = next)
		if ((next = area_end(at)) == at)
			return false;
	return true;
}

long __aion_msync(uintptr_t a, size_t len, int flags)
{
	if (a & (PAGE - 1) || flags & ~(MS_ASYNC | MS_SYNC | MS_INVALIDATE) ||
	    (flags & MS_ASYNC && flags & MS_SYNC))
		return -EINVAL;
	/* Shared pages are the file's own (vfsd's window): nothing to write
	 * back. Only an unmapped hole is an error, as on Linux. */
	return mapped(a, len) ? 0 : -ENOMEM;
}

long __aion_mlock(uintptr_t a, size_t len)
{
	uintptr_t start = a & ~(PAGE - 1);
	if (len > MMAP_END - MMAP_BASE)
		return -ENOMEM;
	return mapped(start, len + (a - start)) ? 0 : -ENOMEM;
}

int __aion_mem_fault_kind(uintptr_t addr)
{
	for (unsigned i = 0; i < nregions; i++)
		if (regions[i].start <= addr && regions[i].end > addr)
			return regions[i].past_eof ? FAULT_MEM_PAST_EOF : FAULT_MEM_MAPPED;
	return area_end(addr) != addr ? FAULT_MEM_MAPPED : FAULT_MEM_UNMAPPED;
}
