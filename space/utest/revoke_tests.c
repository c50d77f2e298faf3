/*
 * Revoke reaches what the kernel keeps on a capability's authority
 * (issue 16): a unit's I/O port range, its mapping of a memory object, an
 * IRQ it pointed at a notification. Each lasts while the unit holds a
 * capability that allows it; revoking the copy it was given ends it.
 */
#include "utest.h"

#define FAIL(name, ...) do { utest_fail(name, __VA_ARGS__); return; } while (0)

#define POST_PORT               0x80    /* harmless to read */
#define HOLD_LINE               4       /* COM1's input: quiet while OUT2 is off */
#define OWN_VADDR               0x0000000051000000ull
#define OTHER_VADDR             0x0000000052000000ull
#define READY_BIT               1ull
#define READY_NS                (2000 * MS)

/* ROLE_*_HOLD: takes up its capability, says so on CHILD_CAP2, uses it on. */
int64_t revoke_holder(enum role role)
{
	switch (role) {
	case ROLE_IO_HOLD:
		if (aion_ioport_enable(CHILD_CAP))
			return 2;
		(void)aion_inb(POST_PORT);
		aion_signal(CHILD_CAP2, READY_BIT);
		for (;;) {              /* #GP once the range is gone */
			(void)aion_inb(POST_PORT);
			aion_sleep_ns(MS);
		}
	case ROLE_MEM_HOLD:
		if (aion_memory_map(CHILD_CAP, AION_HANDLE_SELF, SHARED_VADDR, AION_PROT_READ, 0) ||
		    *(volatile uint64_t *)SHARED_VADDR != SHARED_MAGIC)
			return 2;
		aion_signal(CHILD_CAP2, READY_BIT);
		for (;;) {              /* #PF once the mapping is gone */
			(void)*(volatile uint64_t *)SHARED_VADDR;
			aion_sleep_ns(MS);
		}
	case ROLE_IRQ_BIND:
		if (aion_irq_set_notify(CHILD_CAP, CHILD_CAP2, 2))
			return 2;
		aion_signal(CHILD_CAP2, READY_BIT);
		for (;;)
			aion_sleep_ns(1000 * MS);
	default:
		return 99;
	}
}

/* Spawns `role` given cap (mask) and a SEND copy of a fresh notification, waits for READY. */
static int64_t start_holder(enum role role, aion_handle_t cap, uint32_t mask,
			    aion_handle_t *n, aion_handle_t *u, aion_handle_t *t)
{
	int64_t nh = aion_notify_create();
	if (nh < 0)
		return nh;
	*n = (aion_handle_t)nh;
	aion_handle_t caps[2] = { cap, *n };
	uint32_t masks[2] = { mask, AION_RIGHT_SEND };
	int64_t err = utest_spawn_with_caps(role, 100, caps, masks, 2, u, t);
	uint64_t bits = 0;
	if (!err && !(err = aion_wait(*n, &bits, READY_NS)) && !(bits & READY_BIT))
		err = -AION_EMALFORMED;
	if (err) {
		aion_handle_close(*n);
		*n = 0;
	}
	return err;
}

/* IOPORT_ENABLE's range goes with the capability: the next `in` faults. */
void test_revokeio(void)
{
	struct aion_unit_info info = { 0 };
	aion_handle_t n, u, t;
	int64_t io = aion_ioport_create(UTEST_PLATFORM, POST_PORT, 1);
	int64_t err = io < 0 ? io :
		start_holder(ROLE_IO_HOLD, (aion_handle_t)io, AION_RIGHT_WRITE, &n, &u, &t);
	if (err)
		FAIL("revokeio", "setup=%s", aion_error_name(err));
	int64_t revoke = aion_cap_revoke((aion_handle_t)io);
	int64_t wait = aion_unit_wait(u, 2000 * MS, &info);
	utest_reap(u, t);
	aion_handle_close(n);
	aion_handle_close((aion_handle_t)io);
	if (revoke || wait || info.state != AION_UNIT_FAULTED || info.fault_vector != 13)
		FAIL("revokeio", "revoke=%s wait=%s state=%u vector=%u", aion_error_name(revoke),
		     aion_error_name(wait), info.state, info.fault_vector);
	utest_ok("revokeio", "state=%u vector=%u", info.state, info.fault_vector);
}

/* A mapping goes with the capability; the creator's own mapping stays. */
void test_revokemem(void)
{
	struct aion_unit_info info = { 0 };
	aion_handle_t n, u, t;
	volatile uint64_t *own = (volatile uint64_t *)OWN_VADDR;
	int64_t mo = aion_memory_create(1);
	int64_t err = mo < 0 ? mo : aion_memory_map((aion_handle_t)mo, AION_HANDLE_SELF, OWN_VADDR,
						    AION_PROT_READ | AION_PROT_WRITE, 0);
	if (!err) {
		*own = SHARED_MAGIC;
		err = start_holder(ROLE_MEM_HOLD, (aion_handle_t)mo, AION_RIGHT_READ, &n, &u, &t);
	}
	if (err)
		FAIL("revokemem", "setup=%s", aion_error_name(err));
	int64_t revoke = aion_cap_revoke((aion_handle_t)mo);
	int64_t wait = aion_unit_wait(u, 2000 * MS, &info);
	int64_t kept = *own == SHARED_MAGIC ? 0 : -AION_ENOENT;
	/* Into a unit that holds no capability to it: refused. */
	int64_t other = aion_memory_map((aion_handle_t)mo, u, OTHER_VADDR, AION_PROT_READ, 0);
	utest_reap(u, t);
	aion_handle_close(n);
	aion_memory_unmap(AION_HANDLE_SELF, OWN_VADDR);
	aion_handle_close((aion_handle_t)mo);
	if (revoke || wait || info.state != AION_UNIT_FAULTED || info.fault_vector != 14 ||
	    info.fault_addr != SHARED_VADDR || kept || other != -AION_EPERM)
		FAIL("revokemem", "revoke=%s wait=%s state=%u vector=%u addr=0x%lx own=%s other=%s",
		     aion_error_name(revoke), aion_error_name(wait), info.state, info.fault_vector,
		     (unsigned long)info.fault_addr, aion_error_name(kept), aion_error_name(other));
	utest_ok("revokemem", "state=%u vector=%u own=%s map_other=%s", info.state,
		 info.fault_vector, aion_error_name(kept), aion_error_name(other));
}

