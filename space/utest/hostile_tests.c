/*
 * Hostile units (issue 16): each test is the regression test of one way a
 * unit used to halt or corrupt the kernel with a few instructions. A test
 * passes when the unit gets an error or is ended and the kernel carries
 * on; boot_units.py also fails the run on any kernel fault or halt.
 */
#include "utest.h"

#define FAIL(name, ...) do { utest_fail(name, __VA_ARGS__); return; } while (0)

#define RFLAGS_TF               (1ull << 8)
#define RFLAGS_DF               (1ull << 10)
#define RFLAGS_NT               (1ull << 14)
#define RFLAGS_AC               (1ull << 18)
#define ODD_FLAGS               (RFLAGS_NT | RFLAGS_AC | RFLAGS_DF)
#define ODD_FLAGS_NS            (200 * MS)      /* many timer ticks land in user mode */
#define ODD_FLAGS_MIN_CALLS     100

/* The page a SYSCALL at its end used to return from to 0x800000000000. */
#define BOUNDARY_PAGE           0x00007ffffffff000ull
#define LAST_USER_PAGE          (BOUNDARY_PAGE - 4096)
#define PROT_ALL                (AION_PROT_READ | AION_PROT_WRITE | AION_PROT_EXEC)

/*
 * CLOCK_NS calls with NT, AC and DF set until the clock passes `until`:
 * system call returns and timer interrupts both meet the flags. Below the
 * red zone, as the pushes would clobber it. Returns the count; *seen:
 * RFLAGS at the end, before the flags are cleared again.
 */
static uint64_t calls_with_flags(uint64_t flags, uint64_t until, uint64_t *seen)
{
	uint64_t calls = 0, f;

	__asm__ volatile("subq $128, %%rsp\n\t"
			 "pushfq\n\t"
			 "orq %[flags], (%%rsp)\n\t"
			 "popfq\n"
			 "1:\n\t"
			 "movl %[nr], %%eax\n\t"
			 "syscall\n\t"
			 "incq %[calls]\n\t"
			 "cmpq %[until], %%rax\n\t"
			 "jb 1b\n\t"
			 "pushfq\n\t"
			 "movq (%%rsp), %[f]\n\t"
			 "notq %[flags]\n\t"
			 "andq %[flags], (%%rsp)\n\t"
			 "popfq\n\t"
			 "addq $128, %%rsp"
			 : [calls] "+r"(calls), [f] "=&r"(f), [flags] "+r"(flags)
			 : [nr] "i"(AION_SYS_CLOCK_NS), [until] "r"(until)
			 : "rax", "rcx", "r11", "memory", "cc");
	*seen = f;
	return calls;
}

/* Exit 0: the calls ran with the flags set and the flags came back. */
static int64_t odd_flags(void)
{
	uint64_t seen;
	uint64_t calls = calls_with_flags(ODD_FLAGS, aion_clock_ns() + ODD_FLAGS_NS, &seen);

	aion_printf("odd flags: calls=%lu rflags=0x%lx", (unsigned long)calls,
		    (unsigned long)seen);
	if (calls < ODD_FLAGS_MIN_CALLS)
		return 2;
	return (seen & ODD_FLAGS) == ODD_FLAGS ? 0 : 3;
}

/* SYSCALL straight after setting TF: the unit must end with #DB, in ring 3. */
static int64_t trap_flag(void)
{
	__asm__ volatile("subq $128, %%rsp\n\t"
			 "pushfq\n\t"
			 "orq %[tf], (%%rsp)\n\t"
			 "popfq\n\t"
			 "syscall\n\t"
			 "nop\n\t"
			 "nop\n\t"
			 "addq $128, %%rsp"
			 : : [tf] "i"(RFLAGS_TF), "a"(AION_SYS_CLOCK_NS)
			 : "rcx", "r11", "memory", "cc");
	return 2;       /* not reached: #DB after the return */
}

