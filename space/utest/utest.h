/*
 * utest: kernel tests that must run in user mode. init starts it when the
 * boot command line has aion.test=NAME; it prints one line per result,
 *   test NAME ok key=value ...     or     test NAME FAIL why
 * and the boot suite (tests/boot/) asserts on those values again. It also
 * starts helper units from its own image, each with a role as argument.
 */
#ifndef UTEST_H
#define UTEST_H

#include <stdbool.h>
#include "libaion/lib.h"
#include "common/time.h"

enum role {
	ROLE_SPIN = 1,          /* spins forever */
	ROLE_FAULT_PF,          /* writes to an unmapped page */
	ROLE_FAULT_UD,          /* ud2 */
	ROLE_FAULT_GP,          /* hlt in ring 3 */
	ROLE_FAULT_DE,          /* divides by zero */
	ROLE_EXIT,              /* maps and touches memory, exits with 7 */
	ROLE_YIELDER,           /* yields BENCH_ITERS + slack times */
	ROLE_CLIENT,            /* calls CHILD_CAP (accepting a capability) until it fails; exits with -error */
	ROLE_MOVER,             /* moves a new endpoint to CHILD_CAP's receiver */
	ROLE_SERVE_ONCE,        /* answers one call on CHILD_CAP, then sleeps */
	ROLE_RECV_FAULT,        /* takes one call on CHILD_CAP, then faults */
	ROLE_ECHO,              /* answers calls on CHILD_CAP with w0 + 1, forever */
	ROLE_IO_NO_CAP,         /* reads a port it was given no capability for */
	ROLE_IO_OTHER,          /* enables CHILD_CAP's ports, then reads another port */
	ROLE_MEM_READER,        /* maps CHILD_CAP (read-only), checks it, writes to it */
	ROLE_FUZZ,              /* makes random system calls (fuzz.c) */
	ROLE_ODD_FLAGS,         /* system calls and interrupts with NT, AC, DF set */
	ROLE_TRAP_FLAG,         /* SYSCALL with TF set: ends with #DB */
	ROLE_CANONICAL,         /* SYSCALL at the end of the last user page */
	ROLE_TICKER,            /* sleeps 2-10 ms at a time; exits with its worst lateness */
	ROLE_CAP_PUSHER,        /* answers calls on CHILD_CAP with w0 capabilities */
	ROLE_FULL_TABLE,        /* no quota, one free slot: receives on CHILD_CAP */
	ROLE_EAT_ENDPOINT,      /* spends its quota on one kind of object (quota_tests.c) */
	ROLE_EAT_NOTIFY,
	ROLE_EAT_THREAD,
	ROLE_EAT_MEMORY,
	ROLE_EAT_UNIT,
	ROLE_EAT_STACKS,        /* a big quota: threads until its kernel stacks run out */
	ROLE_EAT_HANDLES,       /* handle-table pages (copies of its own handle) */
	ROLE_EAT_MAPPINGS,      /* one page every 2 MiB: pages and page tables */
	ROLE_EAT_IOPORT,        /* I/O port objects from the platform, CHILD_CAP */
	ROLE_EAT_DEVICE,        /* device memory objects from the platform, CHILD_CAP */
	ROLE_IO_HOLD,           /* enables CHILD_CAP's ports, signals CHILD_CAP2, reads on */
	ROLE_MEM_HOLD,          /* maps CHILD_CAP, signals CHILD_CAP2, reads on */
	ROLE_IRQ_BIND,          /* points IRQ CHILD_CAP at CHILD_CAP2, signals it, sleeps */
	ROLE_FAULT_SETTER,      /* sets two units' fault endpoints, exits */
	ROLE_STORM,             /* revoke, map and destroy storms, forever (longops_tests.c) */
	ROLE_STORM_REVOKE,      /* revoke storms only, forever */
	ROLE_REVOKE_CUT,        /* faults while its revoke of CHILD_CAP's copies is cut */
	ROLE_VM86_FAULT,        /* enters vm86 by iretd at an unmapped CS:IP */
	ROLE_VM86_SPIN,         /* enters vm86 by iretd into `jmp .` */
	ROLE_LDT_GATE,          /* far-calls through a call gate it wrote at 0x1000 */
	ROLE_TREE,              /* fills itself and 3 children with pages, exits (destroy_tests.c) */
	ROLE_FAULT_XM,          /* unmasks divide-by-zero in MXCSR and divides: #XM */
	ROLE_FAULT_MF,          /* unmasks divide-by-zero in FCW and divides: #MF */
	ROLE_FPU_YIELD,         /* its own x87/SSE values, checked across yields (fpu_tests.c) */
	ROLE_FPU_ECHO,          /* the same across calls it answers on CHILD_CAP */
	ROLE_FUTEX_WAITERS,     /* five threads waiting in FUTEX_WAIT (futex_tests.c) */
	ROLE_UPCALL_BAD_STACK,  /* an upcall entry, then spins on an unmapped stack (upcall_tests.c) */
	ROLE_UPCALL_FAULT_OFF,  /* faults with an entry but no AION_UPCALL_FAULTS (upcall_tests.c) */
	ROLE_UPCALL_FAULT_MASKED,       /* its fault entry faults before it unmasks */
	ROLE_UPCALL_FAULT_STACK,        /* faults with an unmapped stack */
	ROLE_MEM_SPIN,          /* maps CHILD_CAP, signals CHILD_CAP2, reads it without pause (smp_tests.c) */
	ROLE_FUZZ_SEEDED,       /* ROLE_FUZZ with a seed of its own (fuzzsmp) */
	ROLE_MEM_COPIER,        /* MEMORY_READs CHILD_CAP until refused (memcopy_tests.c) */
	ROLE_COUNT
};

