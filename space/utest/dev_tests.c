/* Device access through capabilities: I/O ports, shared memory, IRQs, fault notices. */
#include "utest.h"

#define FAIL(name, ...) do { utest_fail(name, __VA_ARGS__); return; } while (0)
#define COM1            0x3f8
#define COM1_LINE       4
#define UART_IER        1
#define UART_IIR        2
#define UART_MCR        4
#define UART_LSR        5

/* Ports need a capability: without one (or for other ports) the unit is ended. */
void test_ioport(void)
{
	struct aion_unit_info none, other;
	int64_t io = aion_ioport_create(UTEST_PLATFORM, COM1, 8);
	int64_t enable = io < 0 ? io : aion_ioport_enable((aion_handle_t)io);
	uint8_t lsr = enable ? 0 : aion_inb(COM1 + UART_LSR);
	int64_t post80 = aion_ioport_create(UTEST_PLATFORM, 0x80, 1);
	int64_t no_platform = aion_ioport_create(AION_HANDLE_SELF, COM1, 8);

	int64_t e1 = utest_run_to_end(ROLE_IO_NO_CAP, 0, 0, 2000 * MS, &none);
	int64_t e2 = post80 < 0 ? post80 :
		utest_run_to_end(ROLE_IO_OTHER, (aion_handle_t)post80, AION_RIGHTS_ALL, 2000 * MS,
				 &other);
	aion_handle_close((aion_handle_t)post80);
	aion_handle_close((aion_handle_t)io);
	if (enable || !(lsr & 0x20) || no_platform != -AION_ETYPE || e1 || e2 ||
	    none.state != AION_UNIT_FAULTED || none.fault_vector != 13 ||
	    other.state != AION_UNIT_FAULTED || other.fault_vector != 13)
		FAIL("ioport", "enable=%s lsr=0x%x no_platform=%s no_cap=%u/%u other_port=%u/%u",
		     aion_error_name(enable), lsr, aion_error_name(no_platform), none.state,
		     none.fault_vector, other.state, other.fault_vector);
	utest_ok("ioport", "own_lsr=0x%x no_cap_vector=%u other_port_vector=%u no_platform=%s",
		 lsr, none.fault_vector, other.fault_vector, aion_error_name(no_platform));
}

/* Memory shared read-only: the reader sees the data, cannot map it writable, faults writing. */
void test_memshare(void)
{
	struct aion_unit_info info;
	int64_t mo = aion_memory_create(1);
	int64_t err = mo < 0 ? mo :
		aion_memory_map((aion_handle_t)mo, AION_HANDLE_SELF, SHARED_VADDR,
				AION_PROT_READ | AION_PROT_WRITE, 0);
	if (err)
		FAIL("memshare", "setup err=%s", aion_error_name(err));
	*(volatile uint64_t *)SHARED_VADDR = SHARED_MAGIC;
	int64_t phys = aion_memory_phys((aion_handle_t)mo, 0);
	err = utest_run_to_end(ROLE_MEM_READER, (aion_handle_t)mo, AION_RIGHT_READ, 2000 * MS, &info);
	uint64_t still = *(volatile uint64_t *)SHARED_VADDR;
	aion_memory_unmap(AION_HANDLE_SELF, SHARED_VADDR);
	aion_handle_close((aion_handle_t)mo);
	if (err || phys <= 0 || info.state != AION_UNIT_FAULTED || info.fault_vector != 14 ||
	    info.fault_addr != SHARED_VADDR || still != SHARED_MAGIC)
		FAIL("memshare", "err=%s phys=0x%lx reader_state=%u vector=%u addr=0x%lx exit=%d data=0x%lx",
		     aion_error_name(err), (unsigned long)phys, info.state, info.fault_vector,
		     (unsigned long)info.fault_addr, info.exit_code, (unsigned long)still);
	utest_ok("memshare", "reader_vector=%u reader_addr=0x%lx data_intact=1 phys_ok=1",
		 info.fault_vector, (unsigned long)info.fault_addr);
}

/* Raises the UART's "transmitter empty" interrupt and waits for it as a signal. */
static int64_t uart_irq_once(aion_handle_t n, uint64_t *bits, uint64_t *latency)
{
	uint64_t t0 = aion_clock_ns();
	aion_outb(COM1 + UART_IER, 0x02);
	int64_t err = aion_wait(n, bits, 200 * MS);
	*latency = aion_clock_ns() - t0;
	(void)aion_inb(COM1 + UART_IIR);        /* the UART's own acknowledgement */
	aion_outb(COM1 + UART_IER, 0x00);
	return err;
}

