/*
 * ACPI power management on init's side. The kernel only reads the tables
 * (struct aion_acpi_power in the boot info); what to do with the hardware
 * is decided here. init keeps the PM1a control block, the one register
 * that can switch the machine off, to itself; the power-button driver
 * (space/drivers/power) gets only the PM1a event block and the SCI.
 */
#include "init.h"

/* PM1 control register bits (ACPI 6.5, section 4.8.3.2.1). */
#define PM1_SCI_EN              (1u << 0)
#define PM1_SLP_TYP_SHIFT       10
#define PM1_SLP_TYP             (7u << PM1_SLP_TYP_SHIFT)
#define PM1_SLP_EN              (1u << 13)
#define PM1_CNT_PORTS           2       /* the 16-bit register; the block may be longer */
#define ACPI_ENABLE_POLLS       200     /* 1 ms apart: firmware hands over through SMI */
#define POWEROFF_WAIT_NS        (5 * SEC)

static int64_t cnt_err = -AION_ENOENT;  /* 0 once init may use PM1a_CNT */

static const struct aion_acpi_power *acpi(void)
{
	return &bootinfo->power;
}

/* Asks the firmware to hand the fixed events to us (SCI instead of SMI). */
static int64_t acpi_mode_on(const struct aion_acpi_power *p)
{
	int64_t err = devices_enable_ports(p->smi_cmd, 1);
	if (err)
		return err;
	aion_outb(p->smi_cmd, p->acpi_enable);
	for (unsigned i = 0; i < ACPI_ENABLE_POLLS; i++) {
		if (aion_inw(p->pm1a_cnt) & PM1_SCI_EN)
			return 0;
		aion_sleep_ns(1000000);
	}
	return -AION_ETIMEDOUT;
}

void power_setup(void)
{
	const struct aion_acpi_power *p = acpi();

	if (!(p->flags & AION_ACPI_PM1)) {
		aion_printf("acpi none: no power button, no poweroff");
		return;
	}
	int64_t err = devices_enable_ports(p->pm1a_cnt, PM1_CNT_PORTS);
	bool was_on = !err && (aion_inw(p->pm1a_cnt) & PM1_SCI_EN);
	/* Without an SMI command port the machine has no legacy mode to leave. */
	if (!err && !was_on && p->smi_cmd)
		err = acpi_mode_on(p);
	cnt_err = err;
	if (err)
		aion_printf("acpi mode failed err=%s", aion_error_name(err));
	else
		aion_printf("acpi mode on%s sci_line=%u s5=%s", was_on ? " (already)" : "",
			    p->sci_line, (p->flags & AION_ACPI_S5) ? "yes" : "no");
}

bool power_button_usable(void)
{
	return cnt_err == 0;
}

void power_args(char *args, unsigned size)
{
	aion_text_add(args, size, " evt=%u evt_len=%u", acpi()->pm1a_evt, acpi()->pm1_evt_len);
}

/* The driver's table after SVC_INIT_EP: init with the power badge, the
 * PM1a event ports, the SCI. */
int64_t power_give(aion_handle_t unit)
{
	const struct aion_acpi_power *p = acpi();
	int64_t err = give_init_ep(unit, AION_RIGHT_SEND, INIT_BADGE_POWER);
	return err ? err : give_ports_irq(unit, p->pm1a_evt, p->pm1_evt_len, p->sci_line);
}

int64_t power_off(void)
{
	const struct aion_acpi_power *p = acpi();

	if (!(p->flags & AION_ACPI_S5))
		return -AION_ENOENT;
	if (cnt_err)
		return cnt_err;
	uint16_t v = aion_inw(p->pm1a_cnt) & (uint16_t)~(PM1_SLP_TYP | PM1_SLP_EN);
	v |= (uint16_t)(p->s5_slp_typ << PM1_SLP_TYP_SHIFT);
	/* The type first, then the enable bit with it: some chipsets latch
	 * the type only when it is settled before SLP_EN arrives. */
	aion_outw(p->pm1a_cnt, v);
	aion_outw(p->pm1a_cnt, v | PM1_SLP_EN);
	/* The machine goes down within microseconds; still running means it did not. */
	aion_sleep_ns(POWEROFF_WAIT_NS);
	return -AION_ETIMEDOUT;
}
