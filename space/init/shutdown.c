/*
 * Orderly shutdown, as `virsh shutdown` expects of a guest: asked by the
 * power button (its driver holds init's endpoint with the power badge) or
 * by the shell's `shutdown` (admin badge). init answers the request at
 * once, then stops one unit per turn of its loop, jobs first and then the
 * services in reverse manifest order, answering calls in between (a second
 * request gets -AION_EBUSY), and finally switches the machine off through
 * ACPI (power.c). Supervision restarts nothing meanwhile.
 */
#include "init.h"

/* The kernel hands out end notices before calls, and every unit stopped
 * posts one: stepping on every turn would starve the calls. A step waits
 * for a quiet endpoint instead, or for this many messages, so that a unit
 * calling without pause cannot hold the shutdown up either. */
#define SHUTDOWN_BATCH  8

static const char *requester;           /* NULL: no shutdown under way */

bool shutdown_active(void)
{
	return requester != NULL;
}

int64_t shutdown_request(uint64_t badge)
{
	const char *by = badge == INIT_BADGE_POWER ? "power-button" : "shell";

	if (requester) {
		aion_printf("shutdown already under way by=%s asked=%s", requester, by);
		return -AION_EBUSY;
	}
	requester = by;
	aion_printf("shutdown requested by=%s", by);
	return 0;
}

/* Stops the next unit; when none is left, powers off (does not return). */
static void step(void)
{
	if (jobs_stop_last() || services_stop_last())
		return;
	aion_printf("shutdown complete, powering off");
	int64_t err = power_off();
	aion_printf("poweroff failed err=%s; halted", aion_error_name(err));
	for (;;)
		aion_sleep_ns(3600 * SEC); /* nothing left to run: idle */
}

void shutdown_turn(bool quiet)
{
	static unsigned served;

	if (!requester || (!quiet && ++served < SHUTDOWN_BATCH))
		return;
	served = 0;
	step();
}
