/*
 * Authority a unit used to lose control of (issue 16, part 2): replies
 * that pushed capabilities into their caller's table, capability
 * transfers half done, children leaked by closing their handle. Each test
 * failed on the kernel before its fix.
 */
#include "utest.h"

#define FAIL(name, ...) do { utest_fail(name, __VA_ARGS__); return; } while (0)

static struct aion_ipc_buffer pusher_buf __attribute__((aligned(4096)));

/*
 * ROLE_CAP_PUSHER: answers each call on CHILD_CAP with w0 capabilities (a
 * fresh endpoint of its own, copied); when the kernel refuses that reply it
 * answers again without any, with the refusal in w0.
 */
int64_t cap_pusher(void)
{
	int64_t ep = aion_endpoint_create();
	struct aion_msg m;

	if (ep < 0 || aion_ipc_buffer(&pusher_buf))
		return 1;
	for (;;) {
		if (aion_recv(CHILD_CAP, &m, 0))
			return 2;
		unsigned n = m.w[0] > AION_IPC_CAPS_MAX ? AION_IPC_CAPS_MAX : (unsigned)m.w[0];
		for (unsigned i = 0; i < n; i++) {
			pusher_buf.caps[i] = (aion_handle_t)ep;
			pusher_buf.cap_rights[i] = AION_RIGHTS_ALL;
		}
		struct aion_msg r = { .tag = AION_TAG(1, 0, n) };
		int64_t err = aion_reply(&r);
		if (err) {
			r = (struct aion_msg){ .tag = AION_TAG(1, 0, 0), .w = { (uint64_t)err } };
			aion_reply(&r);
		}
	}
}

/* Live slots in our own table. */
static unsigned slots_used(void)
{
	struct aion_cap_info ci;
	unsigned n = 0;
	for (unsigned i = 0; i < AION_HANDLE_SLOTS; i++)
		if (aion_cap_list(AION_HANDLE_SELF, i, &ci) >= 0)
			n++;
	return n;
}

static uint64_t used_frames(void)
{
	struct aion_unit_info ui = { 0 };
	aion_unit_info(AION_HANDLE_SELF, &ui);
	return ui.used_frames;
}

static struct aion_ipc_buffer caller_buf __attribute__((aligned(4096)));

/* One call asking for `want` capabilities, accepting `accept`: w0 and the count. */
static int64_t ask(aion_handle_t ep, unsigned want, unsigned accept, unsigned *ncaps)
{
	struct aion_msg m = { .tag = AION_TAG(1, 0, 0) | AION_TAG_ACCEPT(accept), .w = { want } };
	int64_t err = aion_call(ep, &m, 2000 * MS);
	*ncaps = err ? 0 : AION_TAG_CAPS(m.tag);
	return err ? err : (int64_t)m.w[0];
}

/*
 * A server's reply may put into its caller's table only as many
 * capabilities as the call accepted (AION_TAG_ACCEPT): more is refused to
 * the server with -AION_ERIGHTS, and the caller, still waiting, gets the
 * server's second answer with its table and quota as they were.
 */