/* Puts SYSCALL in the last two bytes of page va and runs it. */
__attribute__((noreturn)) static void syscall_at_end_of(uint64_t va)
{
	uint8_t *end = (uint8_t *)(va + 4096 - 2);
	end[0] = 0x0f;
	end[1] = 0x05;
	__asm__ volatile("jmp *%1" : : "a"(AION_SYS_CLOCK_NS), "r"(end) : "memory");
	__builtin_unreachable();
}

/*
 * The page below the canonical boundary cannot be mapped, nor a thread
 * start there; a SYSCALL at the end of the last page that can returns to
 * the unmapped boundary page: a #PF of the unit there, never of the kernel.
 */
static int64_t canonical(void)
{
	int64_t anon = aion_anon_map(AION_HANDLE_SELF, BOUNDARY_PAGE, 4096, PROT_ALL);
	if (anon == 0)
		syscall_at_end_of(BOUNDARY_PAGE);       /* the kernel used to halt */
	int64_t mo = aion_memory_create(1);
	int64_t map = mo < 0 ? mo :
		aion_memory_map((aion_handle_t)mo, AION_HANDLE_SELF, BOUNDARY_PAGE, PROT_ALL, 0);
	if (map == 0)
		syscall_at_end_of(BOUNDARY_PAGE);
	int64_t thread = aion_thread_create(AION_HANDLE_SELF, BOUNDARY_PAGE + 4094,
					    AION_STACK_TOP, 0, 1);
	aion_printf("canonical: anon_map=%s memory_map=%s thread_create=%s",
		    aion_error_name(anon), aion_error_name(map), aion_error_name(thread));
	if (anon != -AION_EFAULT || map != -AION_EFAULT || thread != -AION_EFAULT)
		return 2;
	if (aion_anon_map(AION_HANDLE_SELF, LAST_USER_PAGE, 4096, PROT_ALL))
		return 3;
	syscall_at_end_of(LAST_USER_PAGE);
}

#define TICK_MIN_NS             (2 * MS)
#define TICK_SPREAD_NS          (8 * MS)        /* sleeps of 2..10 ms */
#define TICKER_NS               (2000 * MS)

/*
 * Sleeps TICKER_NS in sleeps of varying length; exits with its worst
 * lateness in µs. Varying, because a fixed sleep counted from each wake
 * locks onto a periodic load: a wake held back to the end of a long call
 * (the 4 MiB ANON_MAP of test_longops) starts the next sleep there, and
 * with a load period a little longer than the sleep, every later wake
 * falls in that call again and no other point of the load is ever hit.
 */
static int64_t ticker(void)
{
	uint64_t start = aion_clock_ns(), worst = 0;
	uint32_t rnd = 0x9e3779b9u;     /* xorshift32: any fixed seed will do */

	while (aion_clock_ns() - start < TICKER_NS) {
		rnd ^= rnd << 13;
		rnd ^= rnd >> 17;
		rnd ^= rnd << 5;
		uint64_t due = aion_clock_ns() + TICK_MIN_NS + rnd % TICK_SPREAD_NS;
		aion_sleep_until(due);
		uint64_t late = aion_clock_ns() - due;
		if (late > worst)
			worst = late;
	}
	return (int64_t)(worst / 1000);
}

/*
 * A 32-bit iret with RFLAGS.VM set: long mode has no vm86, but QEMU's TCG
 * enters it from ring 3 anyway, with a real-mode CS whose low bits are 0, so
 * the kernel took the unit's next trap for its own (no swapgs) and halted.
 * `spin`: the vm86 code at 0x10000 is `jmp .` (a timer interrupt must end
 * it); else CS:IP = 0:0, unmapped (a #PF must end it). The frame lies
 * below 4 GiB: TCG pops it through a 32-bit stack pointer. IF is set: TCG
 * takes IF (and IOPL) from the frame, and with IF clear the unit would keep
 * the CPU for good, which the kernel cannot stop (docs/abi.md). Never returns.
 */
