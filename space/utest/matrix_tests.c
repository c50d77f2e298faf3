/*
 * Tests made from the system call list itself (aion/syscall.h's USE
 * column), so that a call, handle or pointer argument added to the list is
 * tested without anyone writing a case for it:
 *   rights  every handle argument of every call, given a handle of each
 *           other type: -AION_ETYPE; lacking each right it needs:
 *           -AION_ERIGHTS; closed: -AION_ECAP; with exactly the rights the
 *           list names: none of these (the list asks for no more than the
 *           kernel needs).
 *   efault  every pointer argument of every call, given a kernel address,
 *           an unmapped address and a buffer that runs off its mapping
 *           (BUF_IN, BUF_OUT), a kernel address (ADDR), or an IPC buffer
 *           that is not mapped (MSG: payload and capabilities):
 *           -AION_EFAULT.
 * tests/boot/mutate_rights.py shows that removing a rights check from the
 * kernel makes `rights` fail.
 */
#include "common/format.h"
#include "utest.h"

#define KERNEL_ADDR     0xffffffff80100000ull
#define UNMAPPED_ADDR   0x0000600000000000ull
#define EDGE_PAGE       0x0000000030000000ull   /* mapped; the next page is not */
#define FREE_VA         0x0000000031000000ull   /* nothing mapped: for ADDR */
#define TIMEOUT_NS      1000000ull

enum use_kind { USE_NONE, USE_VAL, USE_HANDLE, USE_BUF_IN, USE_BUF_OUT, USE_ADDR, USE_MSG };

struct arg_use {
	uint8_t kind;
	uint8_t type;           /* USE_HANDLE: AION_OBJ_*, 0 any */
	uint32_t rights;        /* USE_HANDLE: what the call needs */
	uint64_t val;           /* USE_VAL: a value the call takes */
};

struct call_use {
	unsigned num;
	const char *name;
	struct arg_use arg[6];
};