/* An IRQ stops signalling a notification the unit that bound it no longer holds. */
void test_revokeirq(void)
{
	aion_handle_t n, u, t;
	int64_t irq = aion_irq_create(UTEST_PLATFORM, HOLD_LINE);
	int64_t err = irq < 0 ? irq :
		start_holder(ROLE_IRQ_BIND, (aion_handle_t)irq, AION_RIGHT_CONTROL, &n, &u, &t);
	if (err) {
		if (irq > 0)
			aion_handle_close((aion_handle_t)irq);
		FAIL("revokeirq", "setup=%s", aion_error_name(err));
	}
	int64_t bound = aion_irq_ack((aion_handle_t)irq);       /* 0: a notification is set */
	int64_t revoke = aion_cap_revoke(n);
	int64_t after = aion_irq_ack((aion_handle_t)irq);
	utest_reap(u, t);
	aion_handle_close(n);
	aion_handle_close((aion_handle_t)irq);
	if (bound || revoke || after != -AION_ENOENT)
		FAIL("revokeirq", "ack_bound=%s revoke=%s ack_revoked=%s", aion_error_name(bound),
		     aion_error_name(revoke), aion_error_name(after));
	utest_ok("revokeirq", "ack_bound=%s ack_revoked=%s", aion_error_name(bound),
		 aion_error_name(after));
}

#define CHILD_CAP3              AION_HANDLE(3, 1)
#define CHILD_CAP4              AION_HANDLE(4, 1)
#define SETTER_BADGE            0x5e7

/* ROLE_FAULT_SETTER: units CHILD_CAP and CHILD_CAP3 report to CHILD_CAP2 and CHILD_CAP4. */
int64_t fault_setter(void)
{
	if (aion_unit_fault_ep(CHILD_CAP, CHILD_CAP2, SETTER_BADGE) ||
	    aion_unit_fault_ep(CHILD_CAP3, CHILD_CAP4, SETTER_BADGE))
		return 2;
	return 0;
}

/*
 * A fault endpoint set with a capability that is then revoked hears no
 * more: of two units a helper pointed at two endpoints, only the one whose
 * endpoint capability was not revoked reports its end.
 */
void test_revokefault(void)
{
	struct aion_unit_info info = { 0 };
	struct aion_msg m = { 0 };
	aion_handle_t t1, tt1, t2, tt2, s, ts;
	int64_t e1 = aion_endpoint_create(), e2 = aion_endpoint_create();
	int64_t err = e1 < 0 ? e1 : e2 < 0 ? e2 : utest_spawn_role(ROLE_SPIN, 10, &t1, &tt1);
	if (!err && (err = utest_spawn_role(ROLE_SPIN, 10, &t2, &tt2)))
		utest_reap(t1, tt1);
	if (!err) {
		aion_handle_t caps[4] = { t1, (aion_handle_t)e1, t2, (aion_handle_t)e2 };
		uint32_t masks[4] = { AION_RIGHT_CONTROL, AION_RIGHT_SEND,
				      AION_RIGHT_CONTROL, AION_RIGHT_SEND };
		if ((err = utest_spawn_with_caps(ROLE_FAULT_SETTER, 100, caps, masks, 4, &s, &ts)))
			utest_reap(t1, tt1), utest_reap(t2, tt2);
	}
	if (err)
		FAIL("revokefault", "setup=%s", aion_error_name(err));
	int64_t set = aion_unit_wait(s, 2000 * MS, &info);
	int set_code = info.exit_code;
	int64_t revoke = aion_cap_revoke((aion_handle_t)e1);   /* the setter's copy of e1 */
	utest_reap(t1, tt1);
	utest_reap(t2, tt2);
	int64_t heard1 = aion_recv((aion_handle_t)e1, &m, 200 * MS);
	int64_t heard2 = aion_recv((aion_handle_t)e2, &m, 2000 * MS);
	utest_reap(s, ts);
	aion_handle_close((aion_handle_t)e1);
	aion_handle_close((aion_handle_t)e2);
	if (set || set_code || revoke || heard1 != -AION_ETIMEDOUT || heard2 ||
	    AION_TAG_LABEL(m.tag) != AION_NOTICE_UNIT_ENDED || m.badge != SETTER_BADGE)
		FAIL("revokefault", "set=%s/%d revoke=%s revoked=%s kept=%s badge=0x%lx",
		     aion_error_name(set), set_code, aion_error_name(revoke),
		     aion_error_name(heard1), aion_error_name(heard2), (unsigned long)m.badge);
	utest_ok("revokefault", "revoked=%s kept=%s", aion_error_name(heard1),
		 aion_error_name(heard2));
}