void test_replygrant(void)
{
	aion_handle_t u, t;
	int64_t ep = aion_endpoint_create();
	int64_t err = ep < 0 ? ep : aion_ipc_buffer(&caller_buf);
	if (!err)
		err = utest_spawn_with_cap(ROLE_CAP_PUSHER, 100, (aion_handle_t)ep, AION_RIGHTS_ALL,
					   &u, &t);
	if (err)
		FAIL("replygrant", "setup=%s", aion_error_name(err));
	unsigned slots = slots_used(), n_none, n_fewer, n_ok;
	uint64_t frames = used_frames();
	int64_t none = ask((aion_handle_t)ep, AION_IPC_CAPS_MAX, 0, &n_none);
	int64_t fewer = ask((aion_handle_t)ep, 2, 1, &n_fewer);
	unsigned slots_after = slots_used();
	uint64_t frames_after = used_frames();
	int64_t ok = ask((aion_handle_t)ep, 1, 1, &n_ok);
	struct aion_cap_info ci = { 0 };
	if (!ok && n_ok == 1) {
		aion_cap_info(caller_buf.caps[0], &ci);
		aion_handle_close(caller_buf.caps[0]);
	}
	utest_reap(u, t);
	aion_handle_close((aion_handle_t)ep);
	aion_ipc_buffer(NULL);
	if (none != -AION_ERIGHTS || n_none || fewer != -AION_ERIGHTS || n_fewer ||
	    slots_after != slots || frames_after != frames || ok || n_ok != 1 ||
	    ci.type != AION_OBJ_ENDPOINT)
		FAIL("replygrant", "none=%s/%u fewer=%s/%u slots=%u->%u frames=%lu->%lu ok=%s/%u "
		     "type=%u", aion_error_name(none), n_none, aion_error_name(fewer), n_fewer,
		     slots, slots_after, (unsigned long)frames, (unsigned long)frames_after,
		     aion_error_name(ok), n_ok, ci.type);
	utest_ok("replygrant", "none=%s fewer=%s slots=%u frames=%lu accepted=%u",
		 aion_error_name(none), aion_error_name(fewer), slots_after,
		 (unsigned long)frames_after, n_ok);
}

#define FULL_VA                 0x0000000060000000ull
#define FULL_PAYLOAD            "half"
#define FULL_RECV_CLEAN         100     /* + the error: refused, nothing delivered */

static struct aion_ipc_buffer full_buf __attribute__((aligned(4096)));

/*
 * ROLE_FULL_TABLE: spends its whole quota, fills its table to one free
 * slot (a second would need a page the quota cannot give), then receives
 * on CHILD_CAP. Exits FULL_RECV_CLEAN + error when the receive was refused
 * and left its buffer and table as they were; 1: the message came in;
 * 2: part of it did (payload or a capability).
 */
int64_t full_table(void)
{
	struct aion_msg m;
	int64_t h = 0, last = 0;

	if (aion_ipc_buffer(&full_buf))
		return 3;
	for (uint64_t va = FULL_VA; !aion_anon_map(AION_HANDLE_SELF, va, 4096, AION_PROT_READ);)
		va += 4096;
	while ((h = aion_cap_copy(CHILD_CAP, AION_RIGHTS_ALL)) > 0)
		last = h;
	/* ENOMEM: the next slot needs a page the quota cannot pay for. */
	if (h != -AION_ENOMEM || last <= 0 || aion_handle_close((aion_handle_t)last))
		return 4;
	int64_t err = aion_recv(CHILD_CAP, &m, 0);
	if (!err)
		return 1;
	bool payload = memcmp(full_buf.payload, FULL_PAYLOAD, 4) == 0;
	int64_t slot = aion_cap_copy(CHILD_CAP, AION_RIGHTS_ALL);      /* still free? */
	return payload || slot <= 0 ? 2 : FULL_RECV_CLEAN - err;
}

/*
 * A transfer whose receiver cannot take a handle-table page is refused as
 * a whole: the receiver gets -AION_ENOMEM with nothing delivered (not the
 * payload, not the first capability into its last free slot), and the
 * caller, left queued, still holds the capability it moved.
 */