/* The first capability a parent gives a fresh child (CAP_GIVE) lands here. */
#define CHILD_CAP               AION_HANDLE(1, 1)
#define CHILD_CAP2              AION_HANDLE(2, 1)
/* utest's own first capability, from init: the platform (devices). */
#define UTEST_PLATFORM          AION_HANDLE(1, 1)
#define SHARED_VADDR            0x0000000050000000ull
#define SHARED_MAGIC            0xa10a5eedull

#define BENCH_ITERS             10000u
#define ROLE_EXIT_CODE          7
/* ROLE_FAULT_XM's exit code when the CPU flagged the error but raised no #XM. */
#define ROLE_XM_NOT_RAISED      19

/* The test's verdict: prints the line with its figures, counts it. */
void utest_result(bool ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define utest_ok(...)           utest_result(true, __VA_ARGS__)
#define utest_fail(...)         utest_result(false, __VA_ARGS__)

/* Waits until the n threads t[] are all BLOCKED (in a receive, a wait...):
 * true, or false after about a second. */
bool utest_all_blocked(const int64_t *t, unsigned n);

/* Sorts a[0, n) in place, smallest first (medians of timed samples). */
void utest_sort(uint64_t *a, unsigned n);

/* Starts a helper unit running `role`; fills the handles. */
int64_t utest_spawn_role(enum role role, unsigned prio, aion_handle_t *unit,
			 aion_handle_t *thread);
/* The same, giving it `cap` (rights & mask) as CHILD_CAP before it starts. */
int64_t utest_spawn_with_cap(enum role role, unsigned prio, aion_handle_t cap,
			     uint32_t mask, aion_handle_t *unit, aion_handle_t *thread);
/* The same with n capabilities: CHILD_CAP, CHILD_CAP2, ... */
int64_t utest_spawn_with_caps(enum role role, unsigned prio, const aion_handle_t *caps,
			      const uint32_t *masks, unsigned n, aion_handle_t *unit,
			      aion_handle_t *thread);
/*
 * Waits (up to about a second) until a thread of ours has ended, so that its
 * stack may be used again, and closes its handle. true: it ended (or
 * thread is an error, nothing to wait for).
 */
bool utest_join(int64_t thread);
/* A thread of unit at entry, on CPU cpu (-1: any), started; or an error. */
int64_t utest_thread_in(aion_handle_t unit, uint64_t entry, uint64_t stack_top,
			unsigned prio, int cpu);
/* code (< 4 KiB) on a fresh RWX page at va in unit, a thread on it (its
 * stack the page's top: code that needs none), started. */
int64_t utest_code_thread(aion_handle_t unit, uint64_t va, const uint8_t *code, size_t len,
			  unsigned prio, int cpu);
/* Destroys a helper unit and closes both handles. */
void utest_reap(aion_handle_t unit, aion_handle_t thread);
/* Runs `role` in a helper unit (given `cap` & mask unless cap is 0) and
 * waits up to timeout_ns for its end: 0 with *info filled, or the error. */
int64_t utest_run_to_end(enum role role, aion_handle_t cap, uint32_t mask,
			 uint64_t timeout_ns, struct aion_unit_info *info);

int64_t role_main(enum role role);
/* System call n with all six argument registers (rdi .. r9), raw. */
int64_t utest_syscall6(uint64_t n, const uint64_t a[6]);

void test_preempt(void);
void test_fair(void);
void test_sleep(void);
/* Made from aion/syscall.h's USE column (matrix_tests.c). */
void test_efault(void);
void test_rights(void);
void test_fault(void);
void test_destroy(void);
void test_malloc(void);
void bench_kernel(void);
void bench_smp(void);                   /* bench_smp.c */
void test_caps(void);
void test_revoke(void);
void test_move(void);
void test_deferred(void);
void test_timeout(void);
void test_pi(void);
void test_pismp(void);                  /* pi across CPUs (ipc_tests.c) */
void test_smp(void);                    /* smp_tests.c */
void test_smptlb(void);
int64_t mem_spin_role(void);
void test_dead(void);
void test_notify(void);
void test_signalrecv(void);                /* SIGNAL_RECV (ipc_tests.c) */
void test_ioport(void);
void test_memshare(void);
void test_irq(void);
void test_faultep(void);
void test_fuzz(void);
int64_t fuzz_main(bool own_seed);     /* own_seed: mixed with its unit's id */
void test_fuzzsmp(void);
/* The hostile-unit fuzzer (hunit_tests.c); its seed is the test's argument. */
void test_hunit(void);
void test_hunitsmp(void);
/* What followed `NAME:` in aion.test=NAME:ARG, or NULL. */
extern const char *utest_arg;
/* init's endpoint: UTEST_INIT_EP, or SVC_INIT_EP when utest runs as init's
 * service "posixtest" (main.c). */
extern aion_handle_t utest_init_ep;
/* Hostile units of issue 16 (hostile_tests.c). */
int64_t hostile_role(enum role role);
void test_flags(void);
void test_canonical(void);
void test_vm86(void);
void test_ldt(void);
void test_replyself(void);
void test_devwrap(void);
void test_devcopy(void);
void test_logflood(void);
void test_longops(void);
int64_t longops_storm_role(enum role role);
void test_revokecut(void);
/* ROLE_REVOKE_CUT's priority, and its faulter's (on another CPU: no ranking needed). */
#define REVOKE_CUT_PRIO         100
int64_t longops_revoke_cut_role(void);
int64_t destroy_tree_role(void);
void test_destroycut(void);
void bench_irq_latency(void);
/* Authority and quotas (authority_tests.c). */
int64_t cap_pusher(void);
void test_replygrant(void);
int64_t full_table(void);
void test_transfer(void);
void test_orphan(void);
void test_colocate(void);       /* colocate_tests.c */
int64_t quota_eater(enum role role);
void test_quota(void);
void test_stacks(void);
int64_t revoke_holder(enum role role);
void test_revokeio(void);
void test_revokemem(void);
void test_memrange(void);
void test_memcopy(void);         /* memcopy_tests.c: MEMORY_READ, MEMORY_WRITE */
int64_t mem_copier_role(void);
void test_revokeirq(void);
int64_t fault_setter(void);
void test_revokefault(void);
void test_posix(void);           /* posix_tests.c: musl programs */
void test_posixprintf(void);
void test_posixmalloc(void);
void test_posixfork(void);
void test_posixprocid(void);
void test_posixforkfiles(void);
void test_posixexec(void);
void test_posixspawn(void);
void test_posixsignals(void);
void test_posixpipesig(void);
void test_posixrecs(void);
void test_posixpts(void);
void test_posixtty(void);
void test_posixsh(void);
void test_posixbench(void);      /* posix_tests.c: /bin/posixbench under procd */
void test_posixdiff(void);       /* posix_tests.c: same output as on the host */
void test_posixfiles(void);
void test_posixpipes(void);
void test_posixnofs(void);
void test_posixsock(void);
void test_posixsocknonet(void);
void test_posixsockserver(void);
void test_posixsockclient(void);
void test_vfsproto(void);
void test_vfspipes(void);
void test_posixthreads(void);
void test_futex(void);           /* futex_tests.c: FUTEX_WAIT/WAKE, THREAD_SET_TLS */
int64_t futex_waiters_role(void);
void test_upcall(void);          /* upcall_tests.c: THREAD_INTERRUPT, UPCALL_SET/RETURN */
int64_t upcall_bad_stack_role(void);
void test_upcall_fault(void);    /* upcall_tests.c: fault upcalls (AION_UPCALL_FAULTS) */
int64_t upcall_fault_role(enum role role);
void test_fpu(void);             /* fpu_tests.c: x87/SSE state per thread */
int64_t fpu_role(enum role role);
/* vfs_call.c: label with w1, w2 and len bytes of data as its payload on
 * cap, through buf (the calling thread's registered IPC buffer), at most
 * 2 s; tag_extra ORed into the tag (AION_TAG_ACCEPT). The kernel's error,
 * else the answer's w0; out (if not NULL): the answer. */
int64_t utest_vfs_call(struct aion_ipc_buffer *buf, aion_handle_t cap, uint32_t label,
		       uint64_t w1, uint64_t w2, uint64_t tag_extra, const void *data,
		       unsigned len, struct aion_msg *out);

#endif /* UTEST_H */
