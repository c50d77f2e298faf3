/* What helper units started by the tests do. */
#include "utest.h"

static volatile uintptr_t unmapped_addr = 0x0000500000000000ull;
static volatile int zero;

static int64_t exit_after_touching_memory(void)
{
	const uint64_t va = 0x40000000ull, pages = 64;
	if (aion_anon_map(AION_HANDLE_SELF, va, pages * 4096,
			 AION_PROT_READ | AION_PROT_WRITE))
		return 1;
	for (uint64_t i = 0; i < pages; i++)
		((volatile char *)va)[i * 4096] = (char)i;
	return ROLE_EXIT_CODE;
}

static struct aion_ipc_buffer ipc_buf __attribute__((aligned(4096)));

/* With a buffer that takes a payload and one capability in the reply
 * (matrix_tests.c's replies then reach their own buffer's checks). */
static int64_t client(void)
{
	int64_t err = aion_ipc_buffer(&ipc_buf);
	if (err)
		return -err;
	for (uint64_t i = 0;; i++) {
		struct aion_msg m = { .tag = AION_TAG(1, 0, 0) | AION_TAG_ACCEPT(1), .w = { i } };
		if ((err = aion_call(CHILD_CAP, &m, 0)))
			return -err;    /* e.g. AION_ECAP once revoked */
		if (AION_TAG_CAPS(m.tag))
			aion_handle_close(ipc_buf.caps[0]);
	}
}

/* Sends a fresh endpoint with MOVE; exits 0 if it then left our table. */
static int64_t mover(void)
{
	int64_t ep = aion_endpoint_create();
	if (ep < 0 || aion_ipc_buffer(&ipc_buf))
		return 1;
	ipc_buf.caps[0] = (aion_handle_t)ep;
	ipc_buf.cap_rights[0] = AION_RIGHTS_ALL | AION_IPC_CAP_MOVE;
	struct aion_msg m = { .tag = AION_TAG(2, 0, 1) };
	if (aion_call(CHILD_CAP, &m, 0))
		return 2;
	struct aion_cap_info ci;
	return aion_cap_info((aion_handle_t)ep, &ci) == -AION_ECAP ? 0 : 3;
}

/* Capabilities that arrive are closed at once: an echo server keeps nothing. */
static void drop_caps(const struct aion_msg *m)
{
	for (unsigned i = 0; i < AION_TAG_CAPS(m->tag); i++)
		aion_handle_close(ipc_buf.caps[i]);
}

static int64_t serve(enum role role)
{
	struct aion_msg m;
	aion_ipc_buffer(&ipc_buf);
	int64_t err = aion_recv(CHILD_CAP, &m, 0);
	if (err)
		return -err;
	if (role == ROLE_RECV_FAULT)
		*(volatile int *)unmapped_addr = 1;
	m.w[0]++;
	if (role == ROLE_SERVE_ONCE) {
		aion_reply(&m);
		for (;;)
			aion_sleep_ns(1000 * MS);
	}
	for (;;) {
		drop_caps(&m);
		m.tag = AION_TAG(AION_TAG_LABEL(m.tag), 0, 0);
		if ((err = aion_reply_recv(CHILD_CAP, &m, 0)) == 0)
			m.w[0]++;
	}
}

/* Exits with a code naming the first check that failed, else faults writing. */
static int64_t mem_reader(void)
{
	if (aion_memory_map(CHILD_CAP, AION_HANDLE_SELF, SHARED_VADDR,
			    AION_PROT_READ | AION_PROT_WRITE, 0) != -AION_ERIGHTS)
		return 2;       /* a read-only capability must not map writable */
	if (aion_memory_phys(CHILD_CAP, 0) != -AION_ERIGHTS)
		return 3;       /* nor reveal physical addresses */
	if (aion_memory_map(CHILD_CAP, AION_HANDLE_SELF, SHARED_VADDR, AION_PROT_READ, 0))
		return 4;
	if (*(volatile uint64_t *)SHARED_VADDR != SHARED_MAGIC)
		return 5;
	*(volatile uint64_t *)SHARED_VADDR = 0;         /* must fault */
	return 6;
}

/*
 * 1.0 / 0.0 with the divide-by-zero exception unmasked, in SSE and in x87.
 * Inline assembly: utest is built without SSE and x87 (no register here
 * is named as clobbered for that reason; nothing runs after the fault).
 * A CPU that raises no #XM for unmasked SSE errors (QEMU's TCG up to at
 * least 7.2 only sets the flag) lets the division complete: then the
 * role exits with ROLE_XM_NOT_RAISED if MXCSR shows the error flagged.
 */
