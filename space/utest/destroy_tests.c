/*
 * Destroying a big tree of units is preemptible and restartable (issue
 * 16): UNIT_DESTROY, and HANDLE_CLOSE of the tree's last outside handle
 * (the orphan goes at the end of the close), stop at a preemption point
 * when an interrupt is pending and go on when the caller's `syscall` runs
 * again. Before each such call a thread of ours that outranks this one
 * goes to sleep for 40-240 us, so its timer interrupt comes in the middle
 * of the call; each way of ending a tree is tried until one of its calls
 * was cut (restarts counted around that call alone), at most
 * TREE_ATTEMPTS times. Each call must return 0, the sleeper must wake on
 * time, and every frame and kernel object must come back.
 */
#include "utest.h"

#define FAIL(...) do { utest_fail("destroycut", __VA_ARGS__); goto out; } while (0)

#define TREE_CHILDREN   3
#define TREE_MAP_VADDR  0x0000000060000000ull
#define TREE_MAP_LEN    (3ull << 20)    /* 768 pages in each unit of the tree */
#define TREE_CHILD_QUOTA 800
#define TREE_ATTEMPTS   12
#define CUTTER_PRIO     170     /* above utest's 150 */
#define CUT_US          40

static uint8_t cutter_stack[4096] __attribute__((aligned(16)));
static volatile uint64_t cutter_ns, cutter_late_worst;

/* Sleeps cutter_ns: its wake-up is the interrupt that cuts the call. */
static void cutter(void)
{
	uint64_t due = aion_clock_ns() + cutter_ns;

	aion_sleep_until(due);
	uint64_t late = aion_clock_ns() - due;
	if (late > cutter_late_worst)
		cutter_late_worst = late;
	aion_thread_exit(0);
}

/* ROLE_TREE: fills itself and TREE_CHILDREN children with pages, exits 0. */
int64_t destroy_tree_role(void)
{
	for (unsigned i = 0; i < TREE_CHILDREN; i++) {
		int64_t c = aion_unit_create(AION_HANDLE_SELF, "leaf", 4, TREE_CHILD_QUOTA, 0);
		if (c < 0)
			return 10 + i;
		if (aion_anon_map((aion_handle_t)c, TREE_MAP_VADDR, TREE_MAP_LEN, AION_PROT_READ))
			return 20 + i;
	}
	if (aion_anon_map(AION_HANDLE_SELF, TREE_MAP_VADDR, TREE_MAP_LEN, AION_PROT_READ))
		return 30;
	return 0;
}

/* One tree, ended by UNIT_DESTROY or by closing its last handle. */
static int64_t one_tree(bool orphan, unsigned attempt, uint64_t *restarts, uint64_t *ns)
{
	struct aion_system_info before, after;
	struct aion_unit_info info = { 0 };
	aion_handle_t u, t;

	int64_t err = utest_spawn_role(ROLE_TREE, 100, &u, &t);
	if (err)
		return err;
	err = aion_unit_wait(u, 5000 * MS, &info);
	if (!err && (info.state != AION_UNIT_EXITED || info.exit_code))
		err = -AION_EMALFORMED;
	aion_handle_close(t);
	if (err) {
		utest_fail("destroycut", "tree wait=%s state=%u code=%d", aion_error_name(err),
			   info.state, info.exit_code);
		utest_reap(u, 0);
		return err;
	}
	cutter_ns = (CUT_US + 40 * (attempt % 6)) * 1000ull;
	int64_t c = aion_thread_create(AION_HANDLE_SELF, (uint64_t)cutter,
				       (uint64_t)(cutter_stack + sizeof(cutter_stack)), 0, CUTTER_PRIO);
	if (c < 0 || (err = aion_thread_start((aion_handle_t)c))) {
		utest_reap(u, 0);
		return c < 0 ? c : err;
	}
	aion_system_info(&before);      /* the cutter sleeps already: it outranks us */
	uint64_t start = aion_clock_ns();
	err = orphan ? aion_handle_close(u) : aion_unit_destroy(u);
	*ns = aion_clock_ns() - start;
	aion_system_info(&after);
	*restarts = after.syscall_restarts - before.syscall_restarts;
	if (!orphan)
		aion_handle_close(u);
	if (!utest_join(c) && !err)
		err = -AION_ETIMEDOUT;
	return err;
}

void test_destroycut(void)
{
	struct aion_system_info before, after;
	uint64_t cut[2] = { 0, 0 }, tries[2] = { 0, 0 }, ns[2] = { 0, 0 }, ignore;
	int64_t err;

	/* Grown first: tables and page tables keep the pages they grew. */
	if ((err = one_tree(false, 0, &ignore, &ignore)))
		FAIL("setup=%s", aion_error_name(err));
	cutter_late_worst = 0;
	aion_system_info(&before);
	for (unsigned way = 0; way < 2; way++)
		while (!cut[way] && tries[way] < TREE_ATTEMPTS) {
			uint64_t took;
			if ((err = one_tree(way == 1, (unsigned)tries[way]++, &cut[way], &took)))
				FAIL("%s %lu=%s", way ? "close" : "destroy",
				     (unsigned long)tries[way], aion_error_name(err));
			if (took > ns[way])
				ns[way] = took;
		}
	aion_system_info(&after);
	if (after.free_frames != before.free_frames ||
	    after.kernel_objects != before.kernel_objects)
		FAIL("frames=%lu/%lu objects=%lu/%lu",
		     (unsigned long)before.free_frames, (unsigned long)after.free_frames,
		     (unsigned long)before.kernel_objects, (unsigned long)after.kernel_objects);
	utest_ok("destroycut", "destroy_restarts=%lu destroy_tries=%lu destroy_worst_us=%lu "
		 "close_restarts=%lu close_tries=%lu close_worst_us=%lu cutter_worst_late_us=%lu "
		 "free_frames=%lu kernel_objects=%lu",
		 (unsigned long)cut[0], (unsigned long)tries[0], (unsigned long)(ns[0] / 1000),
		 (unsigned long)cut[1], (unsigned long)tries[1], (unsigned long)(ns[1] / 1000),
		 (unsigned long)(cutter_late_worst / 1000), (unsigned long)after.free_frames,
		 (unsigned long)after.kernel_objects);
out:
	return;
}