/*
 * Message-signalled lines (aion/object.h): each has a message of its own,
 * to the local APIC's address with the line's vector as data; a GSI has
 * none; a line past the range does not exist; one owner each, as for a
 * GSI; IRQ_ACK has nothing to unmask but still wants a notification set.
 * Delivery needs a device: the NIC tests (net-ping, nic-frames) run on it.
 */
static bool msi_lines(uint64_t *msg)
{
	int64_t a = aion_irq_create(UTEST_PLATFORM, AION_IRQ_MSI_BASE + 6);
	int64_t b = aion_irq_create(UTEST_PLATFORM, AION_IRQ_MSI_BASE + 7);
	int64_t again = aion_irq_create(UTEST_PLATFORM, AION_IRQ_MSI_BASE + 7);
	int64_t past = aion_irq_create(UTEST_PLATFORM, AION_IRQ_MSI_BASE + AION_IRQ_MSI_COUNT);
	int64_t gsi = aion_irq_create(UTEST_PLATFORM, COM1_LINE);
	int64_t n = aion_notify_create();
	int64_t err = a < 0 ? a : b < 0 ? b : gsi < 0 ? gsi : n < 0 ? n : 0;
	int64_t m0 = 0, m1 = 0, gsi_msg = 0, unbound = 0, bound = 0;

	if (!err) {
		m0 = aion_irq_msi_message((aion_handle_t)a);
		m1 = aion_irq_msi_message((aion_handle_t)b);
		gsi_msg = aion_irq_msi_message((aion_handle_t)gsi);
		unbound = aion_irq_ack((aion_handle_t)a);
		err = aion_irq_set_notify((aion_handle_t)a, (aion_handle_t)n, 1);
		bound = aion_irq_ack((aion_handle_t)a);
	}
	int64_t handles[] = { a, b, gsi, n };
	for (unsigned i = 0; i < 4; i++)
		if (handles[i] > 0)
			aion_handle_close((aion_handle_t)handles[i]);
	uint32_t addr0 = AION_MSI_ADDRESS(m0);
	bool ok = !err && m0 > 0 && m1 > 0 && (addr0 & 0xfff00000u) == 0xfee00000u &&
		  AION_MSI_ADDRESS(m1) == addr0 && AION_MSI_DATA(m1) == AION_MSI_DATA(m0) + 1 &&
		  AION_MSI_DATA(m0) >= 0x30 && AION_MSI_DATA(m1) <= 0xef;
	ok = ok && gsi_msg == -AION_EINVAL && again == -AION_EBUSY && past == -AION_EINVAL &&
	     unbound == -AION_ENOENT && bound == 0;
	if (!ok)
		utest_fail("irq", "msi err=%s msg6=0x%lx msg7=0x%lx gsi=%s again=%s past=%s ack=%s,%s",
		     aion_error_name(err), (unsigned long)m0, (unsigned long)m1,
		     aion_error_name(gsi_msg), aion_error_name(again), aion_error_name(past),
		     aion_error_name(unbound), aion_error_name(bound));
	*msg = (uint64_t)m0;
	return ok;
}

/* COM1's interrupt reaches this unit as a notification, twice: IRQ_ACK re-arms it. */
void test_irq(void)
{
	uint64_t b1 = 0, b2 = 0, l1 = 0, l2 = 0, msi;
	if (!msi_lines(&msi))
		return;
	int64_t io = aion_ioport_create(UTEST_PLATFORM, COM1, 8);
	int64_t n = aion_notify_create();
	int64_t irq = aion_irq_create(UTEST_PLATFORM, COM1_LINE);
	int64_t taken = aion_irq_create(UTEST_PLATFORM, COM1_LINE);
	int64_t err = (io < 0) ? io : (n < 0) ? n : (irq < 0) ? irq :
		aion_ioport_enable((aion_handle_t)io);
	if (!err)
		err = aion_irq_set_notify((aion_handle_t)irq, (aion_handle_t)n, 0x10);
	if (err)
		FAIL("irq", "setup err=%s", aion_error_name(err));
	aion_outb(COM1 + UART_MCR, 0x0b);       /* OUT2 gates the UART's IRQ line */
	int64_t w1 = uart_irq_once((aion_handle_t)n, &b1, &l1);
	int64_t ack = aion_irq_ack((aion_handle_t)irq);
	int64_t w2 = uart_irq_once((aion_handle_t)n, &b2, &l2);
	aion_irq_ack((aion_handle_t)irq);
	aion_outb(COM1 + UART_MCR, 0x03);
	aion_handle_close((aion_handle_t)irq);
	aion_handle_close((aion_handle_t)n);
	aion_handle_close((aion_handle_t)io);
	if (w1 || w2 || ack || !(b1 & 0x10) || !(b2 & 0x10) || taken != -AION_EBUSY)
		FAIL("irq", "wait1=%s bits1=0x%lx ack=%s wait2=%s bits2=0x%lx second_owner=%s",
		     aion_error_name(w1), (unsigned long)b1, aion_error_name(ack),
		     aion_error_name(w2), (unsigned long)b2, aion_error_name(taken));
	utest_ok("irq", "irqs=2 latency1_ns=%lu latency2_ns=%lu second_owner=%s "
		 "msi_address=0x%x msi_data=0x%x", (unsigned long)l1, (unsigned long)l2,
		 aion_error_name(taken), AION_MSI_ADDRESS(msi), AION_MSI_DATA(msi));
}

