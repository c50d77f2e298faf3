/*
 * Units: isolated execution containers. A unit owns an address space, a
 * handle table, threads and a memory quota in frames; every frame the
 * kernel takes on its behalf (page tables, pages, kernel stacks, its handle
 * table) is charged to it and comes back when it is destroyed.
 */
#ifndef KERNEL_UNIT_H
#define KERNEL_UNIT_H

#include <stdint.h>
#include <stdbool.h>
#include "handle.h"
#include "kobj.h"
#include "memobj.h"

struct thread;
struct ioport;

#define UNIT_NAME_MAX 32
#define UNIT_IO_RANGES 4
#define UNIT_MAX_DEPTH 16
#define UNIT_MIN_STACKS 8               /* kernel stack slots a child gets at least */

struct unit {
	struct kobj obj;
	char name[UNIT_NAME_MAX];
	uint32_t id;
	uint32_t state;                 /* enum aion_unit_state */
	int32_t exit_code;
	uint32_t fault_vector;
	uint64_t fault_addr;
	uint64_t pml4;                  /* physical; 0 once destroyed */
	uint64_t quota, used;           /* frames */
	uint32_t stacks, stacks_used;   /* kernel stack slots: own threads' and lent to children */
	uint8_t max_prio;               /* its threads may not run above this */
	bool dying;                     /* being destroyed: ended, nothing may be added */
	bool destroyed;                 /* and done: it holds nothing */
	uint8_t window;                 /* a guest's in its parent's tables; 0: own tables */
	struct unit *parent;            /* referenced; gets the quota back */
	struct unit *first_child, *next_sibling;        /* destroyed with it */
	uint32_t depth;                 /* 0 for init; at most UNIT_MAX_DEPTH */
	struct handle_table handles;    /* empty once destroyed */
	struct thread *threads;         /* every thread not yet reaped */
	struct region regions[UNIT_REGIONS];    /* memory objects mapped here */
	struct {                        /* ports allowed: while it holds io's capability */
		uint16_t base, count;
		const struct ioport *obj;
	} io[UNIT_IO_RANGES];
	unsigned nio;
	struct kobj *fault_ep;          /* endpoint told when the unit ends: referenced */
	uint64_t fault_badge;
	struct unit *fault_setter;      /* holds a SEND capability to it while set */
	struct unit *fault_next, *fault_prev;   /* the endpoint's list of units */
	struct unit *notice_next;       /* on an endpoint's queue of end notices */
	uint64_t notice_badge;
	uint32_t live_threads;          /* started and not yet dead */
	uint32_t outside_caps;          /* capabilities to it in other units' tables */
	struct slab_cache caches[KOBJ_KINDS];   /* objects it asked for: pages on its quota */
	struct unit *orphan_next;       /* on the orphan list: referenced */
	bool orphaned;
	/* Of its reaped threads; UNIT_INFO adds the others' own counts. */
	uint64_t syscalls;              /* made by its threads */
	uint64_t cpu_ns;                /* its threads' running time */
	uint32_t loads;                 /* its tables loaded by a CPU (arch_vm_activate) */
	uint64_t window_table;          /* a dying guest's window, cut off: freed in slices */
	struct {                        /* lines about its children: unit_log_ok */
		uint64_t at;            /* when tokens was last refilled */
		uint32_t tokens, suppressed;
	} log;
};

static inline bool unit_is_ancestor_or_self(const struct unit *a, const struct unit *u)
{
	for (; u; u = u->parent)        /* bounded by UNIT_MAX_DEPTH */
		if (u == a)
			return true;
	return false;
}

/* Whose page tables u's are: its parent's for a guest (UNIT_COLOCATE). */
static inline const struct unit *unit_space(const struct unit *u)
{
	return u->window ? u->parent : u;
}

/* The first unit, with a quota of `quota` frames taken from the system. */
int unit_create_root(const char *name, uint64_t quota, struct unit **out);

/*
 * A child of parent, made by maker (the caller: parent or an ancestor of
 * it): its quota and kernel stack slots come from maker's unused ones and
 * go back to maker, and its unit object is in maker's caches, so a child
 * made under a descendant (UNIT_COLOCATE's guest under its host) costs
 * the descendant nothing and may outlive it while maker holds a handle.
 */
int unit_create(struct unit *parent, struct unit *maker, const char *name, uint64_t quota,
		unsigned max_prio, struct unit **out);

/* Ends every thread (state EXITED or FAULTED), keeps the memory. */
void unit_end(struct unit *u, uint32_t state, int32_t code);

/*
 * Ends it and its descendants and frees every frame they hold, in one go
 * (a unit just made, on a failed UNIT_CREATE). -AION_EBUSY when the
 * caller's own unit is u or one of u's descendants. UNIT_DESTROY is the
 * preemptible form (unit_destroy.c).
 */
int unit_destroy(struct unit *u);
/* t's cut UNIT_DESTROY, if any, is given up (another call, or death). */
void unit_destroy_dropped(struct thread *t);

/*
 * Whether a routine line about u's life (create, exit, fault, destroy) may
 * be printed. Such lines are charged to the top of u's tree below init
 * (init itself for init's children), so a unit that makes and kills
 * children in a loop cannot flood the console; the count of lines held
 * back is printed with the next one let through.
 */
bool unit_log_ok(struct unit *u);

/* A thread of u left (exited or was reaped): may end the unit. */
void unit_thread_gone(struct unit *u, int32_t code);

void unit_release(struct unit *u);      /* last reference dropped */

/*
 * A capability to u in another unit's table appeared (+1) or went (-1).
 * When the last goes, u is an orphan: nobody can destroy it or read it,
 * so the kernel destroys it (unit_reap_orphans), as UNIT_DESTROY would.
 */
void unit_outside_cap_changed(struct unit *u, int delta);

/*
 * holder lost a SEND capability to ep: the units whose fault endpoint it
 * set to ep stop reporting there once it holds none. Bounded by the units
 * that report to ep.
 */
struct endpoint;
void unit_fault_ep_cap_lost(struct unit *holder, struct endpoint *ep);
/*
 * At the end of a system call whose handler returned result: the calling
 * thread destroys the orphans (not from inside handle_delete, so one
 * deletion never recurses into a chain of units). An orphan that is the
 * caller's own unit or ancestor waits for a call from outside its subtree
 * (nobody destroys the stack it runs on). Preemptible: SYS_RESTART when
 * cut, the rest kept on t->reap and result in t->reap_result; the thread's
 * next entry into the kernel goes on (unit_reap_continue) and returns
 * result once the list is empty.
 */
int64_t unit_reap_orphans(struct thread *t, int64_t result);
int64_t unit_reap_continue(struct thread *t);
/* t dies with orphans on its list: back on the orphan list for another. */
void unit_reap_dropped(struct thread *t);

/* The orphan list; tested inline at the end of every system call. */
extern struct unit *unit_orphans;

/* Frames charged to the unit: zeroed on allocation. */
int64_t unit_frame_alloc(struct unit *u);
void unit_frame_free(struct unit *u, uint64_t pa);

#endif /* KERNEL_UNIT_H */
