/*
 * Kernel objects as userspace sees them: handles, object types, rights,
 * priorities, and the information records the *_INFO calls fill in.
 */
#ifndef AION_OBJECT_H
#define AION_OBJECT_H

#include <stdint.h>

/*
 * A handle names a slot of the calling unit's handle table: the low
 * AION_HANDLE_INDEX_BITS are the slot, the rest its generation. Deleting a
 * slot bumps its generation, so a stale or guessed handle fails with
 * -AION_ECAP instead of reaching a newer object.
 */
typedef uint32_t aion_handle_t;
#define AION_HANDLE_INDEX_BITS  8
#define AION_HANDLE_SLOTS       (1u << AION_HANDLE_INDEX_BITS)
#define AION_HANDLE(index, gen) ((aion_handle_t)(((gen) << AION_HANDLE_INDEX_BITS) | (index)))

/* Slot 0 of every unit: the unit itself, generation 1, never closable. */
#define AION_HANDLE_SELF        AION_HANDLE(0, 1)

enum aion_obj_type {
	AION_OBJ_NONE = 0,
	AION_OBJ_UNIT = 1,
	AION_OBJ_THREAD = 2,
	AION_OBJ_ENDPOINT = 3,
	AION_OBJ_NOTIFICATION = 4,
	AION_OBJ_REPLY = 5,
	AION_OBJ_MEMORY = 6,            /* frames: RAM, or a device's MMIO range */
	AION_OBJ_IRQ = 7,               /* one interrupt line */
	AION_OBJ_IOPORT = 8,            /* a range of I/O ports */
	AION_OBJ_PLATFORM = 9,          /* init's root of IRQs, ports, device memory */
};

/*
 * IRQ_CREATE's lines: below 256 an I/O APIC input; AION_IRQ_MSI_BASE + k
 * (k < AION_IRQ_MSI_COUNT) a message-signalled interrupt, a vector of its
 * own that a device raises by writing the message IRQ_MSI_MESSAGE returns
 * (its address in bits 0-31, its data in bits 32-47). Such a line has
 * nothing to mask: IRQ_ACK is not needed and does nothing.
 */
#define AION_IRQ_MSI_BASE   256u
#define AION_IRQ_MSI_COUNT  8u
#define AION_IRQ_IS_MSI(line) ((uint32_t)(line) - AION_IRQ_MSI_BASE < AION_IRQ_MSI_COUNT)
#define AION_MSI_ADDRESS(m) ((uint32_t)(m))
#define AION_MSI_DATA(m)    ((uint16_t)((m) >> 32))

/* init only: the platform capability, slot 1 of its table at boot. */
#define AION_HANDLE_PLATFORM    AION_HANDLE(1, 1)

/* Rights: what a handle allows on its object. */
#define AION_RIGHT_READ     (1u << 0)   /* *_INFO */
#define AION_RIGHT_WRITE    (1u << 1)   /* units: ANON_MAP, ANON_UNMAP, MEM_WRITE, MEMORY_MAP into it */
#define AION_RIGHT_CONTROL  (1u << 2)   /* threads: create in unit, start, priority */
#define AION_RIGHT_DESTROY  (1u << 3)   /* UNIT_DESTROY */
#define AION_RIGHT_SPAWN    (1u << 4)   /* UNIT_CREATE from this unit's quota */
#define AION_RIGHT_SEND     (1u << 5)   /* endpoints: CALL; notifications: SIGNAL */
#define AION_RIGHT_RECV     (1u << 6)   /* endpoints: RECV; notifications: WAIT, POLL, BIND */
#define AION_RIGHT_GRANT    (1u << 7)   /* endpoints: carry capabilities in messages */
#define AION_RIGHT_PHYS     (1u << 8)   /* memory: learn physical addresses (DMA) */
#define AION_RIGHTS_ALL     0x1ffu

/* 256 fixed priorities; higher runs first. */
#define AION_PRIO_MIN       0
#define AION_PRIO_MAX       255

/* Memory protection for ANON_MAP and MEMORY_MAP. */
#define AION_PROT_READ      (1u << 0)
#define AION_PROT_WRITE     (1u << 1)
#define AION_PROT_EXEC      (1u << 2)

/* MEMORY_MAP's pages: count pages of the object from page first. */
#define AION_MEM_PAGES(first, count) \
	((uint64_t)(uint32_t)(first) | (uint64_t)(uint32_t)(count) << 32)

/*
 * The user half of every address space: [AION_USER_MIN, AION_USER_END).
 * The last page below the canonical boundary (0x7ffffffff000) is never
 * mapped, as on Linux: a SYSCALL in its last two bytes would leave the
 * non-canonical 0x800000000000 as the address to return to, and the
 * kernel's return would fault in ring 0.
 */
#define AION_USER_MIN       0x0000000000001000ull
#define AION_USER_END       0x00007ffffffff000ull
/* Where loaders put a unit's first stack (grows down from here). */
#define AION_STACK_TOP      0x00007fffffff0000ull