/* A unit's end arrives as a notice on its fault endpoint. */
#define MANY_ENDED 24            /* more than an endpoint once buffered (16) */

/*
 * MANY_ENDED units end while nobody receives on their fault endpoint:
 * every notice waits (queued through the units, none dropped), comes in
 * the order they ended with its own badge, and then there is none.
 */
static int64_t faultep_many(unsigned *got)
{
	aion_handle_t u[MANY_ENDED] = { 0 }, t[MANY_ENDED] = { 0 };
	struct aion_unit_info info;
	struct aion_msg m;
	int64_t ep = aion_endpoint_create(), err = ep < 0 ? ep : 0;
	unsigned n = 0;

	for (; n < MANY_ENDED && !err; n++) {
		err = utest_spawn_role(ROLE_FAULT_UD, 100, &u[n], &t[n]);
		if (!err)
			err = aion_unit_fault_ep(u[n], (aion_handle_t)ep, 0x100 + n);
		if (!err)
			err = aion_unit_wait(u[n], 2000 * MS, &info);
	}
	for (unsigned i = 0; i < n && !err; i++) {
		err = aion_recv((aion_handle_t)ep, &m, 100 * MS);
		if (!err && (m.badge != 0x100 + i || AION_TAG_LABEL(m.tag) != AION_NOTICE_UNIT_ENDED ||
			     (m.w[1] & 0xff) != AION_UNIT_FAULTED || (m.w[1] >> 8) != 6))
			err = -AION_EMALFORMED;
		*got += !err;
	}
	if (!err && aion_recv((aion_handle_t)ep, &m, 20 * MS) != -AION_ETIMEDOUT)
		err = -AION_EEXIST;     /* one notice too many */
	for (unsigned i = 0; i < n; i++)
		if (u[i])
			utest_reap(u[i], t[i]);
	if (ep >= 0)
		aion_handle_close((aion_handle_t)ep);
	return err;
}

void test_faultep(void)
{
	struct aion_unit_info info;
	struct aion_msg m;
	aion_handle_t u, t;
	int64_t ep = aion_endpoint_create();
	int64_t err = utest_spawn_with_cap(ROLE_FAULT_PF, 100, (aion_handle_t)ep, 0, &u, &t);

	/* Spawned running: set the fault endpoint before it gets the CPU. */
	if (!err)
		err = aion_unit_fault_ep(u, (aion_handle_t)ep, 0xfa);
	if (err)
		FAIL("faultep", "setup err=%s", aion_error_name(err));
	err = aion_recv((aion_handle_t)ep, &m, 2000 * MS);
	aion_unit_info(u, &info);
	utest_reap(u, t);
	aion_handle_close((aion_handle_t)ep);
	if (err || m.badge != 0xfa || AION_TAG_LABEL(m.tag) != AION_NOTICE_UNIT_ENDED ||
	    m.w[0] != info.id || (m.w[1] & 0xff) != AION_UNIT_FAULTED || (m.w[1] >> 8) != 14 ||
	    m.w[2] != 0x0000500000000000ull)
		FAIL("faultep", "recv=%s badge=0x%lx label=0x%x unit=%lu/%u state=%lu vector=%lu addr=0x%lx",
		     aion_error_name(err), (unsigned long)m.badge, AION_TAG_LABEL(m.tag),
		     (unsigned long)m.w[0], info.id, (unsigned long)(m.w[1] & 0xff),
		     (unsigned long)(m.w[1] >> 8), (unsigned long)m.w[2]);
	unsigned queued = 0;
	if ((err = faultep_many(&queued)))
		FAIL("faultep", "many: %s after %u notices", aion_error_name(err), queued);
	utest_ok("faultep", "badge=0x%lx unit=%lu state=%lu vector=%lu addr=0x%lx queued=%u",
		 (unsigned long)m.badge, (unsigned long)m.w[0], (unsigned long)(m.w[1] & 0xff),
		 (unsigned long)(m.w[1] >> 8), (unsigned long)m.w[2], queued);
}
