/*
 * libaion: what AionSpace programs get besides the raw system calls:
 * printing to the console log, strings, and starting units from ELF images.
 */
#ifndef AION_LIB_H
#define AION_LIB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "aion/object.h"
#include "libaion/sys.h"
#include "common/string.h"

/* One log line (cut at AION_LOG_MAX). Returns the system call's result. */
int64_t aion_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int64_t aion_vprintf(const char *fmt, va_list ap);

/* Appends formatted text to the NUL-terminated out[0, size), cutting it to fit. */
void aion_text_add(char *out, unsigned size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Logs v[0, n) as lines "HEAD from=I UNIT=v,v,..." with as many whole
 * values as fit a line: a bench's raw samples, whose figures the host
 * computes (bench/benchstats.py). I is the index of the line's first value.
 */
void aion_log_samples(const char *head, const char *unit, const uint64_t *v, unsigned n);

/* The program's entry point, called by crt0 with the creator's argument. */
int64_t aion_main(uint64_t arg);

/*
 * Where this program's window starts (docs/abi.md "Co-located units"): 0,
 * or AION_WINDOW_BASE(w) for a program linked to run as a guest in window
 * w (space/lib/user.ld, --defsym aion_window_base=...). The addresses a
 * program picks for itself (stacks, heap, shared rings) are offsets from
 * it, so the same code runs in window 0 and in a guest's window.
 */
static inline uint64_t aion_window(void)
{
	extern char aion_window_base[];
	return (uint64_t)(uintptr_t)aion_window_base;
}

/* Startup record a parent writes into a child it spawns (argument of main). */
#define AION_STARTUP_VADDR      0x0000000000300000ull
#define AION_STARTUP_MAGIC      0x4149535441525455ull
#define AION_ARGS_MAX           128
#define AION_DATA_VADDR         0x0000004000000000ull  /* 256 GiB: clear of heaps and stacks */

struct aion_startup {
	uint64_t magic;
	uint64_t image_vaddr;           /* copy of the program's own ELF, or 0 */
	uint64_t image_size;
	char args[AION_ARGS_MAX];
	/*
	 * POSIX programs (docs/posix.md): handles the parent gave the child
	 * (CAP_GIVE's result), 0 for none. posix_proc: the process server's
	 * endpoint for this process; posix_fs: the file system (VFS) endpoint.
	 */
	uint64_t posix_proc;
	uint64_t posix_fs;
	/*
	 * A POSIX program's argv and environment, when argv_len > 0: argc
	 * then envc NUL-terminated strings, one after the other, at
	 * AION_ARGV_VADDR in the child, argv_len bytes (aion_spawn writes
	 * them from struct aion_spawn's argv_block; aion_argv_pack makes
	 * one). When 0, a POSIX program splits args at spaces.
	 */
	uint64_t argv_len;
	uint32_t argc, envc;
	/* Data the parent copied in read-only (aion_spawn's data): vfsd's
	 * initramfs. 0, 0 for none. */
	uint64_t data_vaddr;
	uint64_t data_size;
	/* POSIX programs' sockets (docs/posix.md "Sockets"): netd's "net"
	 * endpoint as the child's handle, 0 for none (socket() is EACCES). */
	uint64_t posix_net;
	/*
	 * A POSIX program made by execve or posix_spawn: where the image its
	 * maker wrote finds what the process keeps (its fds, current
	 * directory, umask: the POSIX layer's struct posix_exec_block,
	 * space/posix/exec.c), and its size. 0, 0 for none.
	 */
	uint64_t posix_exec;
	uint64_t posix_exec_size;
	/* A POSIX program's terminal (aion/tty.h): an open record of the
	 * console's tty the parent gave (retained for it), which becomes fds
	 * 0, 1 and 2; 0: none, they stay the log console (docs/posix.md). */
	uint64_t posix_tty;
	/* A process server's (procd): vfsd's VFS_REAP_NAME capability, which
	 * it calls after each process end (aion/vfs.h VFS_REAP), 0: none. */
	uint64_t vfs_reap;
};

/* Where the argv block goes, read-write (a program may change its argv
 * strings), and its limits: musl's ARG_MAX, and the strings' pointers in
 * the initial stack (space/posix/startup.c). */
#define AION_ARGV_VADDR         0x0000000000310000ull
#define AION_ARGV_MAX           (128u * 1024u)
#define AION_ARGV_COUNT_MAX     4000u

/*
 * Packs argv (NULL-terminated) and envp (NULL-terminated, or NULL) into
 * out as struct aion_startup's block. Returns its length, or -AION_ENOSPC
 * when it exceeds size, AION_ARGV_MAX or AION_ARGV_COUNT_MAX strings.
 */
int64_t aion_argv_pack(char *out, size_t size, const char *const *argv,
		       const char *const *envp, uint32_t *argc, uint32_t *envc);

struct aion_spawn {
	const char *name;
	const void *image;              /* ELF file in the caller's memory */
	size_t image_size;
	uint64_t quota_frames;
	unsigned max_prio, prio;
	uint64_t arg;                   /* main's argument, unless startup is set */
	const struct aion_startup *startup;     /* written at AION_STARTUP_VADDR */
	const char *argv_block;         /* with startup: the argv block, and its */
	size_t argv_len;                /* length and counts (aion_argv_pack) */
	uint32_t argc, envc;
	int give_image;                 /* copy the image for the child too */
	const void *data;               /* copied read-only at AION_DATA_VADDR */
	size_t data_size;
	int no_start;                   /* leave the thread for aion_thread_start */
	unsigned stack_pages;
	/* A guest: made under host (our unit or a descendant) and placed in
	 * its address space at window (UNIT_COLOCATE), the image linked
	 * there; the stack and startup record go to the window too. 0: none. */
	aion_handle_t host;
	unsigned window;
};

/*
 * Creates a unit from an ELF image, maps and fills its segments, a stack
 * and the optional startup record, and starts its first thread. On error
 * nothing is left behind. Returns 0 and the unit and thread handles.
 */
int64_t aion_spawn(const struct aion_spawn *sp, aion_handle_t *unit,
		   aion_handle_t *thread);

/*
 * Gives unit rec, an open record of a VFS-protocol server, with rights,
 * and one more holder for it (VFS_RETAIN first: the record stays open
 * until the unit closes its own); when the give fails the hold is given
 * back (VFS_CLOSE). The handle in unit's table, or the error. (giverec.c)
 */
int64_t aion_give_record(aion_handle_t unit, aion_handle_t rec, uint64_t rights);

/*
 * Starts a thread of this unit running fn(arg) on the stack whose top is
 * stack_top (16-byte aligned, mapped); fn's return value is its exit code.
 * Returns the thread handle or -AION_E....
 */
int64_t aion_thread_spawn(int64_t (*fn)(uint64_t), uint64_t arg,
			  uint64_t stack_top, unsigned prio);

/*
 * Maps a memory object another unit gave (READ|WRITE) at va and checks
 * that it covers `pages` pages: 0, -AION_ERANGE (smaller: unmapped again)
 * or MEMORY_MAP's error. A shared ring's reader can then trust its size.
 */
int64_t aion_map_shared(aion_handle_t mo, uint64_t va, unsigned pages);
/* A new memory object of pages, mapped read-write at va: its handle, or
 * the error (nothing left behind). */
int64_t aion_memory_create_mapped(unsigned pages, uint64_t va);

/* Maps `pages` fresh pages of stack for this unit; returns the top or 0. */
uint64_t aion_stack_alloc(unsigned pages);

/* Polls a unit until it is no longer running or timeout_ns passes. */
int64_t aion_unit_wait(aion_handle_t unit, uint64_t timeout_ns,
		       struct aion_unit_info *info);

#endif /* AION_LIB_H */