/* The list's USE column, as data. */
#define AION_OBJ_ANY            0
#define AION_RIGHT_NONE         0
#define HANDLE(type, right)     { USE_HANDLE, AION_OBJ_##type, AION_RIGHT_##right, 0 }
#define BUF_IN                  { USE_BUF_IN, 0, 0, 0 }
#define BUF_OUT                 { USE_BUF_OUT, 0, 0, 0 }
#define ADDR                    { USE_ADDR, 0, 0, 0 }
#define MSG                     { USE_MSG, 0, 0, 0 }
#define VAL(v)                  { USE_VAL, 0, 0, (v) }
#define MATRIX_USE(...)         { __VA_ARGS__ }
#define MATRIX_ROW(NAME, name, num, args, use, doc) \
	{ AION_SYS_##NAME, #NAME, MATRIX_##use },
static const struct call_use calls[] = { AION_SYSCALLS(MATRIX_ROW) };
#undef MATRIX_ROW
#undef MATRIX_USE
#undef VAL
#undef MSG
#undef ADDR
#undef BUF_OUT
#undef BUF_IN
#undef HANDLE

#define NCALLS  (sizeof(calls) / sizeof(calls[0]))
#define NTYPES  (AION_OBJ_PLATFORM + 1)

struct tally {
	unsigned run, bad;
	char first[96];
};

static void expect(struct tally *t, bool ok, const char *call, unsigned arg,
		   const char *what, int64_t got)
{
	t->run++;
	if (!ok && !t->bad++)
		fmt_snprintf(t->first, sizeof(t->first), "%s.a%u/%s:%s", call, arg, what,
			     aion_error_name(got));
}

/* --- objects of every type, for the rights matrix --- */

static aion_handle_t obj[NTYPES];
static struct aion_ipc_buffer good_buf __attribute__((aligned(4096)));
static aion_handle_t client_unit, client_thread;
static uint8_t thread_stack[4096] __attribute__((aligned(16)));

static void thread_body(void)
{
	aion_thread_exit(0);
}

/* A reply handle needs a caller: a helper unit that calls ep forever. */
static int64_t make_reply(aion_handle_t ep)
{
	struct aion_msg m = { 0 };
	int64_t err = utest_spawn_with_cap(ROLE_CLIENT, 100, ep, AION_RIGHT_SEND,
					   &client_unit, &client_thread);
	if (!err)
		err = aion_recv(ep, &m, 1000 * MS);
	return err ? err : aion_reply_save();
}

static int64_t make_objects(void)
{
	int64_t h;

	obj[AION_OBJ_UNIT] = AION_HANDLE_SELF;
	obj[AION_OBJ_PLATFORM] = UTEST_PLATFORM;
	if ((h = aion_thread_create(AION_HANDLE_SELF, (uint64_t)thread_body,
				    (uint64_t)(thread_stack + sizeof(thread_stack)), 0, 1)) < 0)
		return h;
	obj[AION_OBJ_THREAD] = (aion_handle_t)h;
	if ((h = aion_endpoint_create()) < 0)
		return h;
	obj[AION_OBJ_ENDPOINT] = (aion_handle_t)h;
	if ((h = aion_notify_create()) < 0)
		return h;
	obj[AION_OBJ_NOTIFICATION] = (aion_handle_t)h;
	if ((h = aion_memory_create(1)) < 0)
		return h;
	obj[AION_OBJ_MEMORY] = (aion_handle_t)h;
	if ((h = aion_ioport_create(UTEST_PLATFORM, 0x80, 1)) < 0)
		return h;
	obj[AION_OBJ_IOPORT] = (aion_handle_t)h;
	h = -AION_EBUSY;
	for (unsigned line = 23; line > 0 && h < 0; line--)   /* a free one */
		h = aion_irq_create(UTEST_PLATFORM, line);
	if (h < 0)
		return h;
	obj[AION_OBJ_IRQ] = (aion_handle_t)h;
	if ((h = make_reply(obj[AION_OBJ_ENDPOINT])) < 0)
		return h;
	obj[AION_OBJ_REPLY] = (aion_handle_t)h;
	return 0;
}

static void drop_objects(void)
{
	struct aion_msg m = { 0 };

	aion_reply_to(obj[AION_OBJ_REPLY], &m);
	utest_reap(client_unit, client_thread);
	for (unsigned t = AION_OBJ_THREAD; t < AION_OBJ_PLATFORM; t++)
		if (obj[t])
			aion_handle_close(obj[t]);
	aion_anon_unmap(AION_HANDLE_SELF, FREE_VA, 4096);
	aion_memory_unmap(AION_HANDLE_SELF, FREE_VA);
}

/* Undoes make_objects and the edge page; true if every case passed
 * (else reports the first failure). */
static bool finish(const struct tally *t, const char *test)
{
	drop_objects();
	aion_anon_unmap(AION_HANDLE_SELF, EDGE_PAGE, 4096);
	if (t->bad)
		utest_fail(test, "cases=%u bad=%u first=%s", t->run, t->bad, t->first);
	return !t->bad;
}

/* A good value for every argument but `skip`; handles are fresh copies. */
static bool fill_args(const struct call_use *c, unsigned skip, uint64_t *v, aion_handle_t *made)
{
	for (unsigned j = 0; j < 6; j++) {
		const struct arg_use *u = &c->arg[j];
		v[j] = 0;
		made[j] = 0;
		if (j == skip)
			continue;
		switch (u->kind) {
		case USE_VAL: v[j] = u->val; break;
		case USE_BUF_IN: case USE_BUF_OUT: v[j] = EDGE_PAGE; break;
		case USE_ADDR: v[j] = FREE_VA; break;
		case USE_HANDLE: {
			int64_t h = aion_cap_copy(obj[u->type ? u->type : AION_OBJ_ENDPOINT],
						  AION_RIGHTS_ALL);
			if (h < 0)
				return false;
			v[j] = made[j] = (aion_handle_t)h;
			break;
		}
		default: break;
		}
	}
	return true;
}

static void drop_args(const aion_handle_t *made)
{
	for (unsigned j = 0; j < 6; j++)
		if (made[j])
			aion_handle_close(made[j]);
}

/* Runs call c with argument i replaced by h (a copy the call may consume). */
static int64_t try_with(const struct call_use *c, unsigned i, aion_handle_t h)
{
	uint64_t v[6];
	aion_handle_t made[6];
	int64_t r;

	if (!fill_args(c, i, v, made))
		return -AION_ENOSPC;
	v[i] = h;
	r = utest_syscall6(c->num, v);
	drop_args(made);
	/* A call that worked may have made something: undo what we can. */
	if (r > 0 && (c->num == AION_SYS_CAP_COPY || c->num == AION_SYS_CAP_MINT ||
		      c->num == AION_SYS_THREAD_CREATE || c->num == AION_SYS_UNIT_CREATE ||
		      c->num == AION_SYS_DEVICE_MEMORY || c->num == AION_SYS_IOPORT_CREATE ||
		      c->num == AION_SYS_IRQ_CREATE || c->num == AION_SYS_CAP_GIVE))
		aion_handle_close((aion_handle_t)r);
	aion_anon_unmap(AION_HANDLE_SELF, FREE_VA, 4096);
	aion_memory_unmap(AION_HANDLE_SELF, FREE_VA);
	return r;
}

static int64_t copy_of(unsigned type, uint32_t rights)
{
	return aion_cap_copy(obj[type], rights);
}

static void rights_arg(struct tally *t, const struct call_use *c, unsigned i)
{
	const struct arg_use *u = &c->arg[i];
	int64_t h, r;

	for (unsigned type = 1; type < NTYPES && u->type; type++) {
		if (type == u->type)
			continue;
		if ((h = copy_of(type, AION_RIGHTS_ALL)) < 0) {
			expect(t, false, c->name, i, "copy", h);
			continue;
		}
		r = try_with(c, i, (aion_handle_t)h);
		expect(t, r == -AION_ETYPE, c->name, i, "type", r);
		aion_handle_close((aion_handle_t)h);
	}
	for (uint32_t bit = 1; bit & AION_RIGHTS_ALL; bit <<= 1) {
		if (!(u->rights & bit))
			continue;
		if ((h = copy_of(u->type, AION_RIGHTS_ALL & ~bit)) < 0) {
			expect(t, false, c->name, i, "copy", h);
			continue;
		}
		r = try_with(c, i, (aion_handle_t)h);
		expect(t, r == -AION_ERIGHTS, c->name, i, "right", r);
		aion_handle_close((aion_handle_t)h);
	}
	/* Closed: the slot's generation moved on. */
	if ((h = copy_of(u->type ? u->type : AION_OBJ_ENDPOINT, AION_RIGHTS_ALL)) >= 0) {
		aion_handle_close((aion_handle_t)h);
		r = try_with(c, i, (aion_handle_t)h);
		expect(t, r == -AION_ECAP, c->name, i, "closed", r);
	}
	/* Exactly the listed rights are enough to get past the checks; not
	 * for UNIT_FAULT_EP, which would take our unit's from init. */
	if (u->type && c->num != AION_SYS_UNIT_FAULT_EP && (h = copy_of(u->type, u->rights)) >= 0) {
		r = try_with(c, i, (aion_handle_t)h);
		expect(t, r != -AION_ERIGHTS && r != -AION_ETYPE && r != -AION_ECAP,
		       c->name, i, "enough", r);
		aion_handle_close((aion_handle_t)h);
	}
}

void test_rights(void)
{
	struct tally t = { 0 };
	unsigned handles = 0;
	int64_t err = aion_anon_map(AION_HANDLE_SELF, EDGE_PAGE, 4096,
				    AION_PROT_READ | AION_PROT_WRITE);
	if (!err)
		err = make_objects();
	if (err) {
		utest_fail("rights", "objects: %s", aion_error_name(err));
		drop_objects();
		return;
	}
	for (unsigned k = 0; k < NCALLS; k++)
		for (unsigned i = 0; i < 6; i++)
			if (calls[k].arg[i].kind == USE_HANDLE) {
				handles++;
				rights_arg(&t, &calls[k], i);
			}
	/* The one right the list cannot state per argument: GRANT to send
	 * capabilities with CALL (tests/boot checks it by name). */
	int64_t nogrant = copy_of(AION_OBJ_ENDPOINT, AION_RIGHTS_ALL & ~AION_RIGHT_GRANT);
	struct aion_msg m = { .tag = AION_TAG(1, 0, 1) };
	good_buf.caps[0] = obj[AION_OBJ_NOTIFICATION];
	good_buf.cap_rights[0] = AION_RIGHT_SEND;
	aion_ipc_buffer(&good_buf);
	int64_t grant = nogrant < 0 ? nogrant : aion_call((aion_handle_t)nogrant, &m, TIMEOUT_NS);
	aion_ipc_buffer(NULL);
	expect(&t, grant == -AION_ERIGHTS, "CALL", 0, "grant", grant);
	if (nogrant >= 0)
		aion_handle_close((aion_handle_t)nogrant);
	/* Nor can it say that a badge needs RECV on an endpoint (CAP_MINT): a
	 * client's SEND | GRANT copy cannot name itself as another caller. */
	int64_t sendonly = copy_of(AION_OBJ_ENDPOINT, AION_RIGHT_SEND | AION_RIGHT_GRANT);
	int64_t mint = sendonly < 0 ? sendonly :
		       aion_cap_mint((aion_handle_t)sendonly, AION_RIGHT_SEND, 0x5000a);
	expect(&t, mint == -AION_ERIGHTS, "CAP_MINT", 0, "recv", mint);
	if (mint > 0)
		aion_handle_close((aion_handle_t)mint);
	if (sendonly >= 0)
		aion_handle_close((aion_handle_t)sendonly);
	if (finish(&t, "rights"))
		utest_ok("rights", "calls=%u handles=%u cases=%u grant=%s mint=%s",
			 (unsigned)NCALLS, handles, t.run, aion_error_name(grant),
			 aion_error_name(mint));
}

/* --- bad pointers --- */

/* A call waiting for our answer (from the client of make_reply's kind). */
static int64_t take_call(aion_handle_t ep)
{
	struct aion_msg m = { 0 };
	int64_t err = aion_recv(ep, &m, 100 * MS);

	if (err != -AION_ETIMEDOUT)
		return err;
	/* The client ended (a reply it could not take): a new one. */
	utest_reap(client_unit, client_thread);
	err = utest_spawn_with_cap(ROLE_CLIENT, 100, ep, AION_RIGHT_SEND,
				   &client_unit, &client_thread);
	return err ? err : aion_recv(ep, &m, 1000 * MS);
}

/*
 * MSG: the tag's payload, then its capabilities, from an IPC buffer that
 * is not mapped. CALL needs a receiver (an echo server); the replies a
 * call to answer, taken again after each case (a reply that fails through
 * our buffer leaves the call ours).
 */
static void efault_msg(struct tally *t, const struct call_use *c, unsigned i,
		       aion_handle_t echo_ep, aion_handle_t ep)
{
	static const uint64_t tags[2] = { AION_TAG(1, 16, 0), AION_TAG(1, 0, 1) };
	static const char *const what[2] = { "payload", "caps" };

	for (unsigned k = 0; k < 2; k++) {
		uint64_t v[6];
		int64_t r = 0, reply = -1;

		if (c->num != AION_SYS_CALL && (r = take_call(ep)))
			goto done;
		if (c->num == AION_SYS_REPLY_TO && (r = reply = aion_reply_save()) < 0)
			goto done;
		for (unsigned j = 0; j < 6; j++)      /* the handle is the one below */
			v[j] = c->arg[j].kind == USE_VAL ? c->arg[j].val : 0;
		if (c->arg[0].kind == USE_HANDLE)
			v[0] = c->num == AION_SYS_CALL ? echo_ep : c->num == AION_SYS_REPLY_TO ?
			       (aion_handle_t)reply : ep;
		v[i] = tags[k];
		if (c->num == AION_SYS_CALL)
			v[5] = 1000 * MS;       /* until the echo server takes it */
		good_buf.caps[0] = echo_ep;
		good_buf.cap_rights[0] = AION_RIGHT_SEND;
		aion_ipc_buffer((void *)UNMAPPED_ADDR);
		r = utest_syscall6(c->num, v);
		aion_ipc_buffer(&good_buf);
		if (reply >= 0) {       /* REPLY_TO deletes the handle once used */
			struct aion_msg m = { 0 };
			aion_reply_to((aion_handle_t)reply, &m);
			aion_handle_close((aion_handle_t)reply);
		} else if (c->num != AION_SYS_CALL) {
			struct aion_msg m = { 0 };
			aion_reply(&m);
		}
done:
		expect(t, r == -AION_EFAULT, c->name, i, what[k], r);
	}
}

static void efault_arg(struct tally *t, const struct call_use *c, unsigned i)
{
	static const uint64_t bad[3] = { KERNEL_ADDR, UNMAPPED_ADDR, EDGE_PAGE + 4096 - 8 };
	static const char *const what[3] = { "kernel", "unmapped", "edge" };
	unsigned n = c->arg[i].kind == USE_ADDR ? 1 : 3;

	if (c->num == AION_SYS_THREAD_EXIT)
		return;
	for (unsigned k = 0; k < n; k++) {
		uint64_t p = c->arg[i].kind == USE_ADDR ? bad[k] & ~0xfffull : bad[k];
		int64_t r;
		uint64_t v[6];
		aion_handle_t made[6];
		if (!fill_args(c, i, v, made)) {
			expect(t, false, c->name, i, what[k], -AION_ENOSPC);
			continue;
		}
		v[i] = p;
		r = utest_syscall6(c->num, v);
		drop_args(made);
		if (r > 0 && c->num == AION_SYS_THREAD_CREATE)
			aion_handle_close((aion_handle_t)r);
		expect(t, r == -AION_EFAULT, c->name, i, what[k], r);
	}
}

void test_efault(void)
{
	struct tally t = { 0 };
	aion_handle_t echo_unit = 0, echo_thread = 0;
	unsigned pointers = 0;
	int64_t err = aion_anon_map(AION_HANDLE_SELF, EDGE_PAGE, 4096,
				    AION_PROT_READ | AION_PROT_WRITE);
	if (!err)
		err = make_objects();
	int64_t echo_ep = err ? err : aion_endpoint_create();
	if (echo_ep >= 0)
		err = utest_spawn_with_cap(ROLE_ECHO, 100, (aion_handle_t)echo_ep,
					   AION_RIGHT_RECV, &echo_unit, &echo_thread);
	if (err || echo_ep < 0) {
		utest_fail("efault", "setup: %s", aion_error_name(err ? err : echo_ep));
		drop_objects();
		return;
	}
	aion_ipc_buffer(&good_buf);
	/* Answer make_objects' call: its client calls again, for efault_msg. */
	struct aion_msg m = { 0 };
	aion_reply_to(obj[AION_OBJ_REPLY], &m);
	for (unsigned k = 0; k < NCALLS; k++)
		for (unsigned i = 0; i < 6; i++) {
			unsigned kind = calls[k].arg[i].kind;
			if (kind == USE_BUF_IN || kind == USE_BUF_OUT || kind == USE_ADDR) {
				pointers++;
				efault_arg(&t, &calls[k], i);
			} else if (kind == USE_MSG) {
				pointers++;
				efault_msg(&t, &calls[k], i, (aion_handle_t)echo_ep,
					   obj[AION_OBJ_ENDPOINT]);
			}
		}
	aion_ipc_buffer(NULL);
	utest_reap(echo_unit, echo_thread);
	aion_handle_close((aion_handle_t)echo_ep);
	if (finish(&t, "efault"))
		utest_ok("efault", "pointers=%u cases=%u", pointers, t.run);
}
