/*
 * GDT, TSS and per-CPU data of each CPU (docs/smp.md: never shared).
 *
 * Selector order is fixed by SYSCALL/SYSRET: STAR[63:48] = 0x10 makes
 * SYSRET load SS = 0x18|3 and CS = 0x20|3, so user data precedes user code.
 */
#include "arch.h"
#include "arch/cpu.h"
#include "arch/percpu.h"
#include "arch/gdt.h"
#include "unit.h"
#include "hot.h"

/*
 * The TSS with its I/O permission bitmap: a set bit denies the port to
 * ring 3. Only the running unit's ranges are clear (arch_io_switch), so
 * a unit without an I/O port capability faults on in/out.
 */
struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
	uint8_t iomap[65536 / 8 + 1];   /* + the all-ones terminator byte */
} __attribute__((packed));

#define IST_STACK_SIZE 4096

_Static_assert(__builtin_offsetof(struct percpu, kernel_rsp) == PERCPU_KERNEL_RSP, "syscall.S");
_Static_assert(__builtin_offsetof(struct percpu, user_rsp) == PERCPU_USER_RSP, "syscall.S");

/* A GDT per CPU: loading a TSS marks its descriptor busy. */
static uint64_t gdts[CPU_MAX][7];
static struct tss tsss[CPU_MAX];
static struct percpu cpus[CPU_MAX];
static uint8_t ist_stacks[CPU_MAX][3][IST_STACK_SIZE] __attribute__((aligned(16)));

static uint64_t seg_desc(uint32_t access, uint32_t flags)
{
	/* base 0, limit 0xfffff: long mode ignores both for code and data */
	return 0xffffull | ((uint64_t)access << 40) | ((uint64_t)flags << 52) |
	       (0xfull << 48);
}

static void gdt_set_tss(uint64_t *gdt, struct tss *t)
{
	uint64_t base = (uint64_t)(uintptr_t)t;
	uint64_t limit = sizeof(*t) - 1;

	gdt[GDT_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
			   (0x89ull << 40) | (((limit >> 16) & 0xf) << 48) |
			   (((base >> 24) & 0xff) << 56);
	gdt[GDT_TSS / 8 + 1] = base >> 32;
}

/*
 * Loads the GDT and the TSS, and makes the LDT null. The LDT register is
 * left by reset (and the boot loader) with base 0 and limit 0xffff: any
 * selector with TI set then names a descriptor in the first 64 KiB of the
 * running unit's own memory, so a unit could load segments it wrote, or
 * far-call through a call gate it wrote into ring 0 (hostile-ldt). With a
 * null LDT every such selector is refused with #GP.
 */
static void gdt_load(const uint64_t *gdt)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) ptr = { sizeof(gdts[0]) - 1, (uint64_t)(uintptr_t)gdt };

	__asm__ volatile(
		"lgdt %0\n\t"
		"mov %1, %%ds\n\t"
		"mov %1, %%es\n\t"
		"mov %1, %%ss\n\t"
		"pushq %2\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"ltr %w3\n\t"
		"lldt %w4"
		: : "m"(ptr), "r"((uint64_t)GDT_KDATA), "i"(GDT_KCODE),
		    "r"((uint64_t)GDT_TSS), "r"(0u)
		: "rax", "memory");
}

/* Called once on each CPU (cpu < CPU_MAX), before the IDT: faults need the IST stacks. */
void gdt_init(unsigned cpu)
{
	uint64_t *gdt = gdts[cpu];
	struct tss *tss = &tsss[cpu];
	struct percpu *p = &cpus[cpu];

	gdt[0] = 0;
	gdt[GDT_KCODE / 8] = seg_desc(0x9a, 0xa);       /* present, ring 0, code, L */
	gdt[GDT_KDATA / 8] = seg_desc(0x92, 0xc);
	gdt[GDT_UDATA / 8] = seg_desc(0xf2, 0xc);       /* ring 3 */
	gdt[GDT_UCODE / 8] = seg_desc(0xfa, 0xa);

	for (int i = 0; i < 3; i++)
		tss->ist[i] = (uint64_t)(uintptr_t)&ist_stacks[cpu][i][IST_STACK_SIZE];
	tss->iomap_base = __builtin_offsetof(struct tss, iomap);
	for (unsigned i = 0; i < sizeof(tss->iomap); i++)
		tss->iomap[i] = 0xff;   /* every port denied */
	gdt_set_tss(gdt, tss);
	gdt_load(gdt);

	p->self = p;
	p->cpu_id = cpu;
	p->tss = tss;
	wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)p);
	wrmsr(MSR_KERNEL_GS, 0);
}

struct percpu *percpu_of(unsigned cpu)
{
	return &cpus[cpu];
}

/* Where the CPU switches stacks on a trap or SYSCALL from ring 3. */
void tss_set_kernel_stack(uint64_t top)
{
	struct percpu *cpu = this_cpu();
	cpu->tss->rsp[0] = top;
	cpu->kernel_rsp = top;
}

static void io_set(uint16_t base, uint16_t count, bool allow)
{
	uint8_t *map = this_cpu()->tss->iomap;
	for (uint32_t p = base; p < (uint32_t)base + count; p++) {
		if (allow)
			map[p / 8] &= (uint8_t)~(1u << (p % 8));
		else
			map[p / 8] |= (uint8_t)(1u << (p % 8));
	}
}

/* The ranges open in each CPU's bitmap now (a copy: units may go away)
 * are percpu's io_open. */
_Static_assert(PERCPU_IO_RANGES == UNIT_IO_RANGES, "percpu.h: io_open");

/*
 * Opens exactly u's ports (none for NULL). Bounded: UNIT_IO_RANGES ranges
 * of at most IOPORT_MAX_COUNT ports each.
 */
KERNEL_HOT
void arch_io_load(const struct unit *u)
{
	struct percpu *o = this_cpu();

	for (unsigned i = 0; i < o->io_open_n; i++)
		io_set(o->io_open[i].base, o->io_open[i].count, false);
	o->io_open_n = 0;
	for (unsigned i = 0; u && i < u->nio; i++) {
		io_set(u->io[i].base, u->io[i].count, true);
		o->io_open[o->io_open_n].base = u->io[i].base;
		o->io_open[o->io_open_n].count = u->io[i].count;
		o->io_open_n++;
	}
}

KERNEL_HOT
struct sched *arch_cpu_sched(void)
{
	return &this_cpu()->sched;
}