#define VM86_CODE               0x0000000000010000ull
static int64_t vm86(bool spin)
{
	uint32_t cs = 0;

	if (aion_anon_map(AION_HANDLE_SELF, VM86_CODE, 2 * 4096, PROT_ALL))
		return 2;
	if (spin) {
		*(volatile uint16_t *)VM86_CODE = 0xfeeb;       /* jmp . */
		cs = (uint32_t)(VM86_CODE >> 4);
	}
	__asm__ volatile("movq %[stack], %%rsp\n\t"
			 "movl $0, 0(%%rsp)\n\t"             /* EIP */
			 "movl %[cs], 4(%%rsp)\n\t"          /* CS */
			 "movl $0x20202, 8(%%rsp)\n\t"       /* EFLAGS: VM, IF */
			 "movl $0x1000, 12(%%rsp)\n\t"       /* ESP, then SS, ES, DS, FS, GS */
			 "movl $0, 16(%%rsp)\n\t"
			 "movl $0, 20(%%rsp)\n\t"
			 "movl $0, 24(%%rsp)\n\t"
			 "movl $0, 28(%%rsp)\n\t"
			 "movl $0, 32(%%rsp)\n\t"
			 "iretl"
			 : : [cs] "r"(cs), [stack] "r"(VM86_CODE + 2 * 4096 - 256) : "memory");
	return 3;                       /* not reached */
}

/*
 * The LDT register as reset left it (base 0, limit 0xffff) made the first
 * 64 KiB of a unit's own memory its descriptor table. The unit writes a
 * data descriptor and a 64-bit call gate to the kernel's code segment
 * there, asks `lar` whether the data selector is valid (printed), then
 * far-calls through the gate: with the bug the CPU runs ldt_payload in
 * ring 0 (`cli; hlt` forever: the node stops); fixed, the call is #GP.
 */
#define LDT_PAGE                0x0000000000001000ull   /* AION_USER_MIN */
#define LDT_DATA_SEL            ((LDT_PAGE / 8) << 3 | 4 | 3)           /* TI, RPL 3 */
#define LDT_GATE_SEL            ((LDT_PAGE / 8 + 2) << 3 | 4 | 3)
#define GDT_KERNEL_CODE         0x08
void ldt_payload(void);
__asm__(".text\n.globl ldt_payload\nldt_payload:\n\tcli\n1:\thlt\n\tjmp 1b\n");

static int64_t ldt_gate(void)
{
	if (aion_anon_map(AION_HANDLE_SELF, LDT_PAGE, 4096, AION_PROT_READ | AION_PROT_WRITE))
		return 2;
	volatile uint64_t *ldt = (volatile uint64_t *)LDT_PAGE;
	uint64_t target = (uint64_t)ldt_payload;
	ldt[0] = 0x00cff3000000ffffull;                 /* data, DPL 3, base 0 */
	ldt[2] = (target & 0xffff) | (uint64_t)GDT_KERNEL_CODE << 16 |
		 0xecull << 40 |                        /* present, DPL 3, 64-bit call gate */
		 (target >> 16 & 0xffff) << 48;
	ldt[3] = target >> 32;

	uint32_t valid = 0;
	__asm__ volatile("xorl %0, %0\n\t"
			 "larl %1, %%eax\n\t"
			 "jnz 1f\n\t"
			 "movl $1, %0\n"
			 "1:"
			 : "=&r"(valid) : "r"((uint32_t)LDT_DATA_SEL) : "rax", "cc");
	aion_printf("ldt: lar of an LDT selector in unit memory: %s", valid ? "valid" : "refused");
	struct { uint64_t offset; uint16_t sel; } __attribute__((packed)) far = { 0, LDT_GATE_SEL };
	__asm__ volatile("rex64 lcall *%0" : : "m"(far) : "memory");
	return 3;                       /* not reached either way */
}

int64_t hostile_role(enum role role)
{
	switch (role) {
	case ROLE_ODD_FLAGS:
		return odd_flags();
	case ROLE_TRAP_FLAG:
		return trap_flag();
	case ROLE_CANONICAL:
		return canonical();
	case ROLE_VM86_FAULT:
	case ROLE_VM86_SPIN:
		return vm86(role == ROLE_VM86_SPIN);
	case ROLE_TICKER:
		return ticker();
	case ROLE_LDT_GATE:
		return ldt_gate();
	default:
		return 99;
	}
}

