/*
 * power: the ACPI power button. When the button is pressed (QEMU's
 * `system_powerdown`, virsh's `shutdown`), the PM1a status register shows
 * PWRBTN_STS and the SCI fires; this driver clears the event and asks init
 * for an orderly shutdown. It holds only the PM1a event block and the SCI:
 * the control block, which can switch the machine off, stays with init,
 * and its init capability (power badge) allows the shutdown call only.
 * init has put the machine in ACPI mode before starting it (power.c).
 *
 * Capabilities: SVC_INIT_EP (1,1), init with the power badge (2,1), the
 * PM1a event ports (3,1), the SCI (4,1). Args: evt=PORT evt_len=N.
 */
#include "aion/initproto.h"
#include "libaion/lib.h"
#include "common/cmdline.h"
#include "common/time.h"

#define INIT_POWER      AION_HANDLE(2, 1)
#define EVT_PORTS       AION_HANDLE(3, 1)
#define SCI             AION_HANDLE(4, 1)
/* PM1 status and enable registers (ACPI 6.5, section 4.8.3.1). */
#define PM1_PWRBTN      (1u << 8)
#define UNEXPLAINED_PAUSE_NS (100 * MS)

static int64_t fail(const char *what, int64_t err)
{
	aion_printf("setup failed %s err=%s", what, aion_error_name(err));
	return 1;
}

static void ask_shutdown(void)
{
	struct aion_msg m = { .tag = AION_TAG(INIT_ADMIN_SHUTDOWN, 0, 0) };
	int64_t err = aion_call(INIT_POWER, &m, 0);
	if (!err)
		err = (int64_t)m.w[0];
	if (err == -AION_EBUSY)
		aion_printf("shutdown already under way");
	else if (err)
		aion_printf("shutdown refused err=%s", aion_error_name(err));
}

/* One SCI: clear what the status register shows (bits are write-1-to-clear)
 * before unmasking the level-triggered line, then act on the button. */
static void handle_sci(uint16_t sts_port)
{
	static unsigned unexplained;
	uint16_t sts = aion_inw(sts_port);

	aion_outw(sts_port, sts);
	if (!(sts & PM1_PWRBTN)) {
		/* Not a PM1 event (a general-purpose event nobody enabled?). A
		 * line that stays asserted then costs a little CPU, not all. */
		if (unexplained++ % 100 == 0)
			aion_printf("sci without power button sts=0x%x count=%u", sts, unexplained);
		aion_sleep_ns(UNEXPLAINED_PAUSE_NS);
	}
	int64_t err = aion_irq_ack(SCI);
	if (err)
		aion_printf("irq ack failed err=%s", aion_error_name(err));
	if (sts & PM1_PWRBTN) {
		aion_printf("button pressed");
		ask_shutdown();
	}
}

int64_t aion_main(uint64_t arg)
{
	const struct aion_startup *st = (const struct aion_startup *)arg;
	char v[16];
	uint64_t bits;

	unsigned long long evt = cmdline_get(st->args, "evt", v, sizeof(v)) ? cmdline_decimal(v) : 0;
	unsigned long long len = cmdline_get(st->args, "evt_len", v, sizeof(v)) ? cmdline_decimal(v) : 0;
	if (!evt || len < 4 || evt + len > 0x10000)
		return fail("args (want evt=PORT evt_len=N)", -AION_EINVAL);
	uint16_t sts_port = (uint16_t)evt, en_port = (uint16_t)(evt + len / 2);
	int64_t n = aion_notify_create();
	int64_t err = n < 0 ? n : aion_ioport_enable(EVT_PORTS);
	if (err)
		return fail("ports", err);
	aion_outw(sts_port, aion_inw(sts_port));        /* events from before we came */
	aion_outw(en_port, PM1_PWRBTN);                 /* the only event we handle */
	if ((err = aion_irq_set_notify(SCI, (aion_handle_t)n, 1)))
		return fail("sci", err);
	aion_printf("ready evt=0x%x", sts_port);
	while (!(err = aion_wait((aion_handle_t)n, &bits, 0)))
		handle_sci(sts_port);
	aion_printf("wait failed err=%s", aion_error_name(err));
	return 1;
}
