/*
 * Bulk reads and writes of regular files (aion/vfs.h VFS_READ_BULK,
 * docs/fs.md "Bulk transfers"): up to VFS_BULK_MAX bytes a call through a
 * memory object the call carries, instead of VFS_IO_MAX bytes of payload.
 * Each thread that moves a large read or write makes one object, mapped in
 * the process as a shared region (mem.c), at its first use; it goes when
 * the thread ends, and a forked child drops its copy of the parent's
 * (the two would share its pages). A server that does not know the calls
 * (vfsd's ramfs, a terminal) answers ENOSYS, and a file on another node
 * (/net: meshd carries no memory object, AION_ETYPE) ENODEV: the file is
 * marked and the caller goes on through the payload.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include "aion/vfs.h"
#include "libaion/sys.h"
#include "posix.h"

static __thread struct {
	uintptr_t va;           /* 0: none yet */
	aion_handle_t mo;       /* the region's handle (mem.c closes it) */
} bulk;

static long bulk_buffer(void)
{
	if (bulk.va)
		return 0;
	int64_t mo = aion_memory_create(VFS_BULK_MAX / 4096);
	if (mo < 0)
		return -ENOMEM;
	long a = __aion_mmap_object((aion_handle_t)mo, VFS_BULK_MAX, PROT_READ | PROT_WRITE);
	if (a < 0) {
		aion_handle_close((aion_handle_t)mo);
		return a;
	}
	bulk.va = (uintptr_t)a;
	bulk.mo = (aion_handle_t)mo;
	return 0;
}

/* One call of n bytes (<= VFS_BULK_MAX) at off (or VFS_AT_POS): bytes moved
 * or -errno; -ENOSYS when the server has no bulk calls or the object
 * cannot reach it. */
static long bulk_call(struct posix_file *f, uint32_t label, uint64_t n, uint64_t off)
{
	struct posix_vfs_call c = {
		.label = label, .w1 = n, .w2 = off,
		.cap_in = bulk.mo, .cap_in_len = 1,
		.cap_in_rights = AION_RIGHT_READ | (label == VFS_READ_BULK ? AION_RIGHT_WRITE : 0),
	};
	long r = __aion_vfs_call(f->cap, &c);
	if (r == -ENOSYS || r == -ENODEV) {
		f->bulk = POSIX_BULK_NO;
		r = -ENOSYS;
	}
	return r;
}

long __aion_bulk_io(struct posix_file *f, bool write, char *p, size_t n, uint64_t off)
{
	size_t done = 0;

	if (f->bulk == POSIX_BULK_NO || f->type != VFS_S_IFREG || bulk_buffer())
		return -ENOSYS;
	while (done < n) {
		size_t chunk = n - done < VFS_BULK_MAX ? n - done : VFS_BULK_MAX;
		uint64_t at = off == VFS_AT_POS ? VFS_AT_POS : off + done;
		if (write)
			memcpy((void *)bulk.va, p + done, chunk);
		long r = bulk_call(f, write ? VFS_WRITE_BULK : VFS_READ_BULK, chunk, at);
		if (r < 0)
			return done ? (long)done : r;
		if ((size_t)r > chunk)
			return done ? (long)done : -EIO;        /* a server that lies */
		if (!write)
			memcpy(p + done, (const void *)bulk.va, (size_t)r);
		done += (size_t)r;
		if ((size_t)r < chunk)
			break;
	}
	return (long)done;
}

void __aion_bulk_thread_end(void)
{
	if (bulk.va)
		__aion_munmap(bulk.va, VFS_BULK_MAX);
	bulk.va = 0;
	bulk.mo = 0;
}

void __aion_bulk_forked(void)
{
	__aion_bulk_thread_end();       /* the child's mapping of the parent's object */
}