/* A call gate in the unit's own memory: refused with #GP, the kernel goes on. */
void test_ldt(void)
{
	struct aion_unit_info info = { 0 };
	int64_t err = utest_run_to_end(ROLE_LDT_GATE, 0, 0, 5000 * MS, &info);

	if (err || info.state != AION_UNIT_FAULTED || info.fault_vector != 13)
		FAIL("ldt", "wait=%s state=%u exit=%d vector=%u", aion_error_name(err),
		     info.state, info.exit_code, info.fault_vector);
	utest_ok("ldt", "state=%u vector=%u", info.state, info.fault_vector);
}

/* NT, AC, DF and TF from popf survive neither into nor out of the kernel. */
void test_flags(void)
{
	struct aion_unit_info odd = { 0 }, trap = { 0 };
	int64_t e1 = utest_run_to_end(ROLE_ODD_FLAGS, 0, 0, 5000 * MS, &odd);
	int64_t e2 = utest_run_to_end(ROLE_TRAP_FLAG, 0, 0, 5000 * MS, &trap);

	if (e1 || e2 || odd.state != AION_UNIT_EXITED || odd.exit_code != 0 ||
	    trap.state != AION_UNIT_FAULTED || trap.fault_vector != 1)
		FAIL("flags", "odd=%s/%u/%d trap=%s/%u/vector=%u", aion_error_name(e1), odd.state,
		     odd.exit_code, aion_error_name(e2), trap.state, trap.fault_vector);
	utest_ok("flags", "odd_exit=%d trap_state=%u trap_vector=%u", odd.exit_code,
		 trap.state, trap.fault_vector);
}

void test_canonical(void)
{
	struct aion_unit_info info = { 0 };
	int64_t err = utest_run_to_end(ROLE_CANONICAL, 0, 0, 5000 * MS, &info);

	if (err || info.state != AION_UNIT_FAULTED || info.fault_vector != 14 ||
	    info.fault_addr != BOUNDARY_PAGE)
		FAIL("canonical", "wait=%s state=%u exit=%d vector=%u addr=0x%lx",
		     aion_error_name(err), info.state, info.exit_code, info.fault_vector,
		     (unsigned long)info.fault_addr);
	utest_ok("canonical", "state=%u vector=%u addr=0x%lx", info.state, info.fault_vector,
		 (unsigned long)info.fault_addr);
}

/* vm86 entered by iretd: both units are ended, the kernel carries on. */
void test_vm86(void)
{
	struct aion_unit_info f = { 0 }, s = { 0 };
	int64_t e1 = utest_run_to_end(ROLE_VM86_FAULT, 0, 0, 5000 * MS, &f);
	int64_t e2 = utest_run_to_end(ROLE_VM86_SPIN, 0, 0, 5000 * MS, &s);

	if (e1 || e2 || f.state != AION_UNIT_FAULTED || s.state != AION_UNIT_FAULTED)
		FAIL("vm86", "fault=%s/%u/%d/vector=%u spin=%s/%u/%d/vector=%u",
		     aion_error_name(e1), f.state, f.exit_code, f.fault_vector,
		     aion_error_name(e2), s.state, s.exit_code, s.fault_vector);
	utest_ok("vm86", "fault_state=%u fault_vector=%u fault_addr=0x%lx spin_state=%u "
		 "spin_vector=%u", f.state, f.fault_vector, (unsigned long)f.fault_addr,
		 s.state, s.fault_vector);
}

static struct aion_ipc_buffer replier_buf __attribute__((aligned(4096)));
static struct aion_ipc_buffer caller_buf __attribute__((aligned(4096)));
static volatile int64_t self_saved, self_reply;

/* Saves the reply and sends it with the reply capability itself moved in it. */
static int64_t self_replier(uint64_t ep)
{
	struct aion_msg m;

	aion_ipc_buffer(&replier_buf);
	if (aion_recv((aion_handle_t)ep, &m, 0))
		return 1;
	int64_t rp = aion_reply_save();
	self_saved = rp;
	if (rp < 0)
		return 2;
	replier_buf.caps[0] = (aion_handle_t)rp;
	replier_buf.cap_rights[0] = AION_RIGHTS_ALL | AION_IPC_CAP_MOVE;
	struct aion_msg a = { .tag = AION_TAG(5, 0, 1), .w = { 77, 0, 0 } };
	self_reply = aion_reply_to((aion_handle_t)rp, &a);
	return 0;
}