/*
 * Windows: the user half in 256 aligned parts of 512 GiB (one top-level
 * page-table entry each). A unit placed in its parent's address space by
 * UNIT_COLOCATE (a guest) maps only inside its window, and its parent
 * never inside a guest's; window 0 (programs' code, heap, data) and 255
 * (their first stack) are never a guest's. docs/abi.md "Co-located units".
 */
#define AION_WINDOW_SHIFT   39
#define AION_WINDOW_MIN     1u
#define AION_WINDOW_MAX     254u
#define AION_WINDOW_BASE(w) ((uint64_t)(w) << AION_WINDOW_SHIFT)

enum aion_unit_state {
	AION_UNIT_RUNNING = 1,  /* has live threads, or none started yet */
	AION_UNIT_EXITED = 2,   /* every thread exited */
	AION_UNIT_FAULTED = 3,  /* a thread faulted: the unit was ended */
};

struct aion_unit_info {
	uint32_t state;
	int32_t exit_code;
	uint32_t fault_vector;          /* when FAULTED */
	uint32_t threads;               /* live threads */
	uint64_t fault_addr;            /* faulting address (#PF) or RIP */
	uint64_t quota_frames;          /* frames it may hold */
	uint64_t used_frames;           /* frames it holds now */
	char name[32];
	uint32_t id;                    /* as in kernel log lines and fault notices */
	uint32_t max_prio;              /* the highest priority its threads may take */
	uint64_t syscalls;              /* system calls its threads made */
	uint64_t cpu_ns;                /* time its threads ran, the ended ones' too */
	uint32_t cpu_mask;              /* bit n: a live thread of it is on CPU n */
	uint32_t loads;                 /* times a CPU loaded its address space (a
					 * page-table switch; CR3 on x86_64), mod 2^32 */
};

enum aion_thread_state {
	AION_THREAD_CREATED = 1,
	AION_THREAD_READY = 2,
	AION_THREAD_RUNNING = 3,
	AION_THREAD_SLEEPING = 4,
	AION_THREAD_DEAD = 5,
	AION_THREAD_BLOCKED = 6,        /* in IPC or waiting on a notification */
};

struct aion_thread_info {
	uint32_t state;
	uint32_t priority;
	uint64_t cpu_ns;                /* time spent running */
	uint64_t switches;              /* times switched in */
	int32_t exit_code;              /* THREAD_EXIT's code, once DEAD by it */
	uint32_t cpu;                   /* the CPU it runs on (THREAD_SET_CPU) */
};

struct aion_system_info {
	uint64_t free_frames;
	uint64_t total_frames;
	uint64_t kernel_objects;        /* live units, threads, handle tables */
	uint64_t uptime_ns;
	uint64_t time_slice_ns;
	uint64_t idle_ns;               /* time the CPUs spent idle since boot, summed */
	uint64_t syscall_restarts;      /* long calls cut at a preemption point */
	/* The wall clock at uptime 0, ns since 1970 UTC: the host's clock (whole
	 * seconds) when it started the VM, `aion.clock=` on the command line; 0
	 * when not given. Wall time = realtime_boot_ns + CLOCK_NS. */
	uint64_t realtime_boot_ns;
	uint32_t cpus;                  /* CPUs online (docs/smp.md) */
	/* The times a CPU switched to its idle thread since boot, summed
	 * (wraps): each is a halt the next interrupt ends, the wake-ups an
	 * idle node costs its host (docs/mesh.md "Idle cost"). */
	uint32_t idle_entries;
	/* The clock's own terms, so a unit reads it without a system call:
	 * CLOCK_NS = aion_clock_from_counter(counter, clock_base, clock_mult)
	 * with counter the CPU's time-stamp counter (RDTSC on x86_64), one
	 * for all CPUs. clock_mult 0: the counter is not usable (not
	 * calibrated), ask CLOCK_NS. Fixed from boot to halt. */
	uint64_t clock_base;
	uint64_t clock_mult;
};

/* Nanoseconds since boot from a counter reading: (counter - base) *
 * mult / 2^32, the kernel's clock and libaion's aion_clock_ns alike. */
static inline uint64_t aion_clock_from_counter(uint64_t counter, uint64_t base, uint64_t mult)
{
	return (uint64_t)(((unsigned __int128)(counter - base) * mult) >> 32);
}

/* What CAP_INFO reports of a handle. */
struct aion_cap_info {
	uint32_t type;                  /* enum aion_obj_type */
	uint32_t rights;
	uint64_t badge;
	uint32_t flags;                 /* AION_CAP_* below */
	uint32_t reserved;
};

/* CAP_INFO flags. COPIED: capabilities derived from this handle (copies,
 * mints, capabilities sent in IPC) still exist, in any unit. A server that
 * hands out minted capabilities (meshd's proxies) learns from it when the
 * last one is gone. */
#define AION_CAP_COPIED         1u

#endif /* AION_OBJECT_H */