static int64_t fault_simd(void)
{
	static const uint32_t unmask_zm = 0x1f80u & ~(1u << 9);
	static const double one = 1.0, nought = 0.0;
	uint32_t after;
	__asm__ volatile("ldmxcsr %1\n\t"
			 "movsd %2, %%xmm0\n\t"
			 "divsd %3, %%xmm0\n\t"
			 "stmxcsr %0"
			 : "=m"(after) : "m"(unmask_zm), "m"(one), "m"(nought) : "memory");
	return after & (1u << 2) ? ROLE_XM_NOT_RAISED : 1;     /* ZE */
}

static int64_t fault_x87(void)
{
	static const uint16_t fcw = 0x037fu & ~(1u << 2);       /* ZM clear */
	static const double one = 1.0, nought = 0.0;
	/* The division only records the error; the next waiting x87
	 * instruction (fwait) raises #MF, as CR0.NE asks. */
	__asm__ volatile("fninit\n\t"
			 "fldcw %0\n\t"
			 "fldl %1\n\t"
			 "fdivl %2\n\t"
			 "fwait"
			 : : "m"(fcw), "m"(one), "m"(nought) : "memory");
	return 1;
}

int64_t role_main(enum role role)
{
	switch (role) {
	case ROLE_SPIN:
		for (;;)
			__asm__ volatile("" ::: "memory");
	case ROLE_FAULT_PF:
		*(volatile int *)unmapped_addr = 1;
		return 0;
	case ROLE_FAULT_UD:
		__asm__ volatile("ud2");
		return 0;
	case ROLE_FAULT_GP:
		__asm__ volatile("hlt");
		return 0;
	case ROLE_FAULT_DE:
		return 10 / zero;
	case ROLE_FAULT_XM:
		return fault_simd();
	case ROLE_FAULT_MF:
		return fault_x87();
	case ROLE_EXIT:
		return exit_after_touching_memory();
	case ROLE_CLIENT:
		return client();
	case ROLE_MOVER:
		return mover();
	case ROLE_SERVE_ONCE:
	case ROLE_RECV_FAULT:
	case ROLE_ECHO:
		return serve(role);
	case ROLE_IO_NO_CAP:
		return aion_inb(0x3f8 + 5);
	case ROLE_IO_OTHER:
		if (aion_ioport_enable(CHILD_CAP))
			return 2;
		(void)aion_inb(0x80);   /* its own port: fine */
		return aion_inb(0x3f8 + 5) + 100;       /* not its port: #GP */
	case ROLE_MEM_READER:
		return mem_reader();
	case ROLE_FUZZ:
		return fuzz_main(false);
	case ROLE_FUZZ_SEEDED:
		return fuzz_main(true);
	case ROLE_CAP_PUSHER:
		return cap_pusher();
	case ROLE_FULL_TABLE:
		return full_table();
	case ROLE_EAT_ENDPOINT:
	case ROLE_EAT_NOTIFY:
	case ROLE_EAT_THREAD:
	case ROLE_EAT_MEMORY:
	case ROLE_EAT_UNIT:
	case ROLE_EAT_STACKS:
	case ROLE_EAT_HANDLES:
	case ROLE_EAT_MAPPINGS:
	case ROLE_EAT_IOPORT:
	case ROLE_EAT_DEVICE:
		return quota_eater(role);
	case ROLE_IO_HOLD:
	case ROLE_MEM_HOLD:
	case ROLE_IRQ_BIND:
		return revoke_holder(role);
	case ROLE_FAULT_SETTER:
		return fault_setter();
	case ROLE_STORM:
	case ROLE_STORM_REVOKE:
		return longops_storm_role(role);
	case ROLE_REVOKE_CUT:
		return longops_revoke_cut_role();
	case ROLE_TREE:
		return destroy_tree_role();
	case ROLE_FPU_YIELD:
	case ROLE_FPU_ECHO:
		return fpu_role(role);
	case ROLE_FUTEX_WAITERS:
		return futex_waiters_role();
	case ROLE_UPCALL_BAD_STACK:
		return upcall_bad_stack_role();
	case ROLE_UPCALL_FAULT_OFF:
	case ROLE_UPCALL_FAULT_MASKED:
	case ROLE_UPCALL_FAULT_STACK:
		return upcall_fault_role(role);
	case ROLE_MEM_SPIN:
		return mem_spin_role();
	case ROLE_MEM_COPIER:
		return mem_copier_role();
	case ROLE_YIELDER:
		for (unsigned i = 0; i < BENCH_ITERS + 200; i++)
			aion_yield();
		return 0;
	default:
		return hostile_role(role);
	}
}