/* REPLY_TO moving its own reply capability: the caller gets it, used up. */
void test_replyself(void)
{
	struct aion_cap_info ci = { 0 };
	int64_t ep = aion_endpoint_create();
	self_saved = self_reply = 1;
	aion_ipc_buffer(&caller_buf);
	int64_t s = aion_thread_spawn(self_replier, (uint64_t)ep, aion_stack_alloc(4), 140);
	struct aion_msg m = { .tag = AION_TAG(1, 0, 0) | AION_TAG_ACCEPT(1) };
	int64_t err = aion_call((aion_handle_t)ep, &m, 2000 * MS);
	unsigned ncaps = err ? 0 : AION_TAG_CAPS(m.tag);
	aion_handle_t got = caller_buf.caps[0];
	int64_t info = ncaps ? aion_cap_info(got, &ci) : -AION_ENOENT;
	int64_t again = ncaps ? aion_reply_to(got, &m) : -AION_ENOENT;
	bool joined = utest_join(s);
	int64_t left = aion_cap_info((aion_handle_t)self_saved, &(struct aion_cap_info){ 0 });

	if (ncaps)
		aion_handle_close(got);
	aion_handle_close((aion_handle_t)ep);
	aion_ipc_buffer(NULL);
	if (err || m.w[0] != 77 || ncaps != 1 || info || ci.type != AION_OBJ_REPLY ||
	    again != -AION_EDEAD || !joined || self_reply || left != -AION_ECAP)
		FAIL("replyself", "call=%s w0=%lu ncaps=%u info=%s type=%u again=%s joined=%d "
		     "reply_to=%s left=%s", aion_error_name(err), (unsigned long)m.w[0], ncaps,
		     aion_error_name(info), ci.type, aion_error_name(again), joined,
		     aion_error_name(self_reply), aion_error_name(left));
	utest_ok("replyself", "reply_to=%s got_type=%u again=%s replier_left=%s",
		 aion_error_name(self_reply), ci.type, aion_error_name(again),
		 aion_error_name(left));
}

/* No RAM and no device at 512 GiB: nothing to touch, and not in the direct map. */
#define NOWHERE_PHYS            0x0000008000000000ull
#define DEV_VADDR               0x0000000058000000ull
#define TOP_PAGE                0xfffffffffffff000ull

/*
 * DEVICE_MEMORY ranges that wrap past 2^64 onto physical 0 (the kernel is
 * at 1 MiB), or lie beyond the CPU's physical addresses, are refused.
 */
void test_devwrap(void)
{
	int64_t wrap = aion_device_memory(UTEST_PLATFORM, TOP_PAGE, 2);
	int64_t kernel = aion_device_memory(UTEST_PLATFORM, TOP_PAGE, 512);
	int64_t beyond = aion_device_memory(UTEST_PLATFORM, 1ull << 52, 1);
	int64_t ram = aion_device_memory(UTEST_PLATFORM, 0x100000, 1);
	int64_t nowhere = aion_device_memory(UTEST_PLATFORM, NOWHERE_PHYS, 1);
	int64_t mapped = kernel < 0 ? kernel :
		aion_memory_map((aion_handle_t)kernel, AION_HANDLE_SELF, DEV_VADDR, AION_PROT_READ, 0);

	if (mapped == 0)
		aion_memory_unmap(AION_HANDLE_SELF, DEV_VADDR);
	for (int64_t h, i = 0; i < 5; i++)
		if ((h = (int64_t[]){ wrap, kernel, beyond, ram, nowhere }[i]) > 0)
			aion_handle_close((aion_handle_t)h);
	if (wrap != -AION_EINVAL || kernel != -AION_EINVAL || beyond != -AION_EINVAL ||
	    ram != -AION_EPERM || nowhere <= 0)
		FAIL("devwrap", "wrap=%s kernel=%s kernel_mapped=%s beyond=%s ram=%s nowhere=%s",
		     aion_error_name(wrap), aion_error_name(kernel), aion_error_name(mapped),
		     aion_error_name(beyond), aion_error_name(ram), aion_error_name(nowhere));
	utest_ok("devwrap", "wrap=%s kernel=%s beyond=%s ram=%s nowhere=AION_OK",
		 aion_error_name(wrap), aion_error_name(kernel), aion_error_name(beyond),
		 aion_error_name(ram));
}

