/*
 * Kernel objects are charged to the unit that asks for them (issue 16):
 * a unit that spends its quota on endpoints, notifications, threads,
 * memory objects, units, handle-table pages, mappings (pages and page
 * tables), I/O port or device memory objects gets -AION_ENOMEM, pins no
 * more than its quota, and another unit (utest) goes on creating; when it
 * is destroyed every frame and object comes back, and utest's own count
 * of used frames is what it was before the child was made.
 */
#include "common/format.h"
#include "utest.h"

#define FAIL(name, ...) do { utest_fail(name, __VA_ARGS__); return; } while (0)

#define EAT_VA                  0x0000000060000000ull
#define EAT_MAP_VA              0x0000100000000000ull   /* ROLE_EAT_MAPPINGS, 2 MiB apart */
#define EAT_DEVICE_PHYS         0xfe000000ull           /* no RAM there on QEMU's pc */
#define EAT_LEAVE               4       /* frames left: fewer than 255 small objects need */
#define EAT_MAX                 4096    /* more would be a leak: stop */
#define EAT_SLACK               3       /* the most one object takes: memory's list, page, slab */
#define EAT_CODE(n, err)        ((int64_t)(n) << 8 | (int64_t)(-(err) & 0xff))

/* One object of the eater's kind, charged to this unit: its handle or the error. */
static int64_t eat_one(enum role role)
{
	switch (role) {
	case ROLE_EAT_ENDPOINT:
		return aion_endpoint_create();
	case ROLE_EAT_NOTIFY:
		return aion_notify_create();
	case ROLE_EAT_THREAD:   /* never started: a stack is not needed */
		return aion_thread_create(AION_HANDLE_SELF, (uint64_t)role_main, AION_STACK_TOP, 0, 1);
	case ROLE_EAT_STACKS: { /* the handle closed: the thread keeps its stack, not a slot */
		int64_t t = aion_thread_create(AION_HANDLE_SELF, (uint64_t)role_main,
					       AION_STACK_TOP, 0, 1);
		return t < 0 ? t : aion_handle_close((aion_handle_t)t) ? -AION_ECAP : 1;
	}
	case ROLE_EAT_MEMORY:
		return aion_memory_create(1);
	case ROLE_EAT_UNIT:     /* a page table root and a handle table page */
		return aion_unit_create(AION_HANDLE_SELF, "eaten", 5, 2, 1);
	case ROLE_EAT_HANDLES:
		return aion_cap_copy(AION_HANDLE_SELF, AION_RIGHT_READ);
	case ROLE_EAT_MAPPINGS: {
		static uint64_t va = EAT_MAP_VA;
		int64_t err = aion_anon_map(AION_HANDLE_SELF, va, 4096, AION_PROT_READ);
		va += 2ull << 20;
		return err ? err : 1;
	}
	case ROLE_EAT_IOPORT:
		return aion_ioport_create(CHILD_CAP, 0x80, 1);
	case ROLE_EAT_DEVICE:
		return aion_device_memory(CHILD_CAP, EAT_DEVICE_PHYS, 1);
	default:
		return -AION_EINVAL;
	}
}

/*
 * ROLE_EAT_*: spends all but EAT_LEAVE frames of its quota on pages, then
 * makes objects of its kind until one fails. Exits EAT_CODE(count, error).
 */
int64_t quota_eater(enum role role)
{
	/* Handle-table pages: none left, the next page fails (the table's
	 * first page still has free slots: something is made first). */
	uint64_t va = EAT_VA, leave = role == ROLE_EAT_HANDLES ? 0 : EAT_LEAVE;
	int64_t h = 0;
	unsigned n = 0;

	while (role != ROLE_EAT_STACKS && !aion_anon_map(AION_HANDLE_SELF, va, 4096, AION_PROT_READ))
		va += 4096;
	if (role != ROLE_EAT_STACKS && (va - EAT_VA < leave * 4096 || (leave &&
	    aion_anon_unmap(AION_HANDLE_SELF, va - leave * 4096, leave * 4096))))
		return EAT_CODE(0, -AION_EINVAL);
	while (n < EAT_MAX && (h = eat_one(role)) > 0)
		n++;
	return EAT_CODE(n, h > 0 ? -AION_ERANGE : h);
}

/* platform: the eater gets utest's platform capability (CONTROL) as CHILD_CAP. */
static const struct { enum role role; const char *name; bool platform; } kinds[] = {
	{ ROLE_EAT_ENDPOINT, "endpoint", false }, { ROLE_EAT_NOTIFY, "notification", false },
	{ ROLE_EAT_THREAD, "thread", false }, { ROLE_EAT_MEMORY, "memory", false },
	{ ROLE_EAT_UNIT, "unit", false }, { ROLE_EAT_HANDLES, "handles", false },
	{ ROLE_EAT_MAPPINGS, "mappings", false }, { ROLE_EAT_IOPORT, "ioport", true },
	{ ROLE_EAT_DEVICE, "device", true },
};