void test_transfer(void)
{
	aion_handle_t u, t;
	struct aion_unit_info info = { 0 };
	int64_t ep = aion_endpoint_create(), moved = aion_endpoint_create();
	int64_t copied = aion_notify_create();
	int64_t err = ep < 0 ? ep : moved < 0 ? moved : copied < 0 ? copied :
		      aion_ipc_buffer(&caller_buf);
	if (!err)
		err = utest_spawn_with_cap(ROLE_FULL_TABLE, 100, (aion_handle_t)ep,
					   AION_RIGHTS_ALL, &u, &t);
	if (err)
		FAIL("transfer", "setup=%s", aion_error_name(err));
	memcpy(caller_buf.payload, FULL_PAYLOAD, 4);
	caller_buf.caps[0] = (aion_handle_t)moved;
	caller_buf.cap_rights[0] = AION_RIGHTS_ALL | AION_IPC_CAP_MOVE;
	caller_buf.caps[1] = (aion_handle_t)copied;
	caller_buf.cap_rights[1] = AION_RIGHTS_ALL;
	struct aion_msg m = { .tag = AION_TAG(1, 4, 2) };
	int64_t call = aion_call((aion_handle_t)ep, &m, 1000 * MS);
	int64_t wait = aion_unit_wait(u, 2000 * MS, &info);
	struct aion_cap_info ci = { 0 };
	int64_t kept = aion_cap_info((aion_handle_t)moved, &ci);
	utest_reap(u, t);
	aion_handle_close((aion_handle_t)ep);
	aion_handle_close((aion_handle_t)moved);
	aion_handle_close((aion_handle_t)copied);
	aion_ipc_buffer(NULL);
	int64_t recv = info.exit_code >= FULL_RECV_CLEAN ? FULL_RECV_CLEAN - info.exit_code : 0;
	if (call != -AION_ETIMEDOUT || wait || info.state != AION_UNIT_EXITED ||
	    recv != -AION_ENOMEM || kept || ci.type != AION_OBJ_ENDPOINT)
		FAIL("transfer", "call=%s wait=%s state=%u receiver_exit=%d kept=%s",
		     aion_error_name(call), aion_error_name(wait), info.state, info.exit_code,
		     aion_error_name(kept));
	utest_ok("transfer", "call=%s recv=%s kept=%s", aion_error_name(call),
		 aion_error_name(recv), aion_error_name(kept));
}

/*
 * Closing the last handle to a child without UNIT_DESTROY destroys it:
 * here B, whose last handle outside itself is in A's table, goes with A.
 * Every frame and kernel object comes back, and the quota to utest.
 */
void test_orphan(void)
{
	struct aion_system_info before = { 0 }, mid = { 0 }, after = { 0 };
	struct aion_unit_info self0 = { 0 }, self1 = { 0 };
	aion_handle_t a, ta, b, tb;

	aion_system_info(&before);
	aion_unit_info(AION_HANDLE_SELF, &self0);
	int64_t err = utest_spawn_role(ROLE_SPIN, 10, &a, &ta);
	if (!err && (err = utest_spawn_role(ROLE_SPIN, 10, &b, &tb)))
		utest_reap(a, ta);
	if (err)
		FAIL("orphan", "spawn=%s", aion_error_name(err));
	int64_t given = aion_cap_give(a, b, AION_RIGHT_READ);
	aion_handle_close(tb);
	aion_handle_close(b);
	aion_system_info(&mid);         /* B lives: A holds it */
	aion_handle_close(ta);
	aion_handle_close(a);
	aion_system_info(&after);
	aion_unit_info(AION_HANDLE_SELF, &self1);
	if (given < 0 || mid.kernel_objects <= before.kernel_objects ||
	    after.free_frames != before.free_frames ||
	    after.kernel_objects != before.kernel_objects ||
	    self1.quota_frames != self0.quota_frames || self1.used_frames != self0.used_frames)
		FAIL("orphan", "give=%s objects=%lu/%lu/%lu frames=%lu/%lu quota=%lu/%lu used=%lu/%lu",
		     aion_error_name(given), (unsigned long)before.kernel_objects,
		     (unsigned long)mid.kernel_objects, (unsigned long)after.kernel_objects,
		     (unsigned long)before.free_frames, (unsigned long)after.free_frames,
		     (unsigned long)self0.quota_frames, (unsigned long)self1.quota_frames,
		     (unsigned long)self0.used_frames, (unsigned long)self1.used_frames);
	utest_ok("orphan", "free_frames=%lu kernel_objects=%lu held_objects=%lu quota=%lu",
		 (unsigned long)after.free_frames, (unsigned long)after.kernel_objects,
		 (unsigned long)(mid.kernel_objects - before.kernel_objects),
		 (unsigned long)self1.quota_frames);
}
