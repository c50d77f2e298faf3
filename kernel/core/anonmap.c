/*
 * ANON_MAP and ANON_UNMAP: fresh zeroed pages charged to a unit.
 *
 * ANON_MAP is all or nothing, and preemptible and restartable like
 * CAP_REVOKE (docs/abi.md): it maps ANON_CHUNK pages, then with an
 * interrupt pending it leaves the call to run again (SYS_RESTART). What it
 * mapped so far is the cut thread's, in thread.anon: the same call entered
 * again by that thread goes on from there; any other call by it first
 * unmaps those pages (anon_map_abandon: the map it gave up never
 * happened), and its death leaves them to the unit, which is being ended.
 * ANON_UNMAP is restartable the same way; a cut unmap given up stays
 * done as far as it went.
 */
#include "aion/error.h"
#include "aion/object.h"
#include "aion/syscall.h"
#include "arch.h"
#include "layout.h"
#include "memory.h"
#include "sched.h"
#include "syscalls.h"
#include "thread.h"
#include "unit.h"

#define ANON_MAP_MAX_PAGES 1024         /* 4 MiB per call */
#define ANON_CHUNK         64           /* pages zeroed between looks at the IRR */
#define UNMAP_CHUNK        256          /* pages unmapped and freed between looks */

/* Common checks of ANON_MAP/UNMAP: a page-aligned, bounded user range. */
static int anon_range(const struct sys_args *a, struct unit **u)
{
	uint64_t va = a->a1, len = a->a2;
	int err = lookup(a->a0, AION_OBJ_UNIT, AION_RIGHT_WRITE, u);
	if (err)
		return err;
	if ((va | len) & (PAGE_SIZE - 1) || len == 0 ||
	    len > ANON_MAP_MAX_PAGES * PAGE_SIZE)
		return -AION_EINVAL;
	if (va < AION_USER_MIN || va > AION_USER_END - len)
		return -AION_EFAULT;
	if ((*u)->dying)
		return -AION_EDEAD;
	return 0;
}

static void unmap_first(struct unit *u, uint64_t va, uint64_t done)
{
	while (done) {
		done -= PAGE_SIZE;
		arch_vm_unmap(u, va + done);
	}
}

/* Forgets t's cut map or unmap; with undo, unmaps what a map had mapped. */
static void forget(struct thread *t, bool undo)
{
	struct unit *u = t->anon.unit;

	if (!u)
		return;
	t->anon.unit = NULL;
	if (undo && t->anon.call == AION_SYS_ANON_MAP && !u->dying)
		unmap_first(u, t->anon.va, t->anon.done);
	kobj_put(&u->obj);
}

/* Whether to stop at off: a chunk done since done, and an interrupt pending. */
static bool cut_point(uint64_t off, uint64_t done, unsigned chunk)
{
	return off > done && (off - done) % (chunk * PAGE_SIZE) == 0 && arch_irq_pending();
}

/* t's call on u is cut after off bytes: its progress waits in t->anon. */
static void cut(struct thread *t, struct unit *u, const struct sys_args *a,
		uint64_t off, unsigned call)
{
	kobj_get(&u->obj);
	t->anon.unit = u;
	t->anon.call = call;
	t->anon.va = a->a1;
	t->anon.len = a->a2;
	t->anon.done = off;
}

void anon_map_abandon(struct thread *t)
{
	forget(t, true);
}

void anon_map_dropped(struct thread *t)
{
	forget(t, false);
}

int64_t sys_anon_map(const struct sys_args *a)
{
	struct thread *t = sched_current();
	struct unit *u;
	uint64_t prot = a->a3, done = 0;

	int err = anon_range(a, &u);
	if (!err && prot & ~(uint64_t)(AION_PROT_READ | AION_PROT_WRITE | AION_PROT_EXEC))
		err = -AION_EINVAL;
	if (t->anon.unit) {
		bool same = !err && t->anon.call == AION_SYS_ANON_MAP && t->anon.unit == u &&
			    t->anon.va == a->a1 && t->anon.len == a->a2 && t->anon.prot == prot;
		if (same)
			done = t->anon.done;    /* the cut call again: go on */
		forget(t, !same);
	}
	if (err)
		return err;
	for (uint64_t off = done; off < a->a2; off += PAGE_SIZE) {
		if (cut_point(off, done, ANON_CHUNK)) {
			cut(t, u, a, off, AION_SYS_ANON_MAP);
			t->anon.prot = (unsigned)prot;
			return SYS_RESTART;
		}
		int64_t pa = unit_frame_alloc(u);
		err = pa < 0 ? (int)pa : arch_vm_map(u, a->a1 + off, (uint64_t)pa, (unsigned)prot, true);
		if (err) {
			if (pa >= 0)
				unit_frame_free(u, (uint64_t)pa);
			unmap_first(u, a->a1, off);     /* all or nothing, cuts included */
			return err;
		}
	}
	return 0;
}

/*
 * Unmaps every page of the range; -AION_ENOENT if some was not mapped.
 * Restartable too, in chunks of UNMAP_CHUNK pages: the cut call's progress
 * (and whether a page was missing) waits in thread.anon; a cut unmap
 * given up leaves the pages it unmapped unmapped (docs/abi.md).
 */
int64_t sys_anon_unmap(const struct sys_args *a)
{
	struct thread *t = sched_current();
	struct unit *u;
	uint64_t done = 0;
	bool missing = false;

	int err = anon_range(a, &u);
	if (t->anon.unit) {
		if (!err && t->anon.unit == u && t->anon.va == a->a1 && t->anon.len == a->a2) {
			done = t->anon.done;    /* the cut call again: go on */
			missing = t->anon.missing;
		}
		forget(t, false);
	}
	if (err)
		return err;
	for (uint64_t off = done; off < a->a2; off += PAGE_SIZE) {
		if (cut_point(off, done, UNMAP_CHUNK)) {
			cut(t, u, a, off, AION_SYS_ANON_UNMAP);
			t->anon.missing = missing;
			return SYS_RESTART;
		}
		if (arch_vm_unmap(u, a->a1 + off))
			missing = true;
	}
	return missing ? -AION_ENOENT : 0;
}