/* utest's own objects while an eater sits on its exhausted quota: 0 if all made. */
static int64_t others_still_work(void)
{
	int64_t h[3] = { aion_endpoint_create(), aion_notify_create(), aion_memory_create(4) };
	int64_t err = 0;
	for (unsigned i = 0; i < 3; i++) {
		if (h[i] < 0 && !err)
			err = h[i];
		else if (h[i] > 0)
			aion_handle_close((aion_handle_t)h[i]);
	}
	return err;
}

void test_quota(void)
{
	char counts[200];
	unsigned at = 0;

	for (unsigned k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct aion_system_info before = { 0 }, after = { 0 };
		struct aion_unit_info info = { 0 }, self_before = { 0 }, self_after = { 0 };
		aion_handle_t u, t;

		aion_system_info(&before);
		aion_unit_info(AION_HANDLE_SELF, &self_before);
		int64_t err = kinds[k].platform ?
			utest_spawn_with_cap(kinds[k].role, 100, UTEST_PLATFORM, AION_RIGHT_CONTROL, &u, &t) :
			utest_spawn_role(kinds[k].role, 100, &u, &t);
		if (!err)
			err = aion_unit_wait(u, 5000 * MS, &info);
		int64_t others = err ? 0 : others_still_work();
		if (!err || err == -AION_ETIMEDOUT)
			utest_reap(u, t);
		aion_system_info(&after);
		aion_unit_info(AION_HANDLE_SELF, &self_after);
		unsigned made = (unsigned)info.exit_code >> 8;
		int64_t why = -(int64_t)(info.exit_code & 0xff);
		if (err || info.state != AION_UNIT_EXITED || made == 0 || why != -AION_ENOMEM ||
		    info.used_frames + EAT_SLACK < info.quota_frames || info.used_frames > info.quota_frames ||
		    others || after.free_frames != before.free_frames ||
		    after.kernel_objects != before.kernel_objects ||
		    self_after.used_frames != self_before.used_frames)
			FAIL("quota", "kind=%s wait=%s state=%u made=%u err=%s used=%lu/%lu others=%s "
			     "frames=%lu->%lu objects=%lu->%lu parent_used=%lu->%lu", kinds[k].name,
			     aion_error_name(err),
			     info.state, made, aion_error_name(why), (unsigned long)info.used_frames,
			     (unsigned long)info.quota_frames, aion_error_name(others),
			     (unsigned long)before.free_frames, (unsigned long)after.free_frames,
			     (unsigned long)before.kernel_objects, (unsigned long)after.kernel_objects,
			     (unsigned long)self_before.used_frames, (unsigned long)self_after.used_frames);
		at += (unsigned)fmt_snprintf(counts + at, sizeof(counts) - at, "%s%s=%u",
					     k ? "," : "", kinds[k].name, made);
	}
	utest_ok("quota", "err=AION_ENOMEM parent_back=exact made=%s", counts);
}

#define STACK_SLOTS             2048    /* the kernel's kernel stack slots (THREAD_MAX) */

static int64_t noop(uint64_t arg)
{
	return (int64_t)arg;
}

/*
 * Kernel stack slots are shared out with the quota: a unit whose quota
 * could pay for every slot's frames gets ENOSPC at its share, and utest
 * still starts a thread while it sits on them.
 */
void test_stacks(void)
{
	struct aion_system_info before = { 0 }, after = { 0 };
	struct aion_unit_info info = { 0 };
	aion_handle_t u, t;
	uint64_t stack = aion_stack_alloc(4);   /* ours: before the count */

	aion_system_info(&before);
	int64_t err = utest_spawn_role(ROLE_EAT_STACKS, 100, &u, &t);
	if (err)
		FAIL("stacks", "spawn=%s", aion_error_name(err));
	err = aion_unit_wait(u, 5000 * MS, &info);
	int64_t th = aion_thread_spawn(noop, 0, stack, 100);
	bool joined = utest_join(th);
	utest_reap(u, t);
	aion_system_info(&after);
	unsigned made = (unsigned)info.exit_code >> 8;
	int64_t why = -(int64_t)(info.exit_code & 0xff);
	/* utest itself has about half of the slots (half init's quota). */
	if (err || made == 0 || made >= STACK_SLOTS / 2 || why != -AION_ENOSPC || th < 0 ||
	    !joined || after.free_frames != before.free_frames || after.kernel_objects != before.kernel_objects)
		FAIL("stacks", "wait=%s made=%u err=%s used=%lu/%lu ours=%s frames=%lu->%lu "
		     "objects=%lu->%lu", aion_error_name(err), made, aion_error_name(why),
		     (unsigned long)info.used_frames, (unsigned long)info.quota_frames,
		     aion_error_name(th < 0 ? th : 0), (unsigned long)before.free_frames,
		     (unsigned long)after.free_frames, (unsigned long)before.kernel_objects,
		     (unsigned long)after.kernel_objects);
	utest_ok("stacks", "made=%u err=%s ours=AION_OK used=%lu quota=%lu", made,
		 aion_error_name(why), (unsigned long)info.used_frames,
		 (unsigned long)info.quota_frames);
}
