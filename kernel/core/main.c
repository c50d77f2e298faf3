/*
 * kmain: the boot CPU's path from the boot stub to the idle loop. One
 * straight sequence; each step logs one line so the boot tests and the
 * cluster scripts can follow it.
 */
#include <stdint.h>
#include "aion/bootinfo.h"
#include "aion/error.h"
#include "arch.h"
#include "common/cmdline.h"
#include "init_unit.h"
#include "kobj.h"
#include "ksyms.h"
#include "syscalls.h"
#include "common/string.h"
#include "layout.h"
#include "log.h"
#include "memory.h"
#include "multiboot2.h"
#include "sched.h"
#include "thread.h"

#define MBI_MAX_BYTES   (64u << 10)     /* sanity bound on GRUB's total_size */
#define TIMER_PROBE_NS  1000000ull

static struct mb2_info boot_info;
static struct aion_acpi_power acpi_power;
static unsigned boot_node;
uint64_t realtime_boot_ns;
/* The boot CPU's context becomes its idle thread, on the boot stack. */
static struct thread idle_thread;

static __attribute__((noreturn)) void boot_fail(const char *step, int err)
{
	klog("boot failed step=%s err=%s", step, aion_error_name(err));
	arch_halt();
}

static void apply_cmdline(const char *cmdline)
{
	char val[16];
	unsigned node = 0;

	if (cmdline_get(cmdline, "aion.node", val, sizeof(val)))
		for (const char *p = val; *p >= '0' && *p <= '9' && node < 100000; p++)
			node = node * 10 + (unsigned)(*p - '0');
	log_set_node(node);
	boot_node = node;
	/* Seconds since 1970; cmdline_decimal saturates near 2^60, so cap it
	 * where ns still fit 64 bits (year 2554). */
	if (cmdline_get(cmdline, "aion.clock", val, sizeof(val))) {
		unsigned long long s = cmdline_decimal(val);
		realtime_boot_ns = s < 18000000000ull ? s * 1000000000ull : 0;
	}
}

static void log_boot_info(const struct mb2_info *bi)
{
	klog("boot loader=\"%s\" cmdline=\"%s\"", bi->loader, bi->cmdline);
	for (unsigned i = 0; i < bi->nmem; i++)
		klog("mem range base=0x%lx len=0x%lx type=%s",
		     (unsigned long)bi->mem[i].base, (unsigned long)bi->mem[i].len,
		     mb2_mem_type_name(bi->mem[i].type));
	for (unsigned i = 0; i < bi->nmod; i++)
		klog("module name=%s start=0x%x end=0x%x", bi->mod[i].name,
		     bi->mod[i].start, bi->mod[i].end);
	if (bi->rsdp_len)
		klog("acpi rsdp_bytes=%u", bi->rsdp_len);
}

static void find_ksyms(const struct mb2_info *bi)
{
	for (unsigned i = 0; i < bi->nmod; i++)
		if (strcmp(bi->mod[i].name, "ksyms") == 0)
			ksyms_set(phys_to_virt(bi->mod[i].start),
				  bi->mod[i].end - bi->mod[i].start);
}

/* What init needs for the power button and soft-off; one line either way. */
static void find_acpi_power(void)
{
	const struct aion_acpi_power *p = &acpi_power;
	int err = arch_acpi_power(boot_info.rsdp, boot_info.rsdp_len, &acpi_power);

	if (!(p->flags & AION_ACPI_PM1)) {
		klog("acpi power unavailable err=%s", aion_error_name(err));
		return;
	}
	klog("acpi power pm1a_evt=0x%x/%u pm1a_cnt=0x%x/%u sci_line=%u smi_cmd=0x%x "
	     "acpi_enable=0x%x s5_slp_typ=%d err=%s", p->pm1a_evt, p->pm1_evt_len, p->pm1a_cnt,
	     p->pm1_cnt_len, p->sci_line, p->smi_cmd, p->acpi_enable,
	     (p->flags & AION_ACPI_S5) ? (int)p->s5_slp_typ : -1, aion_error_name(err));
}

/* Proves the one-shot timer interrupt reaches us and the CPU halts meanwhile. */
static void timer_probe(void)
{
	uint64_t deadline = arch_clock_ns() + TIMER_PROBE_NS;
	unsigned halts = 0;

	arch_timer_arm(deadline, true);
	while (arch_clock_ns() < deadline && halts < 1000) {
		arch_idle();
		halts++;
	}
	uint64_t late = arch_clock_ns() - deadline;
	klog("timer: irq ok late_ns=%lu halts=%u", (unsigned long)late, halts);
}

static void run_selftest(const char *cmdline)
{
	char which[32];

	if (!cmdline_get(cmdline, "aion.selftest", which, sizeof(which)))
		return;
	klog("selftest %s", which);
	if (strcmp(which, "pagefault") == 0)
		arch_selftest_page_fault();
	else if (strcmp(which, "ud") == 0)
		arch_selftest_invalid_opcode();
	else
		klog("selftest unknown name=%s", which);
}

void kmain(uint32_t mbi_phys)
{
	arch_console_init();
	arch_cpu_init();

	const void *mbi = phys_to_virt(mbi_phys);
	uint32_t total;
	memcpy(&total, mbi, sizeof(total));
	int err = mb2_parse(mbi, total < MBI_MAX_BYTES ? total : MBI_MAX_BYTES,
			    &boot_info);
	if (err)
		boot_fail("bootinfo", err);
	apply_cmdline(boot_info.cmdline);
	log_boot_info(&boot_info);

	if ((err = memory_init(&boot_info, mbi_phys, total)))
		boot_fail("memory", err);
	if ((err = arch_paging_init(boot_info.mem, boot_info.nmem)))
		boot_fail("paging", err);
	find_ksyms(&boot_info);
	kobj_caches_init();
	if ((err = thread_init()))
		boot_fail("threads", err);
	klog("mem usable_kib=%lu top_kib=%lu free_frames=%lu",
	     (unsigned long)(boot_info.usable_bytes >> 10),
	     (unsigned long)(boot_info.top_usable >> 10),
	     (unsigned long)memory_free_frames());

	if ((err = arch_timer_init()))
		boot_fail("timer", err);
	timer_probe();
	if ((err = arch_irq_init(boot_info.rsdp, boot_info.rsdp_len)))
		klog("irq unavailable err=%s", aion_error_name(err));
	else
		find_acpi_power();

	idle_thread.kstack_top = (uint64_t)(uintptr_t)arch_boot_stack_top;
	sched_init(&idle_thread);
	arch_smp_start();
	if ((err = init_start(&boot_info, boot_node, &acpi_power)))
		boot_fail("init", err);
	klog("ready");

	run_selftest(boot_info.cmdline);
	sched_idle_loop();
}
