/* Memory safety of the system call boundary and of unit lifetimes. */
#include "libaion/malloc.h"
#include "common/format.h"
#include "utest.h"

/*
 * Whether the CPU raised #XM: a CPU that does not (QEMU's TCG, roles.c)
 * lets ROLE_FAULT_XM exit with ROLE_XM_NOT_RAISED instead; the boot test
 * then wants no #XM line. Anything else is a failure.
 */
static bool xm_not_raised(enum role role, const struct aion_unit_info *info)
{
	return role == ROLE_FAULT_XM && info->state == AION_UNIT_EXITED &&
	       info->exit_code == ROLE_XM_NOT_RAISED;
}

/* Helpers that fault are ended with the right vector; the system goes on. */
void test_fault(void)
{
	static const struct { enum role role; uint32_t vector; } cases[] = {
		{ ROLE_FAULT_PF, 14 }, { ROLE_FAULT_UD, 6 },
		{ ROLE_FAULT_GP, 13 }, { ROLE_FAULT_DE, 0 },
		{ ROLE_FAULT_MF, 16 }, { ROLE_FAULT_XM, 19 },
	};
	struct aion_unit_info info;
	aion_handle_t u, t;
	unsigned faulted = 0;
	const char *xm = "raised";

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t err = utest_spawn_role(cases[i].role, 100, &u, &t);
		if (!err)
			err = aion_unit_wait(u, 2000 * MS, &info);
		if (!err)
			utest_reap(u, t);
		if (!err && xm_not_raised(cases[i].role, &info)) {
			xm = "not_raised_by_cpu";
			continue;
		}
		if (err || info.state != AION_UNIT_FAULTED ||
		    info.fault_vector != cases[i].vector) {
			utest_fail("fault", "role=%u err=%s state=%u vector=%u code=%d",
				   cases[i].role, aion_error_name(err), info.state,
				   info.fault_vector, info.exit_code);
			return;
		}
		faulted++;
	}
	/* After these faults, a well-behaved unit still runs to its end. */
	int64_t err = utest_spawn_role(ROLE_EXIT, 100, &u, &t);
	if (!err)
		err = aion_unit_wait(u, 2000 * MS, &info);
	if (!err)
		utest_reap(u, t);
	if (err || info.state != AION_UNIT_EXITED || info.exit_code != ROLE_EXIT_CODE)
		utest_fail("fault", "after faults: err=%s state=%u code=%d",
			   aion_error_name(err), info.state, info.exit_code);
	else
		utest_ok("fault", "faulted=%u xm=%s then_exit_code=%d", faulted, xm,
			 info.exit_code);
}

static int64_t destroy_cycle(enum role role, struct aion_system_info *after)
{
	struct aion_unit_info info;
	aion_handle_t u, t;

	int64_t err = utest_spawn_role(role, 5, &u, &t);
	if (err)
		return err;
	if (role == ROLE_EXIT)
		err = aion_unit_wait(u, 2000 * MS, &info);
	else
		aion_sleep_ns(20 * MS); /* let it spin, then destroy it running */
	utest_reap(u, t);
	aion_system_info(after);
	return err;
}

/* Destroying a unit (exited or still running) gives back every frame and object. */
void test_destroy(void)
{
	struct aion_system_info before, after_exit, after_spin;

	aion_system_info(&before);
	int64_t e1 = destroy_cycle(ROLE_EXIT, &after_exit);
	int64_t e2 = destroy_cycle(ROLE_SPIN, &after_spin);
	if (e1 || e2 || after_exit.free_frames != before.free_frames ||
	    after_spin.free_frames != before.free_frames ||
	    after_exit.kernel_objects != before.kernel_objects ||
	    after_spin.kernel_objects != before.kernel_objects)
		utest_fail("destroy", "err=%s/%s frames=%lu/%lu/%lu objects=%lu/%lu/%lu",
			   aion_error_name(e1), aion_error_name(e2),
			   (unsigned long)before.free_frames,
			   (unsigned long)after_exit.free_frames,
			   (unsigned long)after_spin.free_frames,
			   (unsigned long)before.kernel_objects,
			   (unsigned long)after_exit.kernel_objects,
			   (unsigned long)after_spin.kernel_objects);
	else
		utest_ok("destroy", "free_frames=%lu kernel_objects=%lu",
			 (unsigned long)before.free_frames,
			 (unsigned long)before.kernel_objects);
}

static void malloc_round(void **p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = aion_malloc(i % 10 == 9 ? 100000 : 16u << (i % 8));
}

/*
 * aion_malloc gives memory back: after freeing, the unit holds exactly the
 * frames it held before (a first round leaves the page tables of the heap
 * region in place; they are kept, by design, and counted before).
 */
void test_malloc(void)
{
	static void *p[300];
	struct aion_unit_info before, during, after;

	malloc_round(p, 300);
	for (unsigned i = 0; i < 300; i++)
		aion_free(p[i]);
	aion_unit_info(AION_HANDLE_SELF, &before);
	malloc_round(p, 300);
	bool all = true;
	for (unsigned i = 0; i < 300; i++)
		all &= p[i] != NULL;
	aion_unit_info(AION_HANDLE_SELF, &during);
	for (unsigned i = 0; i < 300; i++)
		aion_free(p[i]);
	aion_unit_info(AION_HANDLE_SELF, &after);
	if (!all || during.used_frames <= before.used_frames + 100 ||
	    after.used_frames != before.used_frames || malloc_pages_held() != 0)
		utest_fail("malloc", "all=%d frames=%lu/%lu/%lu held=%lu", all,
			   (unsigned long)before.used_frames, (unsigned long)during.used_frames,
			   (unsigned long)after.used_frames, (unsigned long)malloc_pages_held());
	else
		utest_ok("malloc", "frames_before=%lu during=%lu after=%lu",
			 (unsigned long)before.used_frames, (unsigned long)during.used_frames,
			 (unsigned long)after.used_frames);
}