/* Device memory as a system call buffer: -AION_EFAULT, in both directions. */
void test_devcopy(void)
{
	struct aion_unit_info ui;
	int64_t mo = aion_device_memory(UTEST_PLATFORM, NOWHERE_PHYS, 1);
	int64_t err = mo < 0 ? mo :
		aion_memory_map((aion_handle_t)mo, AION_HANDLE_SELF, DEV_VADDR,
				AION_PROT_READ | AION_PROT_WRITE, 0);
	if (err)
		FAIL("devcopy", "setup err=%s", aion_error_name(err));
	void *dev = (void *)DEV_VADDR;
	int64_t got[] = {
		aion_debug_log(dev, 16),                        /* from the unit */
		aion_unit_create(AION_HANDLE_SELF, dev, 8, 1, 1),
		aion_mem_write(AION_HANDLE_SELF, (uint64_t)&ui, dev, 8),
		aion_system_info(dev),                          /* to the unit */
		aion_unit_info(AION_HANDLE_SELF, dev),
		aion_cap_info(AION_HANDLE_SELF, dev),
	};
	unsigned n = sizeof(got) / sizeof(got[0]), efault = 0;
	int64_t first_bad = 0;
	for (unsigned i = 0; i < n; i++) {
		if (got[i] == -AION_EFAULT)
			efault++;
		else if (!first_bad)
			first_bad = got[i] ? got[i] : 1;
	}
	aion_memory_unmap(AION_HANDLE_SELF, DEV_VADDR);
	aion_handle_close((aion_handle_t)mo);
	if (efault != n)
		FAIL("devcopy", "efault=%u/%u first_other=%s", efault, n,
		     aion_error_name(first_bad));
	utest_ok("devcopy", "efault=%u/%u", efault, n);
}

#define FLOOD_MAX_NS            (20000 * MS)    /* gives up on a ticker starved this long */

/*
 * A flood of DEBUG_LOG lines while the host has stopped reading the console
 * (boot_units.py holds its socket unread) must not keep a higher-priority
 * unit from its timer: the ticker's worst lateness is the longest call.
 */
void test_logflood(void)
{
	char line[AION_LOG_MAX];
	struct aion_unit_info info = { 0 };
	aion_handle_t u, t;
	uint64_t lines = 0, start = aion_clock_ns();

	for (unsigned i = 0; i < sizeof(line); i++)
		line[i] = (char)('a' + i % 26);
	int64_t err = utest_spawn_role(ROLE_TICKER, 180, &u, &t);
	if (err)
		FAIL("logflood", "spawn=%s", aion_error_name(err));
	while (aion_clock_ns() - start < FLOOD_MAX_NS) {
		if (!aion_unit_info(u, &info) && info.state != AION_UNIT_RUNNING)
			break;
		aion_debug_log(line, sizeof(line));
		lines++;
	}
	uint64_t flood_ns = aion_clock_ns() - start;
	err = aion_unit_wait(u, 2000 * MS, &info);
	utest_reap(u, t);
	if (err || info.state != AION_UNIT_EXITED)
		FAIL("logflood", "ticker wait=%s state=%u after lines=%lu flood_ns=%lu",
		     aion_error_name(err), info.state, (unsigned long)lines,
		     (unsigned long)flood_ns);
	utest_ok("logflood", "lines=%lu flood_ns=%lu ticker_worst_late_us=%d", (unsigned long)lines,
		 (unsigned long)flood_ns, info.exit_code);
}
